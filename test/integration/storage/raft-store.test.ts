import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeEntryRecord } from '../../../raft/codec.js';
import type { Entry, HardState, SnapshotMeta } from '../../../raft/core/types.js';
import type { PersistBatch } from '../../../raft/ports.js';
import { openDb, type Db } from '../../../storage/db.js';
import { appliedIndexKey, metaKey, raftLogIndexOf, raftLogKey, raftLogTable, RaftStateField, raftStateKey } from '../../../storage/keys.js';
import { MetaStore } from '../../../storage/meta-store.js';
import { LevelRaftStore, type RaftStoreOptions } from '../../../storage/raft-store.js';
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

/** A database in a fresh temp dir; `reopen` closes and opens it again (a clean restart). */
async function withDb(fn: (ctx: { db: Db; open: (o?: RaftStoreOptions) => Promise<LevelRaftStore>; reopen: () => Promise<Db> }) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'binrelay-raft-store-'));
  let db = await openDb(dir);
  const stores: LevelRaftStore[] = [];
  try {
    await fn({
      get db() { return db; },
      open: async (o) => {
        const s = await LevelRaftStore.open(db, o);
        stores.push(s);
        return s;
      },
      reopen: async () => {
        for (const s of stores.splice(0)) await s.close();
        await db.close();
        db = await openDb(dir);
        return db;
      },
    });
  } finally {
    for (const s of stores) await s.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function logIndexes(db: Db): Promise<number[]> {
  return (await db.keys(raftLogTable()).all()).map(raftLogIndexOf);
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

test('a conflicting suffix is replaced in the same batch: old keys past the new last index are gone', async () => {
  await withDb(async ({ db, open, reopen }) => {
    const s = await open();
    await s.persist(batch(ents(1, 11, 1)));
    await s.persist(batch(ents(6, 8, 2), { term: 2, vote: 0, commit: 5 }));
    assert.equal(s.lastIndex(), 7);
    assert.equal(s.term(5), 1);
    assert.equal(s.term(6), 2);
    assert.deepEqual(s.entries(4, 8, Infinity).map((e) => e.term), [1, 1, 2, 2]);
    assert.deepEqual(await logIndexes(db), [1, 2, 3, 4, 5, 6, 7]);
    await reopen();
    const r = await open({ verifyOnOpen: true });
    assert.equal(r.lastIndex(), 7);
    assert.equal(r.term(7), 2);
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
    await assert.rejects(s.persist(batch([]), (w) => w.put(raftLogKey(3), Buffer.alloc(1))), invalid);
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
    const got = r.entries(1, 51, Infinity);
    for (const e of got) assert.equal(e.term, e.index < 50 ? 1 : 2, `entry ${e.index}`);
  });
});

test('compaction moves the first index at once and clears the old prefix in the background, idempotently', async () => {
  await withDb(async ({ db, open, reopen }) => {
    const s = await open();
    await s.persist(batch(ents(1, 51, 1), { term: 1, vote: 1, commit: 50 }));
    await s.compact(snapshot(30, 1));
    assert.equal(s.firstIndex(), 31);
    assert.equal(s.term(30), 1);
    await s.compact(snapshot(20, 1)); // older: no-op
    await s.compact(snapshot(30, 1)); // same: no-op
    await s.whenCompacted();
    assert.deepEqual((await logIndexes(db))[0], 31);
    await assert.rejects(s.compact(snapshot(60, 1)), isCode('ERR_STORAGE_INVALID_ARGUMENT'));
    await assert.rejects(s.compact(snapshot(40, 7)), isCode('ERR_STORAGE_INVALID_ARGUMENT'));
    await reopen();
    const r = await open({ verifyOnOpen: true });
    assert.equal(r.firstIndex(), 31);
    assert.equal(r.lastIndex(), 50);
    assert.deepEqual(r.snapshotMeta().data, Buffer.from('snap@30'));
  });
});

test('a prefix clear cut short by a crash is redone at open', async () => {
  await withDb(async ({ db, open, reopen }) => {
    const s = await open();
    await s.persist(batch(ents(1, 21, 1)));
    await s.compact(snapshot(10, 1));
    await s.whenCompacted();
    // Put back stale keys below the first index, as if the clear had not run.
    for (const e of ents(3, 8, 1)) await db.put(raftLogKey(e.index), encodeEntryRecord(e));
    const db2 = await reopen();
    const r = await open();
    await r.whenCompacted();
    assert.equal(r.firstIndex(), 11);
    assert.deepEqual((await logIndexes(db2))[0], 11);
  });
});

test('installing a snapshot resets the log, records its membership and clears older entries', async () => {
  await withDb(async ({ db, open, reopen }) => {
    const s = await open();
    await s.persist(batch(ents(1, 21, 1)));
    await s.persist({ entries: ents(101, 103, 5), hardState: { term: 5, vote: 0, commit: 100 }, snapshot: snapshot(100, 4, [1, 2]), sync: true });
    assert.equal(s.firstIndex(), 101);
    assert.equal(s.lastIndex(), 102);
    assert.equal(s.term(100), 4);
    assert.deepEqual(s.initialState().confState, { voters: [1, 2], learners: [] });
    await s.whenCompacted();
    assert.deepEqual(await logIndexes(db), [101, 102]);
    await reopen();
    const r = await open({ verifyOnOpen: true });
    assert.equal(r.term(101), 5);
    assert.deepEqual(r.initialState().confState, { voters: [1, 2], learners: [] });
  });
});

test('a snapshot below the log end drops the entries after it in the same batch', async () => {
  await withDb(async ({ db, open }) => {
    const s = await open();
    await s.persist(batch(ents(1, 21, 1)));
    await s.persist({ entries: [], hardState: { term: 2, vote: 0, commit: 10 }, snapshot: snapshot(10, 2), sync: true });
    assert.equal(s.lastIndex(), 10);
    await s.whenCompacted();
    assert.deepEqual(await logIndexes(db), []);
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

test('open reads no log values beyond its two ends: a missing term-runs record is rebuilt by a scan', async () => {
  await withDb(async ({ db, open, reopen }) => {
    const s = await open();
    await s.persist(batch(ents(1, 6, 1)));
    await s.persist(batch(ents(6, 11, 2)));
    await db.del(raftStateKey(RaftStateField.termRuns));
    await reopen();
    const r = await open();
    assert.equal(r.term(5), 1);
    assert.equal(r.term(6), 2);
    assert.equal(r.stats().termRuns, 2);
  });
});

test('a corrupt entry at the log end is detected at open; verifyOnOpen finds one in the middle', async () => {
  await withDb(async ({ db, open, reopen }) => {
    const s = await open();
    await s.persist(batch(ents(1, 11, 1)));
    const mid = Buffer.from((await db.get(raftLogKey(5)))!);
    mid[mid.length - 1] ^= 1;
    await db.put(raftLogKey(5), mid);
    await reopen();
    await open({ warmBytesMax: 0 }); // a plain open checks only the two ends (and what it warms)
    const db2 = await reopen();
    await assert.rejects(open({ verifyOnOpen: true }), (err: unknown) => err instanceof StorageError && err.code === 'ERR_STORAGE_CORRUPT');
    const end = Buffer.from((await db2.get(raftLogKey(10)))!);
    end[30] ^= 1;
    await db2.put(raftLogKey(10), end);
    await reopen();
    await assert.rejects(open(), (err: unknown) => err instanceof StorageError && err.code === 'ERR_STORAGE_CORRUPT');
  });
});

test('writes after close are refused with ERR_STORAGE_CLOSED', async () => {
  await withDb(async ({ open }) => {
    const s = await open();
    await s.close();
    await assert.rejects(s.persist(batch(ents(1, 2, 1))), isCode('ERR_STORAGE_CLOSED'));
  });
});
