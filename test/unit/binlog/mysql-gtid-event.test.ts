import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BinlogEventReader } from '../../../src/binlog/event-reader.js';
import { eventTypeName, GTID_TAGGED_LOG_EVENT } from '../../../src/binlog/event-type.js';
import { formatMysqlGtid } from '../../../src/binlog/gtid-set-mysql.js';
import { buildMysqlGtidEvent, parseMysqlGtidEvent } from '../../../src/binlog/mysql-gtid-event.js';
import { hasValidChecksum } from '../../../src/binlog/event-checksum.js';
import { allFixtureListings, detailFields, readEventsOf } from './listing.js';

test('GTID and ANONYMOUS_GTID events decode to the fields the listings show', () => {
  let checked = 0;
  for (const f of allFixtureListings().filter((x) => x.name.startsWith('mysql8'))) {
    const events = readEventsOf(f.path);
    f.events.forEach((listed, i) => {
      if (listed.type !== 'GTID' && listed.type !== 'ANONYMOUS_GTID') return;
      const g = parseMysqlGtidEvent(events[i]!);
      const d = detailFields(listed.detail);
      const where = `${f.name} @${listed.pos}`;
      assert.equal(g.anonymous, listed.type === 'ANONYMOUS_GTID', where);
      assert.equal(g.gtid ? formatMysqlGtid(g.gtid) : 'anonymous', d.gtid ?? 'anonymous', where);
      assert.equal(g.lastCommitted, BigInt(d.last_committed!), where);
      assert.equal(g.sequenceNumber, BigInt(d.seq!), where);
      assert.equal(g.immediateCommitTimestamp, BigInt(d.imm_ts!), where);
      assert.equal(g.originalCommitTimestamp, BigInt(d.orig_ts!), where);
      assert.equal(g.transactionLength, BigInt(d.trx_len!), where);
      assert.equal(g.immediateServerVersion, Number(d.imm_ver), where);
      assert.equal(g.originalServerVersion, Number(d.orig_ver), where);
      assert.equal(g.flags, Number(d.flags), where);
      checked++;
    });
  }
  assert.equal(checked, 12, "3 + 1 + 4 + 3 + 1 GTID events in the five MySQL 8 listings");
});

test('5.7 GTID events (no commit timestamps) decode to the GTID_NEXT mysqlbinlog printed', () => {
  const f = allFixtureListings().find((x) => x.name === 'mysql57-binlog/mysql_bin.000012')!;
  const events = readEventsOf(f.path);
  let n = 0;
  f.events.forEach((listed, i) => {
    if (listed.type !== 'GTID') return;
    const g = parseMysqlGtidEvent(events[i]!);
    assert.equal(formatMysqlGtid(g.gtid!), listed.gtid);
    const lc = /last_committed=(\d+)\s+sequence_number=(\d+)/.exec(listed.detail)!;
    assert.equal(g.lastCommitted, BigInt(lc[1]!));
    assert.equal(g.sequenceNumber, BigInt(lc[2]!));
    assert.equal(g.immediateCommitTimestamp, undefined);
    n++;
  });
  assert.equal(n, 10);
});

test('a rebuilt GTID event is byte-identical to the server-written one', () => {
  for (const f of allFixtureListings()) {
    for (const ev of readEventsOf(f.path)) {
      const type = eventTypeName(ev.header.type);
      if (type !== 'GTID' && type !== 'ANONYMOUS_GTID') continue;
      const g = parseMysqlGtidEvent(ev);
      const rebuilt = buildMysqlGtidEvent({
        ...g, serverId: ev.header.serverId, timestamp: ev.header.timestamp, logPos: ev.header.logPos, checksum: true,
      });
      assert.deepEqual(rebuilt, Buffer.from(ev.bytes), `${f.name} @${ev.offset}`);
    }
  }
});

test('a tagged GTID (GTID_TAGGED_LOG_EVENT, 8.3+) round-trips through its serialization format', () => {
  const spec = {
    gtid: { uuid: '3e11fa47-71ca-11e1-9e33-c80aa9429562', tag: 'mytag', gno: 123456789012n },
    flags: 1, lastCommitted: 41n, sequenceNumber: 42n,
    immediateCommitTimestamp: 1727774064493197n, originalCommitTimestamp: 1727774064000000n,
    transactionLength: 70000n, immediateServerVersion: 90600, originalServerVersion: 80400, commitGroupTicket: 9n,
    serverId: 7, checksum: true,
  };
  const bytes = buildMysqlGtidEvent(spec);
  assert.equal(bytes[4], GTID_TAGGED_LOG_EVENT);
  assert.ok(hasValidChecksum(bytes));
  const ev = new BinlogEventReader({ expectMagic: false, checksumBeforeFde: 'crc32' }).feed(bytes)[0]!;
  const g = parseMysqlGtidEvent(ev);
  assert.equal(formatMysqlGtid(g.gtid!), '3e11fa47-71ca-11e1-9e33-c80aa9429562:mytag:123456789012');
  assert.deepEqual(
    { ...g, gtid: undefined },
    {
      anonymous: false, gtid: undefined, flags: 1, lastCommitted: 41n, sequenceNumber: 42n,
      immediateCommitTimestamp: 1727774064493197n, originalCommitTimestamp: 1727774064000000n, transactionLength: 70000n,
      immediateServerVersion: 90600, originalServerVersion: 80400, commitGroupTicket: 9n,
    },
  );
  // Omitted optional fields take their defaults: original = immediate.
  const same = parseMysqlGtidEvent(new BinlogEventReader({ expectMagic: false, checksumBeforeFde: 'crc32' }).feed(
    buildMysqlGtidEvent({ ...spec, originalCommitTimestamp: undefined, originalServerVersion: undefined, commitGroupTicket: undefined }),
  )[0]!);
  assert.equal(same.originalCommitTimestamp, spec.immediateCommitTimestamp);
  assert.equal(same.originalServerVersion, spec.immediateServerVersion);
  assert.equal(same.commitGroupTicket, undefined);
});

test('a GTID event whose UUID bytes are each encoded as varints decodes bytes ≥ 128 too', () => {
  const uuid = 'ffeeddcc-bbaa-9988-7766-554433221100';
  const bytes = buildMysqlGtidEvent({ gtid: { uuid, tag: 't', gno: 1n }, flags: 0, serverId: 1, checksum: false });
  const ev = new BinlogEventReader({ expectMagic: false, checksumBeforeFde: 'none' }).feed(bytes)[0]!;
  assert.equal(parseMysqlGtidEvent(ev).gtid!.uuid, uuid);
});
