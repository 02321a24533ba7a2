import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildEvent } from '../../../src/binlog/event-builder.js';
import * as T from '../../../src/binlog/event-type.js';
import { MariaDbGtidSet, parseMariaDbGtid } from '../../../src/binlog/gtid-set-mariadb.js';
import { MysqlGtidSet } from '../../../src/binlog/gtid-set-mysql.js';
import { FL_ALLOW_PARALLEL, FL_DDL, FL_STANDALONE, FL_TRANSACTIONAL, buildMariaDbGtidEvent } from '../../../src/binlog/mariadb-gtid-event.js';
import { buildMysqlGtidEvent } from '../../../src/binlog/mysql-gtid-event.js';
import { DumpError, DumpErrors } from '../../../src/server/dump-errors.js';
import { MariaDbEventPolicy, MysqlEventPolicy, type EventView, type Verdict } from '../../../src/server/event-policy.js';
import { BinlogState, checkMariaDbStartPosition } from '../../../src/server/gtid-start.js';

function query(sql: string): Buffer {
  const body = Buffer.concat([Buffer.alloc(13), Buffer.from('\0'), Buffer.from(sql)]);
  body.writeUInt16LE(0, 11);
  return buildEvent({ type: T.QUERY_EVENT, serverId: 1, body, checksum: true });
}

const gtid = (text: string, standalone = false): Buffer => {
  const g = parseMariaDbGtid(text);
  return buildMariaDbGtidEvent({ gtid: g, flags2: standalone ? FL_STANDALONE | FL_DDL | FL_ALLOW_PARALLEL : FL_TRANSACTIONAL, checksum: true });
};
const plain = (type: number, size = 10): Buffer => buildEvent({ type, serverId: 1, body: Buffer.alloc(size), checksum: true });
const xid = (): Buffer => plain(T.XID_EVENT, 8);

/** Feeds events at consecutive positions from 256; returns each verdict (as a short word). */
function feed(policy: MariaDbEventPolicy | MysqlEventPolicy, events: Buffer[]): { verdicts: string[]; fakeLists: [number, string][] } {
  let pos = 256;
  const verdicts: string[] = [];
  const fakeLists: [number, string][] = [];
  for (const bytes of events) {
    const view: EventView = { type: bytes[4]!, start: pos, end: pos + bytes.length, checksum: true, bytes: () => bytes };
    const v: Verdict = policy.decide(view);
    verdicts.push(typeof v === 'string' ? v : `rewrite:${v[4]}`);
    pos += bytes.length;
    if (policy instanceof MariaDbEventPolicy && policy.fakeGtidList) {
      fakeLists.push([pos, policy.fakeGtidList.map((g) => `${g.domain}-${g.serverId}-${g.seq}`).join(',')]);
    }
  }
  return { verdicts, fakeLists };
}

const errors = new DumpErrors('mariadb');

function mariadbPolicy(connect: string | null, options: { binlog?: string; strict?: boolean; flags?: number; capability?: number } = {}): MariaDbEventPolicy {
  const binlog = new BinlogState((options.binlog ?? '0-1-100').split(',').map(parseMariaDbGtid));
  const state = connect === null ? null : checkMariaDbStartPosition(MariaDbGtidSet.parse(connect), binlog, { ignoreDuplicates: false }, errors);
  return new MariaDbEventPolicy({
    state, strictMode: options.strict ?? true, flags: options.flags ?? 0x02, capability: options.capability ?? 4,
    binlogState: () => MariaDbGtidSet.parse(options.binlog ?? '0-1-100'), errors, startGtids: MariaDbGtidSet.parse(connect ?? ''),
  });
}

describe('MariaDB GTID dump: skipping to the connect state', () => {
  it('skips whole groups up to and including the requested GTID, then sends a fake GTID_LIST at the group end', () => {
    const policy = mariadbPolicy('0-1-3');
    const { verdicts, fakeLists } = feed(policy, [
      plain(T.GTID_LIST_EVENT, 4), plain(T.BINLOG_CHECKPOINT_EVENT, 17),
      gtid('0-1-1'), plain(T.ANNOTATE_ROWS_EVENT), plain(T.TABLE_MAP_EVENT), plain(T.WRITE_ROWS_EVENT_V1), xid(),
      gtid('0-1-2', true), query('CREATE TABLE t (a INT)'),
      plain(T.BINLOG_CHECKPOINT_EVENT, 17),
      gtid('0-1-3'), query('BEGIN'), plain(T.TABLE_MAP_EVENT), plain(T.WRITE_ROWS_EVENT_V1), query('COMMIT'),
      gtid('0-1-4'), plain(T.TABLE_MAP_EVENT), xid(),
    ]);
    assert.deepEqual(verdicts, [
      'send', 'send',
      'drop', 'drop', 'drop', 'drop', 'drop',
      'drop', 'drop',
      'send',
      'drop', 'drop', 'drop', 'drop', 'drop',
      'send', 'send', 'send',
    ]);
    assert.equal(fakeLists.length, 1);
    assert.equal(fakeLists[0]![1], '0-1-3', 'the GTIDs met while searching, latest per server');
    assert.equal(policy.state!.size, 0);
    assert.equal(policy.progressGtid(), '0-1-4');
  });

  it('in strict mode refuses a position that falls in a hole of the binlog', () => {
    const policy = mariadbPolicy('0-1-5');
    assert.throws(() => feed(policy, [gtid('0-1-4'), xid(), gtid('0-1-6')]), (err: DumpError) => {
      assert.equal(err.errno, 1236);
      assert.match(err.message, /^The binlog on the master is missing the GTID 0-1-5 requested by the slave/);
      return true;
    });
  });

  it('without strict mode starts at the next GTID after the hole', () => {
    const { verdicts, fakeLists } = feed(mariadbPolicy('0-1-5', { strict: false }), [gtid('0-1-4'), xid(), gtid('0-1-6'), xid()]);
    assert.deepEqual(verdicts, ['drop', 'drop', 'send', 'send']);
    assert.equal(fakeLists.length, 1);
  });

  it('keeps skipping other servers of the domain until the requested server is met', () => {
    const { verdicts } = feed(mariadbPolicy('0-2-6', { binlog: '0-1-5,0-2-9' }), [gtid('0-1-5'), xid(), gtid('0-2-6'), xid(), gtid('0-2-7'), xid()]);
    assert.deepEqual(verdicts, ['drop', 'drop', 'drop', 'drop', 'send', 'send']);
  });

  it('a file/position dump skips nothing', () => {
    const { verdicts, fakeLists } = feed(mariadbPolicy(null), [gtid('0-1-1'), xid()]);
    assert.deepEqual(verdicts, ['send', 'send']);
    assert.deepEqual(fakeLists, []);
  });
});

describe('MariaDB replicas with old capabilities or without ANNOTATE_ROWS', () => {
  const stream = [plain(T.GTID_LIST_EVENT, 6), plain(T.BINLOG_CHECKPOINT_EVENT, 17), gtid('0-1-1'), plain(T.ANNOTATE_ROWS_EVENT, 30), xid(), gtid('0-1-2', true), query('CREATE TABLE t (a INT)')];

  it('capability 4 without flag 0x02: ANNOTATE_ROWS left out, everything else as is', () => {
    assert.deepEqual(feed(mariadbPolicy(null, { flags: 0 }), stream).verdicts, ['send', 'send', 'send', 'drop', 'send', 'send', 'send']);
  });

  it('capability 2-3: GTIDs become BEGIN, standalone GTIDs and GTID_LISTs are left out', () => {
    assert.deepEqual(feed(mariadbPolicy(null, { flags: 0, capability: 3 }), stream).verdicts, ['drop', 'send', `rewrite:${T.QUERY_EVENT}`, 'drop', 'send', 'drop', 'send']);
    assert.deepEqual(feed(mariadbPolicy(null, { flags: 0, capability: 2 }), stream).verdicts, ['drop', 'drop', `rewrite:${T.QUERY_EVENT}`, 'drop', 'send', 'drop', 'send']);
  });

  it('capability 0-1 cannot tolerate holes: same-size dummies instead', () => {
    assert.deepEqual(feed(mariadbPolicy(null, { flags: 0, capability: 1 }), stream).verdicts, [
      `rewrite:${T.USER_VAR_EVENT}`, `rewrite:${T.QUERY_EVENT}`, `rewrite:${T.QUERY_EVENT}`, 'send', 'send', `rewrite:${T.QUERY_EVENT}`, 'send',
    ]);
    assert.deepEqual(feed(mariadbPolicy(null, { flags: 0, capability: 0 }), stream).verdicts[3], `rewrite:${T.QUERY_EVENT}`, 'ANNOTATE_ROWS dummy');
  });

  it('refuses, as the master does, an event too short to be replaced by a dummy', () => {
    assert.throws(() => feed(mariadbPolicy(null, { capability: 0 }), [plain(T.GTID_LIST_EVENT, 4)]), /Failed to replace binlog checkpoint or gtid list event with dummy: too small event\./);
  });
});

describe('MySQL auto-position dump', () => {
  const U = '3e11fa47-71ca-11e1-9e33-c80aa9429562';
  const mgtid = (gno: bigint): Buffer => buildMysqlGtidEvent({ gtid: { uuid: U, tag: '', gno }, serverId: 1, flags: 0, checksum: true });

  it('leaves out transactions the replica has and remembers where the skipped run ended', () => {
    const policy = new MysqlEventPolicy({ exclude: MysqlGtidSet.parse(`${U}:1-2`), errors: new DumpErrors('mysql'), fileName: () => 'binlog.000001' });
    const { verdicts } = feed(policy, [plain(T.PREVIOUS_GTIDS_LOG_EVENT, 8), mgtid(1n), query('BEGIN'), xid(), mgtid(2n), query('CREATE TABLE t (a INT)')]);
    assert.deepEqual(verdicts, ['send', 'drop', 'drop', 'drop', 'drop', 'drop']);
    const end = 256 + 31 + [mgtid(1n), query('BEGIN'), xid(), mgtid(2n), query('CREATE TABLE t (a INT)')].reduce((n, b) => n + b.length, 0);
    assert.equal(policy.skippedUpTo, end);
    assert.deepEqual(feed(policy, [mgtid(3n), xid()]).verdicts, ['send', 'send']);
    assert.equal(policy.progressGtid(), `${U}:1-3`);
  });

  it('refuses an anonymous transaction in an auto-position dump', () => {
    const policy = new MysqlEventPolicy({ exclude: MysqlGtidSet.empty(), errors: new DumpErrors('mysql'), fileName: () => 'binlog.000007' });
    const anon = buildMysqlGtidEvent({ gtid: null, serverId: 1, flags: 0, checksum: true });
    assert.throws(() => feed(policy, [anon]), (err: DumpError) => err.errno === 1236 && err.message === "Cannot replicate anonymous transaction when AUTO_POSITION = 1, at file 'binlog.000007', position 256.");
  });
});
