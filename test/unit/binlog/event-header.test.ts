import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BinlogError } from '../../../src/binlog/binlog-error.js';
import {
  hasBinlogMagic, LOG_EVENT_HEADER_LEN, readEventHeader, writeEventHeader, type EventHeader,
} from '../../../src/binlog/event-header.js';
import { eventTypeName } from '../../../src/binlog/event-type.js';
import { allFixtureListings, readFixture, seededRandom } from './listing.js';

test('every fixture starts with the binlog magic', () => {
  for (const f of allFixtureListings()) assert.ok(hasBinlogMagic(readFixture(...f.name.split('/'))), f.name);
  assert.equal(hasBinlogMagic(Buffer.from('\xfebim', 'latin1')), false);
});

test('headers decoded at each listed offset match the listing (type, server id, end, size)', () => {
  for (const f of allFixtureListings()) {
    const bytes = readFixture(...f.name.split('/'));
    for (const [i, ev] of f.events.entries()) {
      const h = readEventHeader(bytes, ev.pos);
      assert.equal(eventTypeName(h.type), ev.type, `${f.name} @${ev.pos}`);
      assert.equal(h.serverId, ev.serverId, `${f.name} @${ev.pos}`);
      assert.equal(h.logPos, ev.end, `${f.name} @${ev.pos}`);
      const next = f.events[i + 1]?.pos ?? bytes.length;
      assert.equal(h.eventSize, next - ev.pos, `${f.name} @${ev.pos}: size reaches the next event`);
      if (ev.flags !== undefined) assert.equal(h.flags, ev.flags, `${f.name} @${ev.pos} flags`);
      if (ev.timestamp !== undefined) assert.equal(h.timestamp, ev.timestamp, `${f.name} @${ev.pos} timestamp`);
    }
  }
});

test('writing a header and reading it back gives the same fields (seeded values)', () => {
  const rnd = seededRandom(19);
  const u32 = () => Math.floor(rnd() * 0x100000000);
  for (let i = 0; i < 500; i++) {
    const h: EventHeader = {
      timestamp: u32(), type: Math.floor(rnd() * 256), serverId: u32(), eventSize: u32(), logPos: u32(),
      flags: Math.floor(rnd() * 0x10000),
    };
    const buf = Buffer.alloc(LOG_EVENT_HEADER_LEN + 3);
    writeEventHeader(buf, h, 3);
    assert.deepEqual(readEventHeader(buf, 3), h);
  }
});

test('a header cut short is BINLOG_TRUNCATED', () => {
  assert.throws(() => readEventHeader(Buffer.alloc(18)), (e: unknown) => e instanceof BinlogError && e.code === 'BINLOG_TRUNCATED');
});
