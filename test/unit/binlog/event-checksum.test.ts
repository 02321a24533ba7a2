import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32 } from 'node:zlib';
import { BinlogError } from '../../../src/binlog/binlog-error.js';
import {
  computeEventCrc, hasValidChecksum, storedEventCrc, verifyEventChecksum, writeEventChecksum,
} from '../../../src/binlog/event-checksum.js';
import { LOG_EVENT_BINLOG_IN_USE_F, readEventHeader } from '../../../src/binlog/event-header.js';
import { FORMAT_DESCRIPTION_EVENT } from '../../../src/binlog/event-type.js';
import { allFixtureListings, fixturePath, readFixture } from './listing.js';
import { readFileSync } from 'node:fs';

function eventsOf(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let pos = 4; pos < bytes.length;) {
    const size = readEventHeader(bytes, pos).eventSize;
    out.push(bytes.subarray(pos, pos + size));
    pos += size;
  }
  return out;
}

test('every event of every fixture carries a valid CRC32', () => {
  for (const f of allFixtureListings()) {
    const events = eventsOf(readFixture(...f.name.split('/')));
    assert.equal(events.length, f.events.length, `${f.name}: as many events as listed`);
    for (const ev of events) verifyEventChecksum(ev);
  }
});

test('stored CRC32s equal the ones mysqlbinlog printed for the 5.7 files', () => {
  for (const f of allFixtureListings().filter((x) => x.name.startsWith('mysql57'))) {
    const bytes = readFixture(...f.name.split('/'));
    for (const ev of f.events) {
      const size = readEventHeader(bytes, ev.pos).eventSize;
      assert.equal(storedEventCrc(bytes.subarray(ev.pos, ev.pos + size)), ev.crc, `${f.name} @${ev.pos}`);
    }
  }
});

test("stored CRC32s equal the ones MySQL 8.2's own mysqlbinlog --hexdump printed", () => {
  const dump = readFileSync(fixturePath('mysql8-binlog', 'mysql820-update-rows.binlog.000001.dump.txt'), 'utf8');
  const bytes = readFixture('mysql8-binlog', 'mysql820-update-rows.binlog.000001');
  const listed = [...dump.matchAll(/^# at (\d+)\n#\d{6} [\d:]+ server id \d+\s+end_log_pos \d+ CRC32 0x([0-9a-f]+)/gm)];
  assert.ok(listed.length >= 15);
  for (const m of listed) {
    const pos = Number(m[1]);
    const size = readEventHeader(bytes, pos).eventSize;
    assert.equal(storedEventCrc(bytes.subarray(pos, pos + size)), parseInt(m[2]!, 16), `@${pos}`);
  }
});

test('an FDE still flagged IN_USE verifies only with the flag masked out, as the server computes it', () => {
  const inUse = ['mysql_type_bit.000001', 'json-opaque.binlog', 'mysql820-update-rows.binlog.000001'];
  for (const name of inUse) {
    const fde = eventsOf(readFixture('mysql8-binlog', name))[0]!;
    assert.equal(fde[4], FORMAT_DESCRIPTION_EVENT);
    assert.ok(fde.readUInt16LE(17) & LOG_EVENT_BINLOG_IN_USE_F, `${name} has IN_USE set`);
    const naive = crc32(fde.subarray(0, fde.length - 4));
    assert.notEqual(naive, storedEventCrc(fde), `${name}: a naive CRC over the bytes as written fails`);
    assert.ok(hasValidChecksum(fde), `${name}: the masked CRC matches`);
  }
});

test('flipping any byte of an event makes its checksum check fail with BINLOG_BAD_CHECKSUM', () => {
  const events = eventsOf(readFixture('mysql8-binlog', 'mysql_type_bit.000001'));
  for (const original of events) {
    for (let i = 0; i < original.length; i++) {
      const ev = Buffer.from(original);
      ev[i] ^= 0x5a;
      assert.throws(() => verifyEventChecksum(ev, 100), (e: unknown) => e instanceof BinlogError && e.code === 'BINLOG_BAD_CHECKSUM' && e.offset === 100);
    }
  }
});

test('toggling only the FDE IN_USE flag keeps its CRC valid (the server clears it in place on close)', () => {
  const fde = Buffer.from(eventsOf(readFixture('mysql8-binlog', 'mysql_type_bit.000001'))[0]!);
  fde[17] ^= LOG_EVENT_BINLOG_IN_USE_F;
  assert.ok(hasValidChecksum(fde));
  const query = Buffer.from(eventsOf(readFixture('mysql8-binlog', 'mysql_type_bit.000001'))[3]!);
  query[17] ^= LOG_EVENT_BINLOG_IN_USE_F;
  assert.equal(hasValidChecksum(query), false, 'the rule is for FORMAT_DESCRIPTION only');
});

test('writeEventChecksum stores the CRC32 that computeEventCrc gives', () => {
  const ev = Buffer.from(eventsOf(readFixture('mysql57-binlog', 'mysql_bin.000011'))[3]!);
  ev.writeUInt32LE(0, ev.length - 4);
  assert.equal(hasValidChecksum(ev), false);
  writeEventChecksum(ev);
  assert.equal(storedEventCrc(ev), computeEventCrc(ev));
  assert.ok(hasValidChecksum(ev));
});
