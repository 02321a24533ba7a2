import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openDb, type Db } from '../../../storage/db.js';
import { raftLogKey } from '../../../storage/keys.js';
import { encodeEntryRecord } from '../../../raft/codec.js';
import type { Entry } from '../../../raft/core/types.js';
import { RelayLog } from '../../../src/relaylog/relay-log.js';
import { encodeRelayRecord, type RelayRecord } from '../../../src/relaylog/relay-entry.js';
import { readSpan, RelayReadError } from '../../../src/relaylog/relay-reader.js';
import { silentLogger } from '../../../src/logger.js';

const FIXTURES = process.env.BINRELAY_FIXTURES ?? resolve(process.cwd(), '../shared/fixtures');
const FILE = 'mysql_bin.000011';
const bytes = readFileSync(join(FIXTURES, 'mysql57-binlog', FILE));

let dir: string;
let db: Db;
let nextIndex: number;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'binrelay-relaylog-'));
  db = await openDb(dir);
  nextIndex = 1;
});
afterEach(async () => {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Commits records as raft entries in LevelDB (as the raft store would) and returns the entries. */
async function commit(records: RelayRecord[]): Promise<Entry[]> {
  const entries: Entry[] = records.map((r) => ({ index: nextIndex++, term: 1, type: 'normal', data: encodeRelayRecord(r) }));
  const batch = db.batch();
  for (const e of entries) batch.put(raftLogKey(e.index), encodeEntryRecord(e));
  await batch.write();
  return entries;
}

function pieces(from: number, to: number, cuts: number[], boundaryAtEnd: boolean): RelayRecord[] {
  const points = [from, ...cuts.filter((c) => c > from && c < to), to];
  return points.slice(1).map((end, i) => ({
    kind: 'binlog', file: FILE, pos: points[i]!, bytes: bytes.subarray(points[i]!, end),
    endsAtBoundary: boundaryAtEnd && end === to,
  }));
}

async function readAll(relay: RelayLog, pos: number): Promise<Buffer> {
  const file = relay.fileByName(FILE)!;
  const out: Uint8Array[] = [];
  for (let span = await readSpan(db, file, pos); span; span = await readSpan(db, file, span.endPos)) out.push(...span.chunks);
  return Buffer.concat(out);
}

test('a file applied in pieces cut mid-event is served back byte for byte, from the start and from an event', async () => {
  const relay = await RelayLog.open(db, silentLogger);
  relay.apply(await commit(pieces(4, bytes.length, [50, 51, 700, 3000, 3001], true)));
  await relay.flush();
  const file = relay.fileByName(FILE)!;
  assert.equal(file.endPos, bytes.length);
  assert.equal(file.firstPos, 4);
  assert.equal(relay.view.flavor, 'mysql');
  assert.equal(file.startGtids, '214eb71f-96ec-11e8-ab4f-fa163e72d4ae:1-11789');
  assert.equal(relay.executedGtids.toString(), '214eb71f-96ec-11e8-ab4f-fa163e72d4ae:1-11800');
  assert.deepEqual(await readAll(relay, 4), bytes.subarray(4));
  assert.deepEqual(await readAll(relay, 194), bytes.subarray(194));
  await assert.rejects(readSpan(db, file, 195), (err: unknown) => err instanceof RelayReadError && err.code === 'RELAY_POSITION_MID_EVENT');
});

test('pieces without their boundary are never published; an abort discards them', async () => {
  const relay = await RelayLog.open(db, silentLogger);
  relay.apply(await commit(pieces(4, 259, [], true)));
  await relay.flush();
  const advances: number[] = [];
  relay.on('advance', (a: { endPos: number }) => advances.push(a.endPos));
  relay.apply(await commit(pieces(259, 1000, [400], false)));
  assert.equal(relay.fileByName(FILE)!.endPos, 259, 'pending pieces are not served');
  relay.apply(await commit([{ kind: 'abort', file: FILE, pos: 259 }]));
  relay.apply(await commit(pieces(259, bytes.length, [600], true)));
  assert.deepEqual(advances, [], 'announced only once the index rows are written');
  await relay.flush();
  assert.deepEqual(advances, [bytes.length]);
  assert.deepEqual(await readAll(relay, 4), bytes.subarray(4));
});

test('a record that does not continue the file is refused and changes nothing served', async () => {
  const relay = await RelayLog.open(db, silentLogger);
  relay.apply(await commit(pieces(4, 259, [], true)));
  relay.apply(await commit([{ kind: 'binlog', file: FILE, pos: 123, bytes: bytes.subarray(123, 259), endsAtBoundary: true }]));
  relay.apply(await commit([{ kind: 'binlog', file: 'other.000001', pos: 500, bytes: bytes.subarray(259, 475), endsAtBoundary: true }]));
  assert.equal(relay.view.refused, 2);
  assert.equal(relay.fileByName(FILE)!.endPos, 259);
  assert.equal(relay.view.files.length, 1);
});

test('a boundary claimed in the middle of an event is refused', async () => {
  const relay = await RelayLog.open(db, silentLogger);
  relay.apply(await commit([{ kind: 'binlog', file: FILE, pos: 4, bytes: bytes.subarray(4, 200), endsAtBoundary: true }]));
  assert.equal(relay.view.refused, 1);
  assert.equal(relay.view.files.length, 0);
});

test('after a restart the state is rebuilt from the checkpoint by re-applying the log', async () => {
  const first = await RelayLog.open(db, silentLogger);
  const all = await commit([...pieces(4, 1000, [], false), ...pieces(1000, bytes.length, [2000], true)]);
  first.apply(all.slice(0, 1));
  await first.flush();
  assert.equal(first.checkpointIndex, 0, 'no checkpoint inside a pending transaction');
  const reopened = await RelayLog.open(db, silentLogger);
  reopened.apply(all);
  await reopened.flush();
  const again = await RelayLog.open(db, silentLogger);
  assert.equal(again.checkpointIndex, all[all.length - 1]!.index);
  assert.equal(again.executedGtids.toString(), '214eb71f-96ec-11e8-ab4f-fa163e72d4ae:1-11800');
  assert.deepEqual(await readAll(again, 4), bytes.subarray(4));
});

test('syncer settings records are kept in the state', async () => {
  const relay = await RelayLog.open(db, silentLogger);
  relay.apply(await commit([{ kind: 'syncer', settings: { mysql_addr: '127.0.0.1:3306' } }]));
  await relay.flush();
  assert.deepEqual((await RelayLog.open(db, silentLogger)).view.syncer, { mysql_addr: '127.0.0.1:3306' });
});

test('recently published groups are served from memory with the same bytes as from LevelDB', async () => {
  const relay = await RelayLog.open(db, silentLogger);
  relay.apply(await commit([...pieces(4, 259, [], true), ...pieces(259, bytes.length, [700, 3000], true)]));
  await relay.flush();
  const file = relay.fileByName(FILE)!;
  const cached = await readSpan(db, file, 259, relay);
  assert.ok(cached && cached === relay.recentSpan(file.seq, 259), 'served from the recent-span cache');
  const stored = await readSpan(db, file, 259);
  assert.deepEqual(Buffer.concat(cached.chunks), Buffer.concat(stored!.chunks));
  assert.equal(cached.endPos, stored!.endPos);
  assert.equal(relay.recentSpan(file.seq, 260), null, 'only exact group starts are cached');
});
