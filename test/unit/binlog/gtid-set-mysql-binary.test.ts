import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeMysqlGtidSet, encodeMysqlGtidSet } from '../../../src/binlog/gtid-set-mysql-binary.js';
import { MysqlGtidSet } from '../../../src/binlog/gtid-set-mysql.js';
import { badGtid, seededRandom } from './listing.js';

const U1 = '214eb71f-96ec-11e8-ab4f-fa163e72d4ae';
const U2 = '3e11fa47-71ca-11e1-9e33-c80aa9429562';

test('an empty set is 8 zero bytes', () => {
  assert.deepEqual([...encodeMysqlGtidSet(MysqlGtidSet.empty())], [0, 0, 0, 0, 0, 0, 0, 0]);
  assert.ok(decodeMysqlGtidSet(new Uint8Array(8)).isEmpty());
});

test('the untagged format is n_sids, then uuid, n_intervals and [start, end) pairs', () => {
  const enc = encodeMysqlGtidSet(MysqlGtidSet.parse(`${U1}:1-11789:11800`));
  const expected = Buffer.alloc(8 + 16 + 8 + 32);
  expected.writeBigUInt64LE(1n, 0);
  Buffer.from(U1.replace(/-/g, ''), 'hex').copy(expected, 8);
  expected.writeBigUInt64LE(2n, 24);
  expected.writeBigInt64LE(1n, 32);
  expected.writeBigInt64LE(11790n, 40);
  expected.writeBigInt64LE(11800n, 48);
  expected.writeBigInt64LE(11801n, 56);
  assert.deepEqual(enc, expected);
});

test('the tagged format opens with 01 | n_sids (6 bytes) | 01 and writes tags as serialization strings', () => {
  // Shape of binlog_transaction_with_GTID_TAG.000001 (MySQL 9.6) as described in the notes:
  // header 01 02 00 00 00 00 00 01; first TSID tag byte 00, second 0a "mytag".
  const enc = encodeMysqlGtidSet(MysqlGtidSet.parse(`${U1}:1-2:mytag:1`));
  assert.deepEqual([...enc.subarray(0, 8)], [0x01, 0x02, 0, 0, 0, 0, 0, 0x01]);
  assert.equal(enc[8 + 16], 0x00);
  const secondTag = 8 + 16 + 1 + 8 + 16 + 16;
  assert.deepEqual([...enc.subarray(secondTag, secondTag + 6)], [0x0a, 0x6d, 0x79, 0x74, 0x61, 0x67]);
  assert.equal(decodeMysqlGtidSet(enc).toString(), `${U1}:1-2:mytag:1`);
});

test('sets without tags use the untagged format, and skipTagged drops tagged entries', () => {
  const set = MysqlGtidSet.parse(`${U1}:1-5,${U2}:t:3`);
  const plain = encodeMysqlGtidSet(set, { skipTagged: true });
  assert.equal(plain[7], 0);
  assert.equal(decodeMysqlGtidSet(plain).toString(), `${U1}:1-5`);
});

test('encode then decode gives the same set, tagged or not (seeded)', () => {
  for (let seed = 1; seed <= 200; seed++) {
    const rnd = seededRandom(seed);
    const set = MysqlGtidSet.empty();
    const n = Math.floor(rnd() * 12);
    for (let i = 0; i < n; i++) {
      const uuid = rnd() < 0.5 ? U1 : U2;
      const tag = rnd() < 0.3 ? (rnd() < 0.5 ? 'x' : 'tag_long_name') : '';
      const start = BigInt(1 + Math.floor(rnd() * 1e6));
      set.addInterval(uuid, tag, start, start + BigInt(Math.floor(rnd() * 1000)));
    }
    const enc = encodeMysqlGtidSet(set);
    assert.ok(decodeMysqlGtidSet(enc).equals(set), `seed ${seed}`);
    assert.deepEqual(encodeMysqlGtidSet(decodeMysqlGtidSet(enc)), enc, `seed ${seed}: re-encoding is byte-identical`);
  }
});

test('truncated, padded or inconsistent encodings are BINLOG_BAD_GTID', () => {
  const enc = encodeMysqlGtidSet(MysqlGtidSet.parse(`${U1}:1-5:7,${U2}:9`));
  for (let cut = 0; cut < enc.length; cut++) assert.ok(badGtid(() => decodeMysqlGtidSet(enc.subarray(0, cut))), `cut ${cut}`);
  assert.ok(badGtid(() => decodeMysqlGtidSet(Buffer.concat([enc, Buffer.of(0)]))), 'trailing byte');
  const reversed = Buffer.from(enc);
  reversed.writeBigInt64LE(6n, 32); // start 6, end 6: empty interval
  assert.ok(badGtid(() => decodeMysqlGtidSet(reversed)));
  const format = Buffer.from(enc);
  format[7] = 2;
  assert.ok(badGtid(() => decodeMysqlGtidSet(format)));
});
