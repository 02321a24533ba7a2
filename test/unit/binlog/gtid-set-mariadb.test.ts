import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BinlogError } from '../../../src/binlog/binlog-error.js';
import { formatMariaDbGtid, MariaDbGtidSet, parseMariaDbGtid } from '../../../src/binlog/gtid-set-mariadb.js';
import { seededRandom } from './listing.js';

function bad(fn: () => unknown): boolean {
  try {
    fn();
    return false;
  } catch (e) {
    return e instanceof BinlogError && e.code === 'BINLOG_BAD_GTID';
  }
}

test('positions parse and print as domain-server-seq, domains ascending', () => {
  const pos = MariaDbGtidSet.parse(' 1-2-7 , 0-1-100 ');
  assert.equal(pos.toString(), '0-1-100,1-2-7');
  assert.equal(MariaDbGtidSet.parse('').toString(), '');
  assert.deepEqual(parseMariaDbGtid('0-4294967295-18446744073709551615'), { domain: 0, serverId: 4294967295, seq: 18446744073709551615n });
  assert.equal(formatMariaDbGtid({ domain: 3, serverId: 11, seq: 16254n }), '3-11-16254');
});

test('malformed GTIDs and a domain given twice are BINLOG_BAD_GTID', () => {
  for (const t of ['0-1', '0-1-x', 'a-b-c', '0-1-2-3', '4294967296-1-1', '0-1-18446744073709551616', '0-1-5,', '0-1-5,0-2-6']) {
    assert.ok(bad(() => MariaDbGtidSet.parse(t)), t);
  }
});

test('a transaction is already executed when its domain is at or past its seq, whatever its server id (strict mode)', () => {
  const pos = MariaDbGtidSet.parse('0-1-100,1-2-7');
  assert.ok(pos.containsGtid(parseMariaDbGtid('0-1-100')));
  assert.ok(pos.containsGtid(parseMariaDbGtid('0-9-50')));
  assert.ok(!pos.containsGtid(parseMariaDbGtid('0-1-101')));
  assert.ok(!pos.containsGtid(parseMariaDbGtid('2-1-1')), 'unknown domain: nothing executed there');
  assert.ok(pos.contains(MariaDbGtidSet.parse('0-5-99,1-2-7')));
  assert.ok(!pos.contains(MariaDbGtidSet.parse('0-5-99,1-2-8')));
  assert.ok(pos.contains(MariaDbGtidSet.empty()));
});

test('update makes a GTID its domain\'s latest; fromList keeps the highest seq per domain', () => {
  const pos = MariaDbGtidSet.parse('0-1-100');
  pos.update(parseMariaDbGtid('0-2-101')).update(parseMariaDbGtid('5-1-1'));
  assert.equal(pos.toString(), '0-2-101,5-1-1');
  const state = MariaDbGtidSet.fromList(['0-1-10', '0-2-12', '0-3-11', '1-1-4'].map(parseMariaDbGtid));
  assert.equal(state.toString(), '0-2-12,1-1-4');
  assert.equal(MariaDbGtidSet.parse('0-1-5,1-1-9').union(MariaDbGtidSet.parse('0-2-7,1-1-3')).toString(), '0-2-7,1-1-9');
});

test('applying transactions in order: each is new before its update and executed after (seeded)', () => {
  const rnd = seededRandom(3);
  const pos = MariaDbGtidSet.empty();
  const seqs = new Map<number, bigint>();
  for (let i = 0; i < 500; i++) {
    const domain = Math.floor(rnd() * 4);
    const seq = (seqs.get(domain) ?? 0n) + 1n + BigInt(Math.floor(rnd() * 3));
    seqs.set(domain, seq);
    const gtid = { domain, serverId: 1 + Math.floor(rnd() * 3), seq };
    assert.equal(pos.containsGtid(gtid), false);
    pos.update(gtid);
    assert.equal(pos.containsGtid(gtid), true);
    assert.ok(MariaDbGtidSet.parse(pos.toString()).equals(pos));
  }
});
