import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BinlogEvent } from '../../../src/binlog/binlog-event.js';
import { buildEvent } from '../../../src/binlog/event-builder.js';
import { BinlogEventReader } from '../../../src/binlog/event-reader.js';
import * as T from '../../../src/binlog/event-type.js';
import { buildMariaDbGtidEvent, FL_ALLOW_PARALLEL, FL_DDL, FL_STANDALONE, FL_TRANSACTIONAL } from '../../../src/binlog/mariadb-gtid-event.js';
import { buildMysqlGtidEvent, parseMysqlGtidEvent } from '../../../src/binlog/mysql-gtid-event.js';
import { buildFakeRotate } from '../../../src/binlog/rotate-event.js';
import { TransactionBoundaryTracker, type BoundaryRole } from '../../../src/binlog/transaction-boundary.js';
import { allFixtureListings, readEventsOf } from './listing.js';

function query(text: string, db = 'test'): Buffer {
  const dbBytes = Buffer.from(db);
  const post = Buffer.alloc(13);
  post[8] = dbBytes.length;
  return buildEvent({ type: T.QUERY_EVENT, serverId: 1, checksum: true, body: Buffer.concat([post, dbBytes, Buffer.of(0), Buffer.from(text)]) });
}
const plain = (type: number) => buildEvent({ type, serverId: 1, checksum: true, body: Buffer.alloc(10) });
const xid = () => buildEvent({ type: T.XID_EVENT, serverId: 1, checksum: true, body: Buffer.alloc(8) });
const mysqlGtid = (gno: number) => buildMysqlGtidEvent({ gtid: { uuid: '3e11fa47-71ca-11e1-9e33-c80aa9429562', tag: '', gno: BigInt(gno) }, flags: 0, serverId: 1, checksum: true });
const mariaGtid = (seq: number, flags2: number) => buildMariaDbGtidEvent({ gtid: { domain: 0, serverId: 1, seq: BigInt(seq) }, flags2, checksum: true });

function roles(events: Buffer[]): string[] {
  const reader = new BinlogEventReader({ expectMagic: false, checksumBeforeFde: 'crc32' });
  const tracker = new TransactionBoundaryTracker();
  return reader.feed(Buffer.concat(events)).map((ev) => {
    const s = tracker.feed(ev);
    return s.interrupted ? `${s.role}!` : s.role;
  });
}

test('MySQL 8 fixtures: each transaction runs from its GTID to an end event exactly transaction_length bytes later', () => {
  let checked = 0;
  for (const f of allFixtureListings().filter((x) => x.name.startsWith('mysql8'))) {
    const tracker = new TransactionBoundaryTracker();
    let open: { start: BinlogEvent; length: bigint } | undefined;
    for (const ev of readEventsOf(f.path)) {
      const step = tracker.feed(ev);
      assert.equal(step.interrupted, false, `${f.name} @${ev.offset}`);
      if (step.role === 'start') {
        assert.equal(open, undefined);
        open = { start: ev, length: parseMysqlGtidEvent(ev).transactionLength! };
      } else if (step.role === 'end') {
        assert.ok(open, `${f.name} @${ev.offset}: end without start`);
        assert.equal(BigInt(ev.offset + ev.bytes.length - open.start.offset), open.length, `${f.name} trx @${open.start.offset}`);
        open = undefined;
        checked++;
      } else if (step.role === 'inside') {
        assert.ok(open, `${f.name} @${ev.offset}: inside without start`);
      } else {
        assert.equal(step.role, 'outside', `${f.name} @${ev.offset}`);
        assert.equal(open, undefined);
      }
    }
    assert.equal(open, undefined, `${f.name}: ends between transactions`);
    assert.equal(tracker.inTransaction, false);
  }
  assert.equal(checked, 12);
});

test('MySQL 5.7 fixtures: DDL after a GTID closes at once; BEGIN … XID groups close at the XID', () => {
  const files = allFixtureListings().filter((x) => x.name.startsWith('mysql57'));
  assert.ok(files[0]!.events.some((e) => e.statement?.startsWith('create table')), 'the listing shows a DDL statement');
  for (const f of files) {
    const tracker = new TransactionBoundaryTracker();
    const got = readEventsOf(f.path).map((ev) => tracker.feed(ev).role);
    const expected: BoundaryRole[] = f.events.map((e, i): BoundaryRole => {
      if (['FORMAT_DESCRIPTION', 'PREVIOUS_GTIDS', 'ROTATE'].includes(e.type)) return 'outside';
      if (e.type === 'GTID') return 'start';
      if (e.type === 'XID') return 'end';
      if (e.type === 'QUERY' && f.events[i - 1]!.type === 'GTID' && e.statement !== 'BEGIN') return 'end';
      return 'inside';
    });
    assert.deepEqual(got, expected, f.name);
    assert.ok(got.filter((r) => r === 'end').length >= 10);
  }
});

test('MySQL: a TRANSACTION_PAYLOAD right after its GTID is the whole transaction body', () => {
  assert.deepEqual(roles([mysqlGtid(1), plain(T.TRANSACTION_PAYLOAD_EVENT), mysqlGtid(2), query('CREATE TABLE t (a int)')]), ['start', 'end', 'start', 'end']);
});

test('MySQL XA: XA START … XA_PREPARE is one transaction, XA COMMIT after its GTID another', () => {
  assert.deepEqual(
    roles([mysqlGtid(1), query("XA START X'01',X'',1"), plain(T.TABLE_MAP_EVENT), plain(T.WRITE_ROWS_EVENT), query("XA END X'01',X'',1"), plain(T.XA_PREPARE_LOG_EVENT), mysqlGtid(2), query("XA COMMIT X'01',X'',1")]),
    ['start', 'inside', 'inside', 'inside', 'inside', 'end', 'start', 'end'],
  );
});

test('MariaDB: a standalone GTID closes at its QUERY; a transactional one at XID or COMMIT', () => {
  assert.deepEqual(
    roles([
      mariaGtid(1, FL_STANDALONE | FL_ALLOW_PARALLEL | FL_DDL), query('CREATE TABLE t.a (id INT)'),
      mariaGtid(2, FL_TRANSACTIONAL | FL_ALLOW_PARALLEL), plain(T.ANNOTATE_ROWS_EVENT), plain(T.TABLE_MAP_EVENT), plain(T.WRITE_ROWS_EVENT_V1), xid(),
      mariaGtid(3, FL_ALLOW_PARALLEL), plain(T.ANNOTATE_ROWS_EVENT), plain(T.TABLE_MAP_EVENT), plain(T.WRITE_ROWS_EVENT_V1), query('COMMIT'),
      mariaGtid(4, FL_TRANSACTIONAL), query('INSERT INTO t VALUES (1)'), query('UPDATE t SET a = 2'), xid(),
    ]),
    ['start', 'end', 'start', 'inside', 'inside', 'inside', 'end', 'start', 'inside', 'inside', 'inside', 'end', 'start', 'inside', 'inside', 'end'],
  );
});

test('bookkeeping events stand outside transactions, even in the middle of one, and leave it open', () => {
  assert.deepEqual(
    roles([
      buildFakeRotate({ serverId: 1, nextFile: 'a.000001', position: 4, checksum: true }), plain(T.GTID_LIST_EVENT), plain(T.BINLOG_CHECKPOINT_EVENT),
      mysqlGtid(1), query('BEGIN'), plain(T.TABLE_MAP_EVENT), buildFakeRotate({ serverId: 1, nextFile: 'a.000002', position: 4, checksum: true }),
      plain(T.HEARTBEAT_LOG_EVENT), plain(T.WRITE_ROWS_EVENT), xid(), plain(T.PREVIOUS_GTIDS_LOG_EVENT),
    ]),
    ['outside', 'outside', 'outside', 'start', 'inside', 'inside', 'outside', 'outside', 'inside', 'end', 'outside'],
  );
});

test('a new GTID while a transaction is open reports the old one as interrupted', () => {
  assert.deepEqual(roles([mysqlGtid(1), query('BEGIN'), plain(T.TABLE_MAP_EVENT), mysqlGtid(2), query('BEGIN'), xid()]), ['start', 'inside', 'inside', 'start!', 'inside', 'end']);
  assert.deepEqual(roles([mariaGtid(1, FL_TRANSACTIONAL), plain(T.TABLE_MAP_EVENT), mariaGtid(2, FL_STANDALONE), query('DROP TABLE x')]), ['start', 'inside', 'start!', 'end']);
});

test('without GTIDs (old servers): BEGIN opens, INTVAR preludes its statement, a lone statement is whole', () => {
  assert.deepEqual(
    roles([query('BEGIN'), query('INSERT INTO t VALUES (1)'), query('COMMIT'), plain(T.INTVAR_EVENT), query('INSERT INTO t VALUES (NULL)'), query('CREATE TABLE u (a int)'), query('BEGIN'), query('INSERT INTO t VALUES (2)'), query('ROLLBACK')]),
    ['start', 'inside', 'end', 'start', 'end', 'whole', 'start', 'inside', 'end'],
  );
});

test('SAVEPOINT and ROLLBACK TO stay inside the transaction', () => {
  assert.deepEqual(roles([mysqlGtid(1), query('BEGIN'), query('SAVEPOINT s'), query('ROLLBACK TO SAVEPOINT s'), query('COMMIT')]), ['start', 'inside', 'inside', 'inside', 'end']);
});
