import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Entry, HardState, SnapshotMeta } from '../../../raft/core/types.js';
import type { PersistBatch } from '../../../raft/ports.js';
import { openDb, type Db } from '../../../storage/db.js';
import { appliedIndexKey, metaKey, RaftStateField, raftStateKey } from '../../../storage/keys.js';
import { MetaStore } from '../../../storage/meta-store.js';
import { SegmentRaftStore, type RaftStoreOptions } from '../../../storage/raft-store.js';
import { StorageError } from '../../../storage/storage-error.js';

function ents(lo: number, hi: number, term: number, size = 32): Entry[] {
  const out: Entry[] = [];
  for (let i = lo; i < hi; i++) out.push({ index: i, term, type: 'normal', data: Buffer.alloc(size, (i * 7 + term) & 0xff) });
  return out;
}

function batch(entries: Entry[], hardState: HardState | null = null, extra: Partial<PersistBatch> = {}): PersistBatch {
  return { entries, hardState, snapshot: null, sync: true, ...extra };
}

function snapshot(index: number, term: number, voters: number[] = [1, 2, 3]): SnapshotMeta {
  return { index, term, confState: { voters, learners: [] }, data: Buffer.from(`snap@${index}`) };
}

/** A database and a segment directory in a fresh temp dir; `reopen` closes both and opens the
 *  database again (a clean restart). */
async function withDb(fn: (ctx: {
  db: Db; logDir: string; open: (o?: RaftStoreOptions) => Promise<SegmentRaftStore>; reopen: () => Promise<Db>;
}) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'binrelay-raft-store-'));
  const logDir = join(dir, 'raft-log');
  let db = await openDb(join(dir, 'leveldb'));
  const stores: SegmentRaftStore[] = [];
  try {
    await fn({
      get db() { return db; },
      logDir,
      open: async (o) => {
        const s = await SegmentRaftStore.open(db, logDir, o);
        stores.push(s);
        return s;
      },
      reopen: async () => {
        for (const s of stores.splice(0)) await s.close();
        await db.close();
        db = await openDb(join(dir, 'leveldb'));
        return db;
      },
    });
  } finally {
    for (const s of stores) await s.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The segment files of `logDir` as `epoch-first` names, oldest first. */
function segmentNames(logDir: string): string[] {
  return readdirSync(logDir).filter((f) => f.endsWith('.seg')).sort()
    .map((f) => f.replace(/^0*(\d+)-0*(\d+)\.seg$/, '$1-$2'));
}

/** Flips one bit of the byte `fromEnd` bytes before the end of the newest segment file. */
function damageNewestSegment(logDir: string, fromEnd: number): void {
  const name = readdirSync(logDir).filter((f) => f.endsWith('.seg')).sort().at(-1)!;
  const bytes = readFileSync(join(logDir, name));
  bytes[bytes.length - fromEnd]! ^= 1;
  writeFileSync(join(logDir, name), bytes);
}

const isCode = (code: string) => (err: unknown): boolean => (err as { code?: string }).code === code;

test('an empty store starts at index 0 with zero hard state and empty membership', async () => {
  await withDb(async ({ open }) => {
    const s = await open();
    assert.equal(s.firstIndex(), 1);
    assert.equal(s.lastIndex(), 0);
    assert.equal(s.term(0), 0);
    assert.deepEqual(s.initialState(), { hardState: { term: 0, vote: 0, commit: 0 }, confState: { voters: [], learners: [] } });
    assert.deepEqual(s.entries(1, 1, 100), []);
  });
});

test('persisted entries and hard state survive a reopen, with terms answered from memory', async () => {
  await withDb(async ({ open, reopen }) => {
    const s = await open();
    await s.persist(batch(ents(1, 11, 1), { term: 1, vote: 1, commit: 0 }));
    await s.persist(batch(ents(11, 21, 3), { term: 3, vote: 2, commit: 15 }));
    assert.equal(s.lastIndex(), 20);
    await reopen();
    const r = await open();
    assert.equal(r.firstIndex(), 1);
    assert.equal(r.lastIndex(), 20);
    assert.deepEqual(r.initialState().hardState, { term: 3, vote: 2, commit: 15 });
    assert.equal(r.term(10), 1);
    assert.equal(r.term(11), 3);
    assert.deepEqual(r.entries(9, 13, Infinity).map((e) => [e.index, e.term]), [[9, 1], [10, 1], [11, 3], [12, 3]]);
    assert.deepEqual([...r.entries(5, 6, 0)[0]!.data], [...ents(5, 6, 1)[0]!.data]);
    assert.equal(r.stats().termRuns, 2);
  });
});

test('term and entries outside the log throw the core errors', async () => {
  await withDb(async ({ open }) => {
    const s = await open();
    await s.persist(batch(ents(1, 11, 2)));
    await s.compact(snapshot(4, 2));
    assert.equal(s.term(4), 2);
    assert.throws(() => s.term(3), isCode('RAFT_COMPACTED'));
    assert.throws(() => s.term(11), isCode('RAFT_UNAVAILABLE'));
    assert.throws(() => s.entries(4, 6, 100), isCode('RAFT_COMPACTED'));
    assert.throws(() => s.entries(5, 12, 100), isCode('RAFT_UNAVAILABLE'));
  });
});

test('a conflicting suffix is cut from the segment files before the new entries are appended', async () => {
  await withDb(async ({ open, reopen }) => {
    const s = await open();
    await s.persist(batch(ents(1, 11, 1)));
    await s.persist(batch(ents(6, 8, 2), { term: 2, vote: 0, commit: 5 }));
    assert.equal(s.lastIndex(), 7);
    assert.equal(s.term(5), 1);
    assert.equal(s.term(6), 2);
    assert.deepEqual(s.entries(4, 8, Infinity).map((e) => e.term), [1, 1, 2, 2]);
    assert.deepEqual((await s.readLog(1, 8)).map((e) => [e.index, e.term]), [[1, 1], [2, 1], [3, 1], [4, 1], [5, 1], [6, 2], [7, 2]]);
    await reopen();
    const r = await open();
    assert.equal(r.lastIndex(), 7);
    assert.equal(r.term(7), 2);
  });
});

test('a batch of more buffers than one writev takes (IOV_MAX 1024) is written whole', async () => {
  await withDb(async ({ open, reopen }) => {
    const s = await open();
    await s.persist(batch(ents(1, 3001, 1, 7)));
    await reopen();
    const r = await open({ warmBytesMax: 0 });
    assert.equal(r.lastIndex(), 3000);
    const back = await r.readLog(1, 3001);
    assert.ok(back.every((e, k) => e.index === k + 1 && Buffer.from(e.data).equals(ents(k + 1, k + 2, 1, 7)[0]!.data)));
  });
});

test('a suffix cut across segments deletes the newer segments and continues in the one it cuts', async () => {
  await withDb(async ({ open, reopen, logDir }) => {
    const s = await open({ segmentBytes: 4096 });
    for (let i = 1; i <= 100; i += 10) await s.persist(batch(ents(i, i + 10, 1, 500)));
    assert.ok(s.segmentFiles().length >= 5, `${s.segmentFiles().length} segments`);
    await s.persist(batch(ents(25, 27, 2, 500), { term: 2, vote: 0, commit: 20 }));
    assert.equal(s.lastIndex(), 26);
    assert.deepEqual(segmentNames(logDir), s.segmentFiles().map((f) => `0-${f.first}`));
    assert.ok(s.segmentFiles().at(-1)!.first <= 25);
    await reopen();
    const r = await open({ segmentBytes: 4096 });
    assert.equal(r.lastIndex(), 26);
    assert.deepEqual((await r.readLog(20, 27)).map((e) => e.term), [1, 1, 1, 1, 1, 2, 2]);
  });
});

test('invalid batches are refused with ERR_STORAGE_INVALID_ARGUMENT and the store stays usable', async () => {
  await withDb(async ({ db, open }) => {
    const s = await open();
    await s.persist(batch(ents(1, 6, 2)));
    const invalid = isCode('ERR_STORAGE_INVALID_ARGUMENT');
    await assert.rejects(s.persist(batch(ents(8, 9, 2))), invalid); // gap
    await assert.rejects(s.persist(batch([...ents(6, 7, 2), ...ents(8, 9, 2)])), invalid); // not contiguous
    await assert.rejects(s.persist(batch(ents(6, 7, 1))), invalid); // term goes down
    await assert.rejects(s.persist(batch([], { term: 2, vote: 0, commit: 9 })), invalid); // commit past last
    s.stage(metaKey('x'), Buffer.from('1'));
    await assert.rejects(s.persist(batch([]), (w) => w.put(raftStateKey(RaftStateField.snapshotMeta), Buffer.alloc(1))), invalid);
    assert.throws(() => s.stage(raftStateKey(RaftStateField.hardState), null), invalid);
    await s.persist(batch(ents(6, 8, 2)));
    assert.equal(s.lastIndex(), 7);
    assert.equal(new MetaStore(db).get('x')?.toString(), '1', 'a refused batch lost a staged record');
  });
});

test('a cache miss throws LogTemporarilyUnavailableError and fetchEntries makes the range readable', async () => {
  await withDb(async ({ open, reopen }) => {
    const s = await open();
    for (let i = 1; i <= 200; i += 20) await s.persist(batch(ents(i, i + 20, 1, 1000), null, { sync: false }));
    await reopen();
    const r = await open({ tailCacheBytesMax: 20 * 1064, warmBytesMax: 20 * 1064 });
    assert.deepEqual(r.entries(190, 201, Infinity).map((e) => e.index).at(-1), 200);
    assert.throws(() => r.entries(10, 20, Infinity), (err: unknown) => isCode('RAFT_LOG_TEMPORARILY_UNAVAILABLE')(err) && (err as { lo: number }).lo === 10);
    await r.fetchEntries(10, 20);
    assert.deepEqual(r.entries(10, 20, Infinity).map((e) => e.index), [10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    assert.deepEqual([...r.entries(12, 13, 0)[0]!.data], [...ents(12, 13, 1, 1000)[0]!.data]);
  });
});

test('the tail cache stays within its byte bound while appending', async () => {
  await withDb(async ({ open }) => {
    const s = await open({ tailCacheBytesMax: 64 * 1024 });
    for (let i = 1; i <= 400; i += 10) await s.persist(batch(ents(i, i + 10, 1, 4096), null, { sync: false }));
    assert.ok(s.stats().tailBytes <= 64 * 1024, `tail holds ${s.stats().tailBytes} bytes`);
    assert.equal(s.entries(400, 401, 0)[0]!.index, 400);
  });
});

test('a fetch racing a suffix truncation does not cache the replaced entries', async () => {
  await withDb(async ({ open, reopen }) => {
    const s = await open();
    await s.persist(batch(ents(1, 101, 1, 100), null, { sync: false }));
    await reopen();
    const r = await open({ tailCacheBytesMax: 0, warmBytesMax: 0 });
    const fetching = r.fetchEntries(1, 101);
    await r.persist(batch(ents(50, 51, 2)));
    await fetching;
    assert.equal(r.lastIndex(), 50);
    assert.equal(r.entries(50, 51, 0)[0]!.term, 2);
    // A read that met the cut file kept nothing: fetching again is what the driver does then.
    await r.fetchEntries(1, 51);
    const got = r.entries(1, 51, Infinity);
    for (const e of got) assert.equal(e.term, e.index < 50 ? 1 : 2, `entry ${e.index}`);
  });
});

test('compaction moves the first index at once and deletes the segments it emptied, idempotently', async () => {
  await withDb(async ({ open, reopen, logDir }) => {
    const s = await open({ segmentBytes: 2048 });
    for (let i = 1; i <= 50; i += 5) await s.persist(batch(ents(i, i + 5, 1, 400), { term: 1, vote: 1, commit: i + 4 }));
    const before = s.segmentFiles().length;
    await s.compact(snapshot(30, 1));
    assert.equal(s.firstIndex(), 31);
    assert.equal(s.term(30), 1);
    await s.compact(snapshot(20, 1)); // older: no-op
    await s.compact(snapshot(30, 1)); // same: no-op
    const kept = s.segmentFiles();
    assert.ok(kept.length < before, `${before} segments before, ${kept.length} after`);
    assert.ok(kept[0]!.first <= 31 && (kept[1]?.first ?? Infinity) > 31, `the first kept segment holds 31: ${JSON.stringify(kept)}`);
    assert.deepEqual(segmentNames(logDir), kept.map((f) => `0-${f.first}`));
    await assert.rejects(s.compact(snapshot(60, 1)), isCode('ERR_STORAGE_INVALID_ARGUMENT'));
    await assert.rejects(s.compact(snapshot(40, 7)), isCode('ERR_STORAGE_INVALID_ARGUMENT'));
    await reopen();
    const r = await open();
    assert.equal(r.firstIndex(), 31);
    assert.equal(r.lastIndex(), 50);
    assert.deepEqual(r.snapshotMeta().data, Buffer.from('snap@30'));
    assert.deepEqual((await r.readLog(31, 33)).map((e) => e.index), [31, 32]);
  });
});

test('installing a snapshot starts a new epoch of segments, records its membership and deletes the old files', async () => {
  await withDb(async ({ open, reopen, logDir }) => {
    const s = await open();
    await s.persist(batch(ents(1, 21, 1)));
    await s.persist({ entries: ents(101, 103, 5), hardState: { term: 5, vote: 0, commit: 100 }, snapshot: snapshot(100, 4, [1, 2]), sync: true });
    assert.equal(s.firstIndex(), 101);
    assert.equal(s.lastIndex(), 102);
    assert.equal(s.term(100), 4);
    assert.deepEqual(s.initialState().confState, { voters: [1, 2], learners: [] });
    assert.deepEqual(segmentNames(logDir), ['1-101']);
    await reopen();
    const r = await open();
    assert.equal(r.term(101), 5);
    assert.deepEqual(r.initialState().confState, { voters: [1, 2], learners: [] });
  });
});

test('a crash between a snapshot\'s new segment and its records keeps the old log; open deletes the new file', async () => {
  await withDb(async ({ open, reopen, logDir }) => {
    const s = await open();
    await s.persist(batch(ents(1, 21, 1), { term: 1, vote: 1, commit: 20 }));
    await reopen();
    // What a node killed between the two writes leaves: a segment of epoch 1 nobody recorded.
    writeFileSync(join(logDir, '0000000001-00000000000000000101.seg'), Buffer.alloc(64, 9));
    const r = await open();
    assert.equal(r.lastIndex(), 20);
    assert.deepEqual(segmentNames(logDir), ['0-1']);
  });
});

test('a snapshot below the log end drops the entries after it in the same batch', async () => {
  await withDb(async ({ open, logDir }) => {
    const s = await open();
    await s.persist(batch(ents(1, 21, 1)));
    await s.persist({ entries: [], hardState: { term: 2, vote: 0, commit: 10 }, snapshot: snapshot(10, 2), sync: true });
    assert.equal(s.lastIndex(), 10);
    assert.deepEqual(segmentNames(logDir), []);
    await s.persist(batch(ents(11, 13, 2)));
    assert.deepEqual(segmentNames(logDir), ['1-11']);
  });
});

test('a persisted conf state is the initial membership after a restart and compaction keeps it', async () => {
  await withDb(async ({ open, reopen }) => {
    const s = await open();
    await s.persist(batch(ents(1, 11, 1), { term: 1, vote: 1, commit: 10 }, { confState: { voters: [1, 2, 3], learners: [4] } }));
    await s.compact(snapshot(5, 1, [1]));
    await reopen();
    const r = await open();
    assert.deepEqual(r.initialState().confState, { voters: [1, 2, 3], learners: [4] });
  });
});

test('staged relay records and the applied index commit atomically with the next persist', async () => {
  await withDb(async ({ db, open, reopen }) => {
    const s = await open();
    s.stageAppliedIndex(3);
    s.stage(metaKey('relay.gtid'), Buffer.from('a'));
    s.stage(metaKey('relay.gtid'), Buffer.from('b'));
    assert.equal(db.getSync(appliedIndexKey()), undefined);
    await s.persist(batch(ents(1, 4, 1)), (w) => MetaStore.putInBatch(w, 'relay.extra', Buffer.from('x')));
    assert.equal(new MetaStore(db).get('relay.gtid')?.toString(), 'b');
    assert.equal(new MetaStore(db).get('relay.extra')?.toString(), 'x');
    s.stageAppliedIndex(4);
    assert.throws(() => s.stageAppliedIndex(2), isCode('ERR_STORAGE_INVALID_ARGUMENT'));
    await s.flushStaged(true);
    await reopen();
    const r = await open();
    assert.equal(r.appliedIndex(), 4);
  });
});

test('a stager passed before a persist runs once, when the batch is taken, and its records ride that batch', async () => {
  await withDb(async ({ db, open }) => {
    const s = await open();
    let state = 'a';
    let runs = 0;
    const stager = (): void => {
      runs++;
      s.stage(metaKey('relay.head'), Buffer.from(state));
    };
    s.stageBeforeTake(stager);
    state = 'b';
    s.stageBeforeTake(stager);
    assert.equal(s.hasStaged(), true, 'a waiting stager makes a batch owed');
    assert.equal(runs, 0);
    const written = s.persist(batch(ents(1, 2, 1)));
    state = 'c'; // after the take: for the next batch
    await written;
    assert.equal(runs, 1);
    assert.equal(new MetaStore(db).get('relay.head')?.toString(), 'b');
    assert.equal(s.hasStaged(), false);
  });
});

test('a torn record past the commit index is cut at open; the log continues after it', async () => {
  await withDb(async ({ open, reopen, logDir }) => {
    const s = await open();
    await s.persist(batch(ents(1, 11, 1, 100), { term: 1, vote: 1, commit: 8 }));
    await reopen();
    damageNewestSegment(logDir, 10); // inside entry 10's payload
    const r = await open();
    assert.equal(r.lastIndex(), 9);
    await r.persist(batch(ents(10, 12, 1, 100)));
    await reopen();
    const again = await open();
    assert.equal(again.lastIndex(), 11);
    assert.equal((await again.readLog(10, 12)).length, 2);
  });
});

test('the zero padding a crash leaves after direct appends is cut at open without a word, in every segment', async () => {
  await withDb(async ({ open, reopen, logDir }) => {
    const s = await open({ segmentBytes: 1000 });
    for (let i = 1; i <= 30; i += 3) await s.persist(batch(ents(i, i + 3, 1, 100), { term: 1, vote: 1, commit: i + 2 }));
    // What the files hold before a clean close cuts the padding: what a SIGKILL leaves.
    const names = readdirSync(logDir).filter((f) => f.endsWith('.seg'));
    assert.ok(names.length >= 3, `several segments (${names.length})`);
    const crashed = new Map(names.map((n) => [n, readFileSync(join(logDir, n))]));
    assert.ok([...crashed.values()].some((b) => b.length % 4096 === 0 && b.at(-1) === 0), 'direct writes padded the newest file');
    await reopen();
    for (const [n, bytes] of crashed) writeFileSync(join(logDir, n), bytes);
    const warnings: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => warnings.push(line) });
    const r = await open({ logger });
    assert.equal(r.lastIndex(), 30);
    assert.deepEqual((await r.readLog(1, 31)).map((e) => e.index), Array.from({ length: 30 }, (_, k) => k + 1));
    assert.deepEqual(warnings, []);
    await r.persist(batch(ents(31, 33, 1, 100)));
    await reopen();
    assert.equal((await open()).lastIndex(), 32);
  });
});

test('with direct I/O off the segments are appended through the page cache, unpadded, and read back the same', async () => {
  await withDb(async ({ open, reopen, logDir }) => {
    const s = await open({ directIo: false });
    await s.persist(batch(ents(1, 6, 1, 100), { term: 1, vote: 1, commit: 5 }));
    const [name] = readdirSync(logDir).filter((f) => f.endsWith('.seg'));
    assert.equal(readFileSync(join(logDir, name!)).length, 24 + 5 * 125, 'the file ends with its last record, before any close');
    await reopen();
    const r = await open({ directIo: false });
    assert.deepEqual((await r.readLog(1, 6)).map((e) => Buffer.from(e.data)), ents(1, 6, 1, 100).map((e) => e.data));
  });
});

test('a damaged committed entry is corruption at open, wherever it is', async () => {
  await withDb(async ({ open, reopen, logDir }) => {
    const s = await open();
    await s.persist(batch(ents(1, 11, 1, 100), { term: 1, vote: 1, commit: 10 }));
    await reopen();
    damageNewestSegment(logDir, 10 * 125 - 30); // entry 1's payload (records of 125 bytes)
    await assert.rejects(open(), (err: unknown) => err instanceof StorageError && err.code === 'ERR_STORAGE_CORRUPT' && /entry 1\b/.test(err.message));
    await reopen();
    damageNewestSegment(logDir, 10 * 125 - 30); // undo
    damageNewestSegment(logDir, 10);
    await assert.rejects(open(), (err: unknown) => err instanceof StorageError && err.code === 'ERR_STORAGE_CORRUPT' && /entry 10\b/.test(err.message));
  });
});

test('a log holding a newer term than the hard state raises the term with no vote', async () => {
  await withDb(async ({ db, open, reopen }) => {
    const s = await open();
    await s.persist(batch(ents(1, 6, 1), { term: 1, vote: 1, commit: 3 }));
    const hs = db.getSync(raftStateKey(RaftStateField.hardState))!;
    await s.persist(batch(ents(6, 8, 3), { term: 3, vote: 0, commit: 5 }));
    await db.put(raftStateKey(RaftStateField.hardState), hs); // the records of the last batch never landed
    await reopen();
    const r = await open();
    assert.deepEqual(r.initialState().hardState, { term: 3, vote: 0, commit: 3 });
    assert.equal(r.lastIndex(), 7);
  });
});

test('a data dir whose raft log is in LevelDB (an older format) is refused with ERR_STORAGE_FORMAT', async () => {
  await withDb(async ({ db, open }) => {
    await db.put(Buffer.from([0x01, 0, 0, 0, 0, 0, 0, 0, 1]), Buffer.alloc(30));
    await assert.rejects(open(), isCode('ERR_STORAGE_FORMAT'));
  });
});

test('writes after close are refused with ERR_STORAGE_CLOSED', async () => {
  await withDb(async ({ open }) => {
    const s = await open();
    await s.close();
    await assert.rejects(s.persist(batch(ents(1, 2, 1))), isCode('ERR_STORAGE_CLOSED'));
  });
});
