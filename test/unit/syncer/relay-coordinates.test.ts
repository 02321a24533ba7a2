// An upstream switch moves the new upstream's dump into the relay's own file sequence: the pins
// are a new relay file after the relay's last one, a head carrying the relay's GTID state, every
// log_pos equal to the event's end in the relay file, ROTATEs naming the relay's files, valid CRCs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BinlogEventReader } from '../../../src/binlog/event-reader.js';
import type { BinlogEvent } from '../../../src/binlog/binlog-event.js';
import { LOG_EVENT_ARTIFICIAL_F } from '../../../src/binlog/event-header.js';
import { FORMAT_DESCRIPTION_EVENT, GTID_LIST_EVENT, ROTATE_EVENT } from '../../../src/binlog/event-type.js';
import { buildFakeMariaDbGtidList, parseMariaDbGtidListEvent } from '../../../src/binlog/mariadb-gtid-list-event.js';
import { buildFakeRotate, parseRotateEvent } from '../../../src/binlog/rotate-event.js';
import { MariaDbGtidSet } from '../../../src/binlog/gtid-set-mariadb.js';
import { RelayCoordinates } from '../../../src/syncer/relay-coordinates.js';
import { SyntheticBinlog } from './synthetic-binlog.js';

function events(bytes: Buffer, expectMagic: boolean): BinlogEvent[] {
  return [...new BinlogEventReader({ expectMagic, checksumBeforeFde: 'crc32' }).feed(bytes)];
}

/** The new upstream's MariaDB GTID dump: its first file from the head, the resume marker after
 *  two transactions, the rest, its ROTATE, then its second file. */
function gtidDump(): { dump: BinlogEvent[]; resumeAt: number } {
  const first = new SyntheticBinlog().transaction([100]).transaction([50]).transaction([2000, 30]).ddl('CREATE TABLE t (a INT)').rotate('r-bin.000002');
  const second = new SyntheticBinlog({ firstSeq: 4n }).transaction([10]);
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
  const original = dump.filter((e) => e.offset >= resumeAt && e.header.type !== ROTATE_EVENT && (e.header.flags & LOG_EVENT_ARTIFICIAL_F) === 0 && e.header.type !== FORMAT_DESCRIPTION_EVENT);
  const body = (e: BinlogEvent): string => Buffer.from(e.bytes.subarray(19, e.bytes.length - 4)).toString('hex');
  const translatedBodies = out.map(body);
  for (const e of original) assert.ok(translatedBodies.includes(body(e)), `event at ${e.offset} kept`);
  assert.equal(coords.upstreamFile, 'r-bin.000002', 'semi-sync acks name the upstream file');
});
