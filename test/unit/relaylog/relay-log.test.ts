import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync, truncateSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { encodeRelayRecord, type RelayRecord } from '../../../src/relaylog/relay-entry.js';
import { RelayCorruptError, RelayReadError, SnapshotFileGoneError } from '../../../src/relaylog/relay-errors.js';
import { RelaySource } from '../../../src/server/relay-source.js';
import { RelayLog } from '../../../src/relaylog/relay-log.js';
import { BinlogDir } from '../../../src/relaylog/binlog-dir.js';
import { openLocalRelay, TestCheckpointSink, type LocalRelay } from '../../helpers/local-relay.js';
import { silentLogger } from '../../../src/logger.js';
import { fixturesDir } from '../binlog/listing.js';

// A real MySQL 5.7 binlog file, kept in the repo (test/fixtures/).
const FIXTURES = fixturesDir();
const FILE = 'mysql_bin.000011';
const bytes = readFileSync(join(FIXTURES, 'mysql57-binlog', FILE));

let local: LocalRelay;
beforeEach(async () => {
  local = await openLocalRelay();
});
afterEach(async () => {
  await local.close();
});

async function commit(records: RelayRecord[]): Promise<void> {
  for (const r of records) await local.commit(encodeRelayRecord(r));
}

function pieces(from: number, to: number, cuts: number[], boundaryAtEnd: boolean, file = FILE): RelayRecord[] {
  const points = [from, ...cuts.filter((c) => c > from && c < to), to];
  return points.slice(1).map((end, i) => ({
    kind: 'binlog', file, pos: points[i]!, bytes: bytes.subarray(points[i]!, end),
    endsAtBoundary: boundaryAtEnd && end === to,
  }));
}

function onDisk(name = FILE): Buffer {
  return readFileSync(join(local.dataDir, 'binlog', name));
}

test('a file applied in pieces cut mid-event is a real binlog file on disk, served back byte for byte', async () => {
  await commit(pieces(4, bytes.length, [50, 51, 700, 3000, 3001], true));
  const relay = local.relay;
  const file = relay.fileByName(FILE)!;
  assert.equal(file.endPos, bytes.length);
  assert.equal(file.firstPos, 4);
  assert.equal(relay.flavor, 'mysql');
  assert.equal(file.startGtids, '214eb71f-96ec-11e8-ab4f-fa163e72d4ae:1-11789');
  assert.equal(relay.executedGtids.toString(), '214eb71f-96ec-11e8-ab4f-fa163e72d4ae:1-11800');
  assert.ok(onDisk().equals(bytes), 'the file on disk is the upstream file');
  assert.ok((await local.fileBytes(FILE)).equals(bytes.subarray(4)));
  const source = new RelaySource(relay);
  const handle = await source.openFile(file);
  await source.checkEventStart(file, 194, handle);
  await assert.rejects(source.checkEventStart(file, 195, handle), (err: unknown) => err instanceof RelayReadError && err.code === 'RELAY_POSITION_MID_EVENT');
  await handle.release();
  source.close();
});

test('pieces without their boundary are written but never published; an abort cuts them off', async () => {
  await commit(pieces(4, 259, [], true));
  const advances: number[] = [];
  local.relay.on('advance', (a: { endPos: number }) => advances.push(a.endPos));
  await commit(pieces(259, 1000, [400], false));
  assert.equal(local.relay.fileByName(FILE)!.endPos, 259, 'pending pieces are not served');
  assert.equal(statSync(join(local.dataDir, 'binlog', FILE)).size, 1000, 'but they are in the file');
  await commit([{ kind: 'abort', file: FILE, pos: 259 }]);
  assert.equal(statSync(join(local.dataDir, 'binlog', FILE)).size, 259, 'the abort cuts them off');
  await commit(pieces(259, bytes.length, [600], true));
  assert.deepEqual(advances, [bytes.length], 'readers are woken when the group is published');
  assert.ok(onDisk().equals(bytes));
});

test('an abort killed before its checkpoint was written leaves the group for the restart; applied again, it cuts it', async () => {
  await commit(pieces(4, 259, [], true));
  await commit(pieces(259, 1000, [400], false));
  await local.applyLost(encodeRelayRecord({ kind: 'abort', file: FILE, pos: 259 }));
  assert.equal(statSync(join(local.dataDir, 'binlog', FILE)).size, 1000, 'the group stays until the state without it is written');
  await local.reopen(); // the checkpoint on disk still holds the pending group
  assert.equal(local.relay.fileByName(FILE)!.endPos, 259);
  await commit([{ kind: 'abort', file: FILE, pos: 259 }]);
  assert.equal(statSync(join(local.dataDir, 'binlog', FILE)).size, 259, 'cut once the state without the group is written');
  await commit(pieces(259, bytes.length, [600], true));
  assert.ok(onDisk().equals(bytes));
});

test('an abort of a file\'s first group killed before its checkpoint was written keeps the file for the restart', async () => {
  await commit(pieces(4, 1000, [259], false));
  await local.applyLost(encodeRelayRecord({ kind: 'abort', file: FILE, pos: 4 }));
  await local.reopen();
  assert.equal(local.relay.fileByName(FILE), undefined, 'nothing of it is served');
  await commit([{ kind: 'abort', file: FILE, pos: 4 }]);
  assert.throws(() => statSync(join(local.dataDir, 'binlog', FILE)), /ENOENT/, 'removed once the state without it is written');
  await commit(pieces(4, bytes.length, [259, 600], true));
  assert.ok(onDisk().equals(bytes));
});

test('a record that does not continue the file is refused and changes nothing served', async () => {
  await commit(pieces(4, 259, [], true));
  await commit([{ kind: 'binlog', file: FILE, pos: 123, bytes: bytes.subarray(123, 259), endsAtBoundary: true }]);
  await commit([{ kind: 'binlog', file: 'other.000001', pos: 500, bytes: bytes.subarray(259, 475), endsAtBoundary: true }]);
  assert.equal(local.relay.refused, 2);
  assert.equal(local.relay.fileByName(FILE)!.endPos, 259);
  assert.equal(local.relay.allFiles().length, 1);
  assert.ok(onDisk().equals(bytes.subarray(0, 259)));
});

test('apply reports each refused record by index, so its proposer is not told it was accepted', async () => {
  await commit(pieces(4, 259, [], true));
  const at = local.relay.checkpointIndex + 1;
  const entry = (index: number, r: RelayRecord) => ({ index, term: 1, type: 'normal' as const, data: encodeRelayRecord(r) });
  const refusals = local.relay.apply([
    entry(at, { kind: 'binlog', file: FILE, pos: 123, bytes: bytes.subarray(123, 259), endsAtBoundary: true }),
    entry(at + 1, pieces(259, 475, [], true)[0]!),
  ]);
  assert.deepEqual([...refusals.keys()], [at]);
  assert.ok(refusals.get(at)!.length > 0, 'with the reason');
});

test('a boundary claimed in the middle of an event is refused', async () => {
  await commit([{ kind: 'binlog', file: FILE, pos: 4, bytes: bytes.subarray(4, 200), endsAtBoundary: true }]);
  assert.equal(local.relay.refused, 1);
  assert.equal(local.relay.allFiles().length, 0);
});

test('a restart inside a pending transaction rebuilds it from the file and completes it', async () => {
  await commit(pieces(4, 1054, [], true));
  await commit(pieces(1054, 2500, [1500], false));
  await local.reopen();
  assert.equal(local.relay.fileByName(FILE)!.endPos, 1054);
  await commit(pieces(2500, bytes.length, [3000], true));
  assert.equal(local.relay.refused, 0);
  assert.equal(local.relay.executedGtids.toString(), '214eb71f-96ec-11e8-ab4f-fa163e72d4ae:1-11800');
  assert.ok(onDisk().equals(bytes));
});

test('a crash that loses the last checkpoint cuts the file back to the one before', async () => {
  await commit(pieces(4, 1054, [], true));
  await commit(pieces(1054, 2212, [], true));
  // Bytes applied after the last checkpoint that reached disk (the crash lost it).
  const fd = openSync(join(local.dataDir, 'binlog', FILE), 'r+');
  writeSync(fd, Buffer.from('garbage past the checkpoint'), 0, 27, 2212);
  closeSync(fd);
  await local.reopen({ crash: true });
  assert.equal(statSync(join(local.dataDir, 'binlog', FILE)).size, 2212, 'torn tail cut back');
  await commit(pieces(2212, bytes.length, [], true));
  assert.ok(onDisk().equals(bytes));
});

test('a file shorter than its checkpoint is a clear corruption at open, naming the file', async () => {
  await commit(pieces(4, 2212, [], true));
  await local.reopen();
  truncateSync(join(local.dataDir, 'binlog', FILE), 1500);
  await assert.rejects(local.reopen(), (err: unknown) => err instanceof RelayCorruptError && err.message.includes(FILE) && err.message.includes('1500'));
});

test('a corrupt byte in a file fails its read with a corruption error and tells the node', async () => {
  await commit(pieces(4, bytes.length, [], true));
  const path = join(local.dataDir, 'binlog', FILE);
  const copy = readFileSync(path);
  copy[3000] = copy[3000]! ^ 0xff;
  writeFileSync(path, copy);
  const corrupt: Error[] = [];
  local.relay.on('corrupt', (err: Error) => corrupt.push(err));
  await assert.rejects(local.fileBytes(FILE), (err: unknown) => err instanceof RelayCorruptError && /CRC32/.test(err.message) && err.message.includes(FILE));
  assert.equal(corrupt.length, 1);
});

test('syncer and member records are kept across a restart', async () => {
  await commit([{ kind: 'syncer', settings: { mysql_addr: '127.0.0.1:3306' } }]);
  await commit([{ kind: 'member', member: { id: '7', name: 'n7', peerAddr: 'h:1', adminAddr: 'h:2' } }]);
  await local.reopen();
  assert.deepEqual(local.relay.syncerRecord, { mysql_addr: '127.0.0.1:3306' });
  assert.equal(local.relay.members['7']?.name, 'n7');
});

test('a checkpoint costs the same with one file or many', async () => {
  const staged = (): number => {
    let n = 0;
    const sink = { stage: (_k: Buffer, v: Buffer | null) => { n += v?.length ?? 0; }, onceWritten: () => undefined };
    (local.relay as unknown as { sink: unknown }).sink = sink;
    local.relay.checkpoint();
    return n;
  };
  await commit(pieces(4, bytes.length, [], true));
  const one = staged();
  // Many more files (same bytes under new names: each one rotates to the next).
  for (let k = 2; k <= 40; k++) await commit(pieces(4, bytes.length, [], true, `many.${String(k).padStart(6, '0')}`));
  assert.equal(local.relay.allFiles().length, 40);
  const many = staged();
  assert.ok(many < one + 200, `checkpoint of ${many} bytes with 40 files vs ${one} with 1`);
});

test('a purge drops the files before the target from the state, and from disk once no reader holds them', async () => {
  const names = [1, 2, 3].map((k) => `mysql_bin.${String(k).padStart(6, '0')}`);
  for (const n of names) await commit(pieces(4, bytes.length, [], true, n));
  const source = new RelaySource(local.relay);
  const reading = await source.openFile(local.relay.fileByName(names[0]!)!);
  await commit([{ kind: 'purge', to: names[2]! }]);
  assert.deepEqual(local.relay.allFiles().map((f) => f.name), [names[2]]);
  assert.equal(local.relay.purgedGtids, local.relay.fileByName(names[2]!)!.startGtids);
  assert.deepEqual(local.relay.dir.heldBack(), [names[0]], 'the file a reader holds waits');
  assert.ok(!local.relay.dir.exists(names[1]!), 'the other one is gone');
  await reading.release();
  assert.ok(!local.relay.dir.exists(names[0]!), 'deleted once the reader lets go');
  await local.reopen();
  assert.deepEqual(local.relay.allFiles().map((f) => f.name), [names[2]]);
  source.close();
});

test('a snapshot install fetches what the node lacks and continues from there', async () => {
  await commit(pieces(4, 2212, [], true));
  await commit(pieces(2212, 2600, [], false));
  const state = local.relay.snapshotState();
  const other = await openLocalRelay();
  try {
    await other.commit(encodeRelayRecord(pieces(4, 1054, [], true)[0]!));
    const fetched: [string, number, number][] = [];
    await other.relay.installSnapshot(state, async (name, from, to, dest) => {
      fetched.push([name, from, to]);
      const src = readFileSync(join(local.dataDir, 'binlog', name)).subarray(from, to);
      const fd = openSync(dest, 'a+');
      closeSync(fd);
      const w = openSync(dest, 'r+');
      writeSync(w, src, 0, src.length, from);
      closeSync(w);
    });
    assert.deepEqual(fetched, [[FILE, 1054, 2600]], 'only the missing range, pending bytes included');
    for (const r of pieces(2600, bytes.length, [], true)) await other.commit(encodeRelayRecord(r));
    assert.equal(other.relay.refused, 0);
    assert.deepEqual(readFileSync(join(other.dataDir, 'binlog', FILE)), bytes);
  } finally {
    await other.close();
  }
});

test('a relay checkpoint that disagrees with the applied index record is refused at open', async () => {
  await commit(pieces(4, 1054, [], true));
  const dir = new BinlogDir(local.dataDir);
  await assert.rejects(RelayLog.open(local.db, dir, new TestCheckpointSink(local.db), silentLogger, { appliedIndex: 7, snapshotIndex: 0 }),
    (err: unknown) => err instanceof RelayCorruptError && /applied index/.test(err.message));
  dir.close();
  assert.ok(onDisk().equals(bytes.subarray(0, 1054)), 'and it touched no file');
});

test('a snapshot whose files the cluster purged since is installed without them, and the log goes on', async () => {
  await commit(pieces(4, bytes.length, [], true));
  const state = local.relay.snapshotState();
  const other = await openLocalRelay();
  try {
    await other.relay.installSnapshot(state, (name) => Promise.reject(new SnapshotFileGoneError(name)));
    assert.equal(other.relay.allFiles().length, 0, 'no file of the snapshot is held');
    assert.equal(other.relay.purgedGtids, other.relay.executedGtids.toString(), 'everything executed counts as purged');
    // The next file of the log starts at 4 and is held whole.
    for (const r of pieces(4, bytes.length, [], true, 'mysql_bin.000012')) await other.commit(encodeRelayRecord(r));
    assert.deepEqual(other.relay.allFiles().map((f) => f.name), ['mysql_bin.000012']);
    assert.equal(other.relay.refused, 0);
  } finally {
    await other.close();
  }
});

test('after a snapshot whose pending file was purged, the pieces continuing it are skipped, not refused; the next file applies', async () => {
  await commit(pieces(4, 259, [], true));
  await commit(pieces(259, 1000, [], false)); // a group left pending in the file
  const state = local.relay.snapshotState();
  const other = await openLocalRelay();
  try {
    await other.relay.installSnapshot(state, (name) => Promise.reject(new SnapshotFileGoneError(name)));
    assert.equal(other.relay.hasPending, false, 'the pending group went with its file');
    // The log goes on with the rest of that group (mid-event), then the next file.
    for (const r of pieces(1000, bytes.length, [2000], true)) await other.commit(encodeRelayRecord(r));
    assert.equal(other.relay.refused, 0, 'a continuation of a purged file is not a broken record');
    assert.equal(other.relay.allFiles().length, 0, 'and it wrote nothing');
    for (const r of pieces(4, bytes.length, [], true, 'mysql_bin.000012')) await other.commit(encodeRelayRecord(r));
    assert.deepEqual(other.relay.allFiles().map((f) => f.name), ['mysql_bin.000012']);
    assert.equal(other.relay.refused, 0);
    assert.ok(readFileSync(join(other.dataDir, 'binlog', 'mysql_bin.000012')).equals(bytes));
  } finally {
    await other.close();
  }
});

test('the installed snapshot state shows only once its files are in; its members, to fetch from, at once', async () => {
  await commit([{ kind: 'member', member: { id: '7', name: 'n7', peerAddr: 'h:1', adminAddr: 'h:2' } }]);
  await commit(pieces(4, bytes.length, [], true));
  const state = local.relay.snapshotState();
  const other = await openLocalRelay();
  try {
    let seenDuringFetch: { files: number; admin: string | undefined } | null = null;
    await other.relay.installSnapshot(state, async (_name, _from, to, dest) => {
      seenDuringFetch = { files: other.relay.allFiles().length, admin: other.relay.members['7']?.adminAddr };
      writeFileSync(dest, bytes.subarray(0, to));
    });
    assert.deepEqual(seenDuringFetch, { files: 0, admin: 'h:2' }, 'while fetching, readers see the old (empty) state, the fetcher the new members');
    assert.deepEqual(other.relay.allFiles().map((f) => f.name), [FILE]);
  } finally {
    await other.close();
  }
});
