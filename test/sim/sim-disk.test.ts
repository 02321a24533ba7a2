import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Entry, HardState } from '../../raft/core/types.js';
import { NodeGate } from './node-gate.js';
import { SimRandom } from './prng.js';
import { drainMicrotasks, Scheduler } from './scheduler.js';
import { QUIET_DISK, SimStore, type DiskFaults } from './sim-disk.js';

const ent = (index: number, term = 1): Entry => ({ index, term, type: 'normal', data: Uint8Array.of(index) });
const hs = (term: number, commit: number): HardState => ({ term, vote: 0, commit });

function setup(faults: Partial<DiskFaults> = {}) {
  const sched = new Scheduler();
  const store = new SimStore(1, sched, new SimRandom(5, 'disk'), { ...QUIET_DISK, ...faults });
  const gate = new NodeGate(1, 0, sched);
  store.attach(gate);
  const settle = async <T>(p: Promise<T>): Promise<T> => {
    let done = false;
    const q = p.finally(() => {
      done = true;
    });
    q.catch(() => undefined);
    await drainMicrotasks();
    while (!done && sched.step() !== null) await drainMicrotasks();
    return q;
  };
  return { sched, store, gate, settle };
}

test('a write becomes visible when it completes, not before', async () => {
  const { store, settle } = setup();
  const p = store.persist({ entries: [ent(1), ent(2)], hardState: hs(1, 1), snapshot: null, sync: true });
  assert.equal(store.lastIndex(), 0);
  await settle(p);
  assert.equal(store.lastIndex(), 2);
  assert.deepEqual(store.entries(1, 3, Infinity).map((e) => e.index), [1, 2]);
  assert.equal(store.term(2), 1);
  assert.deepEqual(store.initialState().hardState, hs(1, 1));
});

test('a crash keeps synced batches and loses the unsynced tail (survival 0)', async () => {
  const { store, settle } = setup({ unsyncedSurvivalProbability: 0 });
  await settle(store.persist({ entries: [ent(1)], hardState: hs(1, 0), snapshot: null, sync: true }));
  await settle(store.persist({ entries: [], hardState: hs(1, 1), snapshot: null, sync: false }));
  assert.equal(store.initialState().hardState.commit, 1);
  store.crash();
  assert.equal(store.initialState().hardState.commit, 0, 'the unsynced commit is lost');
  assert.equal(store.lastIndex(), 1);
});

test('a synced batch makes the earlier unsynced ones durable (one log, one fsync)', async () => {
  const { store, settle } = setup({ unsyncedSurvivalProbability: 0 });
  await settle(store.persist({ entries: [ent(1)], hardState: hs(1, 0), snapshot: null, sync: false }));
  await settle(store.persist({ entries: [ent(2)], hardState: null, snapshot: null, sync: true }));
  store.crash();
  assert.equal(store.lastIndex(), 2);
});

test('unsynced batches survive as a prefix: all with survival 1', async () => {
  const { store, settle } = setup({ unsyncedSurvivalProbability: 1 });
  for (let i = 1; i <= 3; i++) await settle(store.persist({ entries: [ent(i)], hardState: null, snapshot: null, sync: false }));
  const { survived, lost } = store.crash();
  assert.deepEqual([survived, lost], [3, 0]);
  assert.equal(store.lastIndex(), 3);
});

test('an fsync error rejects with SIM_DISK_FSYNC_FAILED; the batch may or may not survive the crash', async () => {
  const { store, settle } = setup({ fsyncErrorProbability: 1, unsyncedSurvivalProbability: 0 });
  await assert.rejects(settle(store.persist({ entries: [ent(1)], hardState: null, snapshot: null, sync: true })),
    { code: 'SIM_DISK_FSYNC_FAILED' });
  store.crash();
  assert.equal(store.lastIndex(), 0);
});

test('a write in flight at the crash never completes for the dead incarnation', async () => {
  const { sched, store, gate } = setup({ unsyncedSurvivalProbability: 0 });
  let settled = false;
  store.persist({ entries: [ent(1)], hardState: null, snapshot: null, sync: true }).finally(() => {
    settled = true;
  });
  gate.kill();
  store.crash();
  while (sched.step() !== null) await drainMicrotasks();
  assert.equal(settled, false);
  assert.equal(store.lastIndex(), 0);
});

test('entries replace a conflicting suffix; a gap is refused', async () => {
  const { store, settle } = setup();
  await settle(store.persist({ entries: [ent(1), ent(2), ent(3)], hardState: null, snapshot: null, sync: true }));
  await settle(store.persist({ entries: [ent(2, 2)], hardState: null, snapshot: null, sync: true }));
  assert.deepEqual([store.lastIndex(), store.term(2)], [2, 2]);
  await assert.rejects(settle(store.persist({ entries: [ent(5)], hardState: null, snapshot: null, sync: true })),
    { code: 'SIM_DISK_INVALID_WRITE' });
});

test('conf state and the staged applied index are written with the next batch', async () => {
  const { sched, store, settle } = setup({ unsyncedSurvivalProbability: 0 });
  await settle(store.persist({ entries: [ent(1)], hardState: hs(1, 1), snapshot: null, confState: { voters: [1, 2], learners: [] }, sync: true }));
  store.stageAppliedIndex(1);
  assert.equal(store.appliedIndex(), 1);
  assert.throws(() => store.stageAppliedIndex(0));
  store.crash();
  assert.equal(store.appliedIndex(), 0, 'staged, never written');
  store.attach(new NodeGate(1, 1, sched));
  store.stageAppliedIndex(1);
  await settle(store.persist({ entries: [], hardState: hs(1, 1), snapshot: null, confState: { voters: [1], learners: [2] }, sync: true }));
  store.crash();
  assert.equal(store.appliedIndex(), 1);
  assert.deepEqual(store.initialState().confState, { voters: [1], learners: [2] });
});

test('compaction keeps the snapshot meta; reads below it throw RAFT_COMPACTED', async () => {
  const { store, settle } = setup();
  await settle(store.persist({ entries: [ent(1), ent(2), ent(3)], hardState: hs(1, 3), snapshot: null, sync: true }));
  await settle(store.compact({ index: 2, term: 1, confState: { voters: [1], learners: [] }, data: new Uint8Array(0) }));
  assert.deepEqual([store.firstIndex(), store.lastIndex(), store.term(2)], [3, 3, 1]);
  assert.throws(() => store.entries(1, 3, Infinity), { code: 'RAFT_COMPACTED' });
  assert.throws(() => store.term(1), { code: 'RAFT_COMPACTED' });
});

test('a tail-cache miss throws RAFT_LOG_TEMPORARILY_UNAVAILABLE until the range is fetched', async () => {
  const { store, settle } = setup({ tailCacheEntries: 2 });
  await settle(store.persist({ entries: [1, 2, 3, 4, 5].map((i) => ent(i)), hardState: null, snapshot: null, sync: true }));
  assert.deepEqual(store.entries(4, 6, Infinity).map((e) => e.index), [4, 5]);
  assert.throws(() => store.entries(1, 6, Infinity), (err: unknown) => {
    const e = err as { code: string; lo: number; hi: number };
    return e.code === 'RAFT_LOG_TEMPORARILY_UNAVAILABLE' && e.lo === 1 && e.hi === 4;
  });
  await settle(store.fetchEntries(1, 4));
  assert.deepEqual(store.entries(1, 6, Infinity).map((e) => e.index), [1, 2, 3, 4, 5]);
});
