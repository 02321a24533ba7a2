import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream, readFileSync } from 'node:fs';
import { BinlogError, type BinlogErrorCode } from '../../../src/binlog/binlog-error.js';
import type { BinlogEvent } from '../../../src/binlog/binlog-event.js';
import { BINLOG_CHECKSUM_ALG_OFF } from '../../../src/binlog/event-checksum.js';
import { BinlogEventReader, readBinlogEvents, type EventReaderOptions } from '../../../src/binlog/event-reader.js';
import { readBinlogFile } from '../../../src/binlog/binlog-file.js';
import { eventGtid } from '../../../src/binlog/event-summary.js';
import { eventTypeName } from '../../../src/binlog/event-type.js';
import { buildFormatDescription, parseFormatDescription, rewriteFormatDescription } from '../../../src/binlog/format-description.js';
import { buildFakeRotate } from '../../../src/binlog/rotate-event.js';
import { buildHeartbeat } from '../../../src/binlog/heartbeat-event.js';
import { allFixtureListings, readFixture, seededRandom } from './listing.js';

function readAll(input: Uint8Array, chunkSizes: (i: number) => number = () => input.length, options?: EventReaderOptions): BinlogEvent[] {
  const reader = new BinlogEventReader(options);
  const out: BinlogEvent[] = [];
  for (let pos = 0, i = 0; pos < input.length; i++) {
    const n = Math.max(1, chunkSizes(i));
    out.push(...reader.feed(input.subarray(pos, pos + n)));
    pos += n;
  }
  reader.end();
  return out;
}

function errorCode(fn: () => unknown): BinlogErrorCode | 'none' {
  try {
    fn();
    return 'none';
  } catch (err) {
    if (err instanceof BinlogError) return err.code;
    throw err;
  }
}

test('every event of every fixture is read at its listed offset with the listed end, type, server id and GTID', () => {
  for (const f of allFixtureListings()) {
    const events = readAll(readFixture(...f.name.split('/')));
    assert.equal(events.length, f.events.length, f.name);
    events.forEach((ev, i) => {
      const listed = f.events[i]!;
      const where = `${f.name} event ${i} @${listed.pos}`;
      assert.equal(ev.offset, listed.pos, where);
      assert.equal(ev.header.logPos, listed.end, where);
      assert.equal(eventTypeName(ev.header.type), listed.type, where);
      assert.equal(ev.header.serverId, listed.serverId, where);
      assert.equal(eventGtid(ev), listed.gtid, where);
      assert.equal(ev.checksumLength, 4, where);
    });
  }
});

test('the listings really do carry GTIDs for the GTID-mode fixtures (the comparison above is not vacuous)', () => {
  const gtids = allFixtureListings().flatMap((f) => f.events.filter((e) => e.gtid).map((e) => e.gtid));
  assert.ok(gtids.length >= 23, `${gtids.length} GTIDs listed`);
  assert.ok(gtids.includes('214eb71f-96ec-11e8-ab4f-fa163e72d4ae:11790'));
  assert.ok(gtids.includes('fbda2ad0-7c46-11ec-ae30-4ef7efc81a2a:3'));
});

test('chunks cut at any size give the same events as one chunk', () => {
  const file = readFixture('mysql57-binlog', 'mysql_bin.000011');
  const whole = readAll(file).map((e) => [e.offset, Buffer.from(e.bytes).toString('hex')]);
  for (let size = 1; size <= 70; size++) {
    assert.deepEqual(readAll(file, () => size).map((e) => [e.offset, Buffer.from(e.bytes).toString('hex')]), whole, `chunk size ${size}`);
  }
  for (let seed = 1; seed <= 30; seed++) {
    const rnd = seededRandom(seed);
    const got = readAll(file, () => Math.floor(rnd() * 300)).map((e) => [e.offset, Buffer.from(e.bytes).toString('hex')]);
    assert.deepEqual(got, whole, `random chunks, seed ${seed}`);
  }
});

test('an event that lies inside one chunk is handed out as a view of that chunk, not a copy', () => {
  const file = readFixture('mysql8-binlog', 'json-opaque.binlog');
  const events = new BinlogEventReader().feed(file);
  for (const ev of events) {
    assert.equal(ev.bytes.buffer, file.buffer);
    assert.equal(ev.bytes.byteOffset, file.byteOffset + ev.offset);
  }
});

test('the reader never holds more than the one event it is assembling', () => {
  const file = readFixture('mysql57-binlog', 'mysql_bin.000012');
  const largest = Math.max(...readAll(file).map((e) => e.bytes.length));
  const reader = new BinlogEventReader();
  for (let pos = 0; pos < file.length; pos += 7) {
    reader.feed(file.subarray(pos, pos + 7));
    assert.ok(reader.bufferedBytes <= largest, `${reader.bufferedBytes} bytes held`);
  }
  reader.end();
});

test('a file cut anywhere inside an event is BINLOG_TRUNCATED at that event; cut between events it is not', () => {
  const file = readFixture('mysql8-binlog', 'mysql_type_bit.000001');
  const starts = readAll(file).map((e) => e.offset);
  for (let cut = 1; cut < file.length; cut++) {
    for (const chunk of [file.length, 5]) {
      const reader = new BinlogEventReader();
      let err: unknown;
      let events = 0;
      try {
        for (let p = 0; p < cut; p += chunk) events += reader.feed(file.subarray(p, Math.min(cut, p + chunk))).length;
        reader.end();
      } catch (e) {
        err = e;
      }
      if (cut === 4 || starts.includes(cut)) {
        assert.equal(err, undefined, `cut at boundary ${cut}`);
        assert.equal(events, starts.filter((s) => s < cut).length);
      } else {
        assert.ok(err instanceof BinlogError && err.code === 'BINLOG_TRUNCATED', `cut at ${cut}: ${String(err)}`);
        const expected = cut < 4 ? cut : Math.max(...starts.filter((s) => s < cut));
        assert.equal(err.offset, expected, `cut at ${cut}`);
      }
    }
  }
});

test('flipping any byte of a file makes reading fail with a typed error, never a silent answer', () => {
  for (const { name, path } of allFixtureListings()) {
    const file = readFileSync(path);
    const seen = new Set<string>();
    for (let i = 0; i < file.length; i++) {
      const bad = Buffer.from(file);
      bad[i] ^= 0xff;
      const code = errorCode(() => readAll(bad));
      assert.notEqual(code, 'none', `${name}: flip at ${i} went unnoticed`);
      seen.add(code);
      if (i >= 4 && i < 4 + 9) assert.equal(code, 'BINLOG_BAD_CHECKSUM', `flip in the FDE header at ${i}`);
    }
    assert.ok(seen.has('BINLOG_BAD_MAGIC') && seen.has('BINLOG_BAD_CHECKSUM'), [...seen].join());
  }
});

test('impossible event lengths are BINLOG_BAD_EVENT_LENGTH', () => {
  const file = Buffer.from(readFixture('mysql8-binlog', 'mysql_type_bit.000001'));
  const short = Buffer.from(file);
  short.writeUInt32LE(18, 4 + 9);
  assert.equal(errorCode(() => readAll(short)), 'BINLOG_BAD_EVENT_LENGTH');
  const huge = Buffer.from(file);
  huge.writeUInt32LE(0xfffffff0, 4 + 9);
  assert.equal(errorCode(() => readAll(huge)), 'BINLOG_BAD_EVENT_LENGTH');
  assert.equal(errorCode(() => readAll(file, undefined, { maxEventSize: 100 })), 'BINLOG_BAD_EVENT_LENGTH');
});

test('input that is not a binlog is BINLOG_BAD_MAGIC', () => {
  assert.equal(errorCode(() => readAll(Buffer.from('hello world, not a binlog'))), 'BINLOG_BAD_MAGIC');
});

test('a dump stream (no magic) starting with a fake ROTATE with or without CRC is read in detect mode', () => {
  const file = readFixture('mysql8-binlog', 'mysql_type_bit.000001');
  const fileEvents = readAll(file);
  const fde = rewriteFormatDescription(fileEvents[0]!.bytes);
  const rest = fileEvents.slice(1).map((e) => e.bytes);
  for (const checksum of [true, false]) {
    const rotate = buildFakeRotate({ serverId: 1, nextFile: 'binlog.000001', position: 4, checksum });
    const hb = buildHeartbeat({ serverId: 1, file: 'binlog.000001', position: 1001, checksum: true });
    const stream = Buffer.concat([rotate, fde, ...rest, hb]);
    const events = readAll(stream, () => 13, { expectMagic: false });
    assert.deepEqual(events.map((e) => eventTypeName(e.header.type)), ['ROTATE', 'FORMAT_DESCRIPTION', ...fileEvents.slice(1).map((e) => eventTypeName(e.header.type)), 'HEARTBEAT']);
    assert.equal(events[0]!.checksumLength, checksum ? 4 : 0);
    assert.equal(events[0]!.offset, 0);
    assert.equal(events[1]!.offset, rotate.length);
    if (!checksum) {
      assert.equal(errorCode(() => readAll(stream, undefined, { expectMagic: false, checksumBeforeFde: 'crc32' })), 'BINLOG_BAD_CHECKSUM');
    }
  }
});

test('events after an FDE with checksums OFF have no CRC and their bodies end at the event end', () => {
  const fde = buildFormatDescription({
    serverId: 3, serverVersion: '10.11.19-MariaDB-log', checksumAlg: BINLOG_CHECKSUM_ALG_OFF,
    postHeaderLengths: parseFormatDescription(readAll(readFixture('mysql8-binlog', 'mysql_type_bit.000001'))[0]!.bytes).postHeaderLengths,
  });
  const rotate = buildFakeRotate({ serverId: 3, nextFile: 'x-bin.000002', position: 4, checksum: false });
  const file = Buffer.concat([Buffer.from([0xfe, 0x62, 0x69, 0x6e]), fde, rotate]);
  const events = readAll(file, () => 3);
  assert.equal(events[0]!.checksumLength, 4, 'the FDE itself still carries its CRC');
  assert.equal(events[1]!.checksumLength, 0);
});

test('reading from the middle of a file with the FDE given reports true file offsets', () => {
  const file = readFixture('mysql8-binlog', 'mysql_type_bit.000001');
  const all = readAll(file);
  const format = parseFormatDescription(all[0]!.bytes);
  const from = all[4]!.offset;
  const tail = readAll(file.subarray(from), () => 50, { expectMagic: false, startOffset: from, format });
  assert.deepEqual(tail.map((e) => e.offset), all.slice(4).map((e) => e.offset));
});

test('readBinlogFile streams a file from disk with the same events as an in-memory read', async () => {
  for (const f of allFixtureListings()) {
    const offsets: number[] = [];
    for await (const ev of readBinlogFile(f.path)) offsets.push(ev.offset);
    assert.deepEqual(offsets, f.events.map((e) => e.pos), f.name);
  }
  // A stream with tiny chunks exercises assembly across many reads.
  const offsets: number[] = [];
  for await (const ev of readBinlogEvents(createReadStream(allFixtureListings()[0]!.path, { highWaterMark: 16 }))) offsets.push(ev.offset);
  assert.deepEqual(offsets, allFixtureListings()[0]!.events.map((e) => e.pos));
});

test('events() yields every good event of a chunk before throwing on a bad one', () => {
  const file = Buffer.from(readFixture('mysql8-binlog', 'mysql_type_bit.000001'));
  file[800] ^= 0x10; // inside the QUERY BEGIN at 781–857
  const good: number[] = [];
  const reader = new BinlogEventReader();
  assert.throws(() => {
    for (const ev of reader.events(file)) good.push(ev.offset);
  }, (e: unknown) => e instanceof BinlogError && e.code === 'BINLOG_BAD_CHECKSUM' && e.offset === 781);
  assert.deepEqual(good, [4, 125, 156, 235, 491, 568, 702]);
});
