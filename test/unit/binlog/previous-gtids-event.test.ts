import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventBody } from '../../../src/binlog/binlog-event.js';
import { LOG_EVENT_IGNORABLE_F } from '../../../src/binlog/event-header.js';
import { parseMysqlGtid } from '../../../src/binlog/gtid-set-mysql.js';
import { buildPreviousGtidsEvent, parsePreviousGtidsEvent } from '../../../src/binlog/previous-gtids-event.js';
import { allFixtureListings, readEventsOf } from './listing.js';

test('PREVIOUS_GTIDS of every fixture decodes to the set its listing shows', () => {
  let nonEmpty = 0;
  for (const f of allFixtureListings()) {
    const events = readEventsOf(f.path);
    f.events.forEach((listed, i) => {
      if (listed.type !== 'PREVIOUS_GTIDS') return;
      const set = parsePreviousGtidsEvent(events[i]!);
      assert.equal(set.toString(), listed.set ?? '', `${f.name} @${listed.pos}`);
      if (!set.isEmpty()) nonEmpty++;
    });
  }
  assert.equal(nonEmpty, 3, 'mysql_bin.000011, mysql_bin.000012 and transaction_compression.000001 have sets');
});

test('the previous set of file 12 is the one of file 11 plus the GTIDs file 11 holds', () => {
  const [f11, f12] = allFixtureListings().filter((x) => x.name.startsWith('mysql57'));
  const prev11 = parsePreviousGtidsEvent(readEventsOf(f11!.path)[1]!);
  const executed = prev11.clone();
  for (const e of f11!.events) if (e.gtid) executed.add(parseMysqlGtid(e.gtid));
  assert.equal(executed.count() - prev11.count(), 11n, "file 11 holds 11 GTID transactions");
  assert.equal(parsePreviousGtidsEvent(readEventsOf(f12!.path)[1]!).toString(), executed.toString());
});

test('a rebuilt PREVIOUS_GTIDS event is byte-identical to the server-written one', () => {
  for (const f of allFixtureListings()) {
    const ev = readEventsOf(f.path)[1]!;
    assert.equal(ev.header.flags, LOG_EVENT_IGNORABLE_F);
    const rebuilt = buildPreviousGtidsEvent({
      serverId: ev.header.serverId, set: parsePreviousGtidsEvent(ev), checksum: true, timestamp: ev.header.timestamp, logPos: ev.header.logPos,
    });
    assert.deepEqual(rebuilt, Buffer.from(ev.bytes), f.name);
    assert.ok(eventBody(ev).length >= 8);
  }
});
