// An upstream switch moves the new upstream's dump into the relay's own file sequence: the pins
// are a new relay file after the relay's last one, a head carrying the relay's GTID state, every
// log_pos equal to the event's end in the relay file, ROTATEs and BINLOG_CHECKPOINTs naming the
// relay's files, valid CRCs; a reconnect to the same upstream goes on in the relay's current file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BinlogEventReader } from '../../../src/binlog/event-reader.js';
import type { BinlogEvent } from '../../../src/binlog/binlog-event.js';
import { LOG_EVENT_ARTIFICIAL_F } from '../../../src/binlog/event-header.js';
import { BINLOG_CHECKPOINT_EVENT, FORMAT_DESCRIPTION_EVENT, GTID_LIST_EVENT, PREVIOUS_GTIDS_LOG_EVENT, ROTATE_EVENT } from '../../../src/binlog/event-type.js';
import { buildFakeMariaDbGtidList, parseMariaDbGtidListEvent } from '../../../src/binlog/mariadb-gtid-list-event.js';
import { buildFakeRotate, parseRotateEvent } from '../../../src/binlog/rotate-event.js';
import { parseBinlogCheckpointEvent } from '../../../src/binlog/mariadb-binlog-checkpoint-event.js';
import { writeEventChecksum } from '../../../src/binlog/event-checksum.js';
import { parseFormatDescription } from '../../../src/binlog/format-description.js';
import { MariaDbGtidSet } from '../../../src/binlog/gtid-set-mariadb.js';
import { RelayCoordinates } from '../../../src/syncer/relay-coordinates.js';
import { SyntheticBinlog } from './synthetic-binlog.js';
import { readFixture } from '../binlog/listing.js';
import { isMysqlGtidEventType, parseMysqlGtidEvent } from '../../../src/binlog/mysql-gtid-event.js';
import { parsePreviousGtidsEvent } from '../../../src/binlog/previous-gtids-event.js';
import { formatMysqlGtid } from '../../../src/binlog/gtid-set-mysql.js';

function events(bytes: Buffer, expectMagic: boolean): BinlogEvent[] {
  return [...new BinlogEventReader({ expectMagic, checksumBeforeFde: 'crc32' }).feed(bytes)];
}

/** The new upstream's MariaDB GTID dump: its first file from the head, the resume marker after
 *  two transactions, the rest, its ROTATE, then its second file. */
function gtidDump(): { dump: BinlogEvent[]; resumeAt: number } {
  const first = new SyntheticBinlog().transaction([100]).transaction([50]).transaction([2000, 30]).checkpoint('r-bin.000001')
    .ddl('CREATE TABLE t (a INT)').rotate('r-bin.000002');
  const second = new SyntheticBinlog({ firstSeq: 4n }).checkpoint('r-bin.000001').transaction([10]).checkpoint('r-bin.000002').transaction([20]);
  const firstEvents = events(first.bytes(), true);
  const resumeAt = first.boundaries[2]!;
  const dump: BinlogEvent[] = [
    ...events(buildFakeRotate({ serverId: 11, nextFile: 'r-bin.000001', position: 4, checksum: true }), false),
    firstEvents[0]!,
    ...events(buildFakeMariaDbGtidList({ serverId: 11, gtids: [{ domain: 0, serverId: 11, seq: 2n }], checksum: true, logPos: resumeAt }), false),
    ...firstEvents.filter((e) => e.offset >= resumeAt),
    ...events(buildFakeRotate({ serverId: 11, nextFile: 'r-bin.000002', position: 4, checksum: true }), false),
    ...events(second.bytes(), true),
  ];
  return { dump, resumeAt };
}

/** The stored (non-artificial) events of each relay file, as the record builder would file them. */
function relayFiles(out: BinlogEvent[]): Map<string, Buffer> {
  const files = new Map<string, Buffer[]>();
  let current = '';
  for (const e of out) {
    if (e.header.type === ROTATE_EVENT && (e.header.flags & LOG_EVENT_ARTIFICIAL_F) !== 0) {
      current = parseRotateEvent(e).nextFile;
      files.set(current, [Buffer.from([0xfe, 0x62, 0x69, 0x6e])]);
      continue;
    }
    if (e.header.flags & LOG_EVENT_ARTIFICIAL_F) continue;
    files.get(current)!.push(Buffer.from(e.bytes));
  }
  return new Map([...files].map(([name, parts]) => [name, Buffer.concat(parts)]));
}

test('a GTID continuation goes on in the next relay file with every log_pos rewritten for it and valid CRCs', () => {
  const { dump } = gtidDump();
  const coords = new RelayCoordinates({ flavor: 'mariadb', lastRelayFile: 'up-bin.000007', startState: '0-1-40' });
  const files = relayFiles(dump.flatMap((e) => coords.translate(e)));
  assert.deepEqual([...files.keys()], ['up-bin.000008', 'up-bin.000009']);
  for (const [name, bytes] of files) {
    // The reader verifies each CRC; a binlog file's log_pos is each event's end in the file.
    for (const e of events(bytes, true)) assert.equal(e.header.logPos, e.offset + e.bytes.length, `${name} event at ${e.offset}`);
  }
  const head = events(files.get('up-bin.000008')!, true);
  assert.equal(head[0]!.header.type, FORMAT_DESCRIPTION_EVENT);
  assert.equal(head[1]!.header.type, GTID_LIST_EVENT);
  assert.equal(head[1]!.header.flags & LOG_EVENT_ARTIFICIAL_F, 0, 'the file head GTID_LIST is a real one');
  assert.equal(MariaDbGtidSet.fromList(parseMariaDbGtidListEvent(head[1]!).gtids).toString(), '0-1-40');
  const rotate = head[head.length - 1]!;
  assert.equal(rotate.header.type, ROTATE_EVENT);
  assert.deepEqual({ ...parseRotateEvent(rotate), artificial: false }, { position: 4, nextFile: 'up-bin.000009', artificial: false });
});

test('nothing before the resume point is kept, and events after it keep their bytes apart from log_pos and CRC', () => {
  const { dump, resumeAt } = gtidDump();
  const coords = new RelayCoordinates({ flavor: 'mariadb', lastRelayFile: 'up-bin.000007', startState: '0-1-40' });
  const out = dump.flatMap((e) => coords.translate(e));
  // ROTATEs and BINLOG_CHECKPOINTs name the relay's files instead (tested below).
  const renamed = [ROTATE_EVENT, BINLOG_CHECKPOINT_EVENT, FORMAT_DESCRIPTION_EVENT];
  const original = dump.filter((e) => e.offset >= resumeAt && !renamed.includes(e.header.type) && (e.header.flags & LOG_EVENT_ARTIFICIAL_F) === 0);
  const body = (e: BinlogEvent): string => Buffer.from(e.bytes.subarray(19, e.bytes.length - 4)).toString('hex');
  const translatedBodies = out.map(body);
  for (const e of original) assert.ok(translatedBodies.includes(body(e)), `event at ${e.offset} kept`);
  assert.equal(coords.upstreamFile, 'r-bin.000002', 'semi-sync acks name the upstream file');
});

/** Each relay file's stored events from where the stream starts writing it (`startAt`: a file
 *  already holding bytes), read back with their CRCs checked. */
function writtenFiles(out: BinlogEvent[], startAt: { file: string; pos: number } | null): Map<string, BinlogEvent[]> {
  const parts = new Map<string, { pos: number; bytes: Buffer[] }>();
  let current = startAt?.file ?? '';
  if (startAt) parts.set(current, { pos: startAt.pos, bytes: [] });
  for (const e of out) {
    if (e.header.type === ROTATE_EVENT && (e.header.flags & LOG_EVENT_ARTIFICIAL_F) !== 0) {
      current = parseRotateEvent(e).nextFile;
      if (!parts.has(current)) parts.set(current, { pos: 4, bytes: [] });
      continue;
    }
    if (e.header.flags & LOG_EVENT_ARTIFICIAL_F) continue;
    parts.get(current)!.bytes.push(Buffer.from(e.bytes));
  }
  return new Map([...parts].map(([name, p]) => [name, [...new BinlogEventReader({ expectMagic: false, startOffset: p.pos, checksumBeforeFde: 'crc32' }).feed(Buffer.concat(p.bytes))]]));
}

function assertPositions(files: Map<string, BinlogEvent[]>): void {
  for (const [name, list] of files) {
    for (const e of list) assert.equal(e.header.logPos, e.offset + e.bytes.length, `${name} event at ${e.offset}`);
  }
}

test('a reconnect to the same upstream goes on in the relay current file at its end, with no new head', () => {
  const { dump, resumeAt } = gtidDump();
  const fde = dump[1]!.bytes;
  const coords = new RelayCoordinates({ flavor: 'mariadb', lastRelayFile: 'up-bin.000007', startState: '0-11-2', continueAt: { pos: 70_000, fde: Buffer.from(fde) } });
  const out = dump.flatMap((e) => coords.translate(e));
  const files = writtenFiles(out, { file: 'up-bin.000007', pos: 70_000 });
  assert.deepEqual([...files.keys()], ['up-bin.000007', 'up-bin.000008'], 'the upstream ROTATE still starts the next relay file');
  assertPositions(files);
  const current = files.get('up-bin.000007')!;
  assert.equal(current[0]!.offset, 70_000);
  assert.ok(!current.some((e) => e.header.type === FORMAT_DESCRIPTION_EVENT || e.header.type === GTID_LIST_EVENT), 'no file head in the middle of the file');
  const secondFile = dump.findIndex((e) => e.header.type === ROTATE_EVENT && e.header.logPos === 0 && parseRotateEvent(e).nextFile === 'r-bin.000002');
  const resumed = dump.slice(0, secondFile).filter((e) => e.offset >= resumeAt && (e.header.flags & LOG_EVENT_ARTIFICIAL_F) === 0);
  assert.equal(current.length, resumed.length, 'every event of the upstream file from the resume point, nothing else');
  assert.deepEqual(parseRotateEvent(current[current.length - 1]!), { position: 4, nextFile: 'up-bin.000008', artificial: false });
});

test('a reconnect to an upgraded upstream (another FORMAT_DESCRIPTION) starts the next relay file', () => {
  const { dump } = gtidDump();
  const other = Buffer.from(dump[1]!.bytes);
  other.write('10.11.7', 19 + 2, 'latin1');
  writeEventChecksum(other);
  assert.equal(parseFormatDescription(other).serverVersion, '10.11.7-MariaDB-log');
  const coords = new RelayCoordinates({ flavor: 'mariadb', lastRelayFile: 'up-bin.000007', startState: '0-11-2', continueAt: { pos: 70_000, fde: other } });
  const files = writtenFiles(dump.flatMap((e) => coords.translate(e)), { file: 'up-bin.000007', pos: 70_000 });
  assert.equal(files.get('up-bin.000007')!.length, 0);
  assert.equal(files.get('up-bin.000008')![0]!.header.type, FORMAT_DESCRIPTION_EVENT);
});

test('BINLOG_CHECKPOINTs of the new upstream name the relay current file; later positions take in the new length', () => {
  const { dump } = gtidDump();
  const coords = new RelayCoordinates({ flavor: 'mariadb', lastRelayFile: 'relay-bin.000007', startState: '0-1-40' });
  const files = writtenFiles(dump.flatMap((e) => coords.translate(e)), null);
  assert.deepEqual([...files.keys()], ['relay-bin.000008', 'relay-bin.000009']);
  assertPositions(files);
  for (const [name, list] of files) {
    const named = list.filter((e) => e.header.type === BINLOG_CHECKPOINT_EVENT).map((e) => parseBinlogCheckpointEvent(e).file);
    assert.deepEqual(named, name === 'relay-bin.000008' ? ['relay-bin.000008'] : ['relay-bin.000009', 'relay-bin.000009'], name);
  }
});

/** A MySQL COM_BINLOG_DUMP_GTID of a real MySQL 5.7 file asked to start after its first two
 *  transactions: fake ROTATE, FDE, then the third transaction on (the server skips the others). */
function mysqlGtidDump(): { dump: BinlogEvent[]; fde: Uint8Array; firstSent: string } {
  const file = events(readFixture('mysql57-binlog', 'mysql_bin.000011'), true);
  const gtidAt = file.flatMap((e, i) => (isMysqlGtidEventType(e.header.type) ? [i] : []));
  const from = gtidAt[2]!;
  const dump = [...events(buildFakeRotate({ serverId: 3150, nextFile: 'mysql_bin.000011', position: 4, checksum: true }), false), file[0]!, ...file.slice(from)];
  return { dump, fde: file[0]!.bytes, firstSent: formatMysqlGtid(parseMysqlGtidEvent(file[from]!).gtid!) };
}

test('MySQL: a GTID continuation starts the next relay file with a PREVIOUS_GTIDS of the start set, then the first transaction sent', () => {
  const { dump } = mysqlGtidDump();
  const coords = new RelayCoordinates({ flavor: 'mysql', lastRelayFile: 'relay-bin.000007', startState: '214eb71f-96ec-11e8-ab4f-fa163e72d4ae:1-11791' });
  const files = writtenFiles(dump.flatMap((e) => coords.translate(e)), null);
  assert.equal([...files.keys()][0], 'relay-bin.000008');
  assertPositions(files);
  const head = files.get('relay-bin.000008')!;
  assert.deepEqual(head.slice(0, 3).map((e) => e.header.type), [FORMAT_DESCRIPTION_EVENT, PREVIOUS_GTIDS_LOG_EVENT, dump[2]!.header.type]);
  assert.equal(parsePreviousGtidsEvent(head[1]!).toString(), '214eb71f-96ec-11e8-ab4f-fa163e72d4ae:1-11791');
});

test('MySQL: a reconnect to the same upstream goes on in the relay current file from its first transaction sent', () => {
  const { dump, fde, firstSent } = mysqlGtidDump();
  const coords = new RelayCoordinates({
    flavor: 'mysql', lastRelayFile: 'relay-bin.000007', startState: '214eb71f-96ec-11e8-ab4f-fa163e72d4ae:1-11791',
    continueAt: { pos: 50_000, fde: Buffer.from(fde) },
  });
  const files = writtenFiles(dump.flatMap((e) => coords.translate(e)), { file: 'relay-bin.000007', pos: 50_000 });
  assertPositions(files);
  const current = files.get('relay-bin.000007')!;
  assert.equal(current[0]!.offset, 50_000);
  assert.equal(formatMysqlGtid(parseMysqlGtidEvent(current[0]!).gtid!), firstSent);
  assert.ok(!current.some((e) => e.header.type === FORMAT_DESCRIPTION_EVENT || e.header.type === PREVIOUS_GTIDS_LOG_EVENT));
});
