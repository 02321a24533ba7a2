// The driver's batches and the conf state they carry: a conf change applied while a batch is
// being written (an apply between Readys) must ride in the next batch, or a restart finds an
// applied index past a membership change that the conf-state record lacks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { encodeConfChange } from '../../../raft/core/confchange.js';
import type { RawNode } from '../../../raft/core/raw-node.js';
import type { ConfChange, ConfState, Entry } from '../../../raft/core/types.js';
import { Applier, type ApplierDeps } from '../../../raft/node-apply.js';
import { BatchWriter, NO_READY } from '../../../raft/node-batch.js';
import type { PersistBatch, RaftStore } from '../../../raft/ports.js';

const START: ConfState = { voters: [1, 2, 3], learners: [] };

/** An Applier over a membership that only records what it is told (no RawNode, no peers). */
function applierFrom(confState: ConfState): Applier {
  let conf = confState;
  const raw = {
    applyConfChange(cc: ConfChange): ConfState {
      conf = cc.type === 'addLearner' ? { voters: conf.voters, learners: [...conf.learners, cc.nodeId] } : conf;
      return conf;
    },
    appliedTo(): void {},
    compactedIndex: () => 0,
  } as unknown as RawNode;
  const noop = (): void => undefined;
  const deps = {
    self: 1, raw,
    peers: { add: noop, remove: noop, reachMembers: noop },
    proposals: { applied: noop }, reads: { applied: noop },
    log: pino({ level: 'silent' }),
    app: { apply: noop },
    onApplied: noop, onRemoved: noop, onFailed: noop, onInstallFailed: noop, onIdle: noop,
  } as unknown as ApplierDeps;
  return new Applier(deps, 0, confState);
}

/** A store whose writes wait for `release()` while `hold` is set, and that keeps every batch. */
function gatedStore(): { store: RaftStore; batches: PersistBatch[]; hold: () => () => void } {
  const batches: PersistBatch[] = [];
  let gate: Promise<void> | null = null;
  const store = {
    initialState: () => ({ hardState: { term: 1, vote: 0, commit: 0 }, confState: START }),
    async persist(batch: PersistBatch): Promise<void> {
      if (gate !== null) await gate;
      batches.push(batch);
    },
  } as unknown as RaftStore;
  const hold = (): (() => void) => {
    let release!: () => void;
    gate = new Promise((r) => {
      release = r;
    });
    return () => {
      gate = null;
      release();
    };
  };
  return { store, batches, hold };
}

function addLearner(index: number, nodeId: number): Entry {
  return { index, term: 1, type: 'confChange', data: encodeConfChange({ type: 'addLearner', nodeId, context: new Uint8Array() }) };
}

test('a conf change applied while a batch carrying an older conf state is written rides in the next batch', async () => {
  const applier = applierFrom(START);
  const { store, batches, hold } = gatedStore();
  const writer = new BatchWriter(store, applier);
  applier.apply([addLearner(1, 4)]);
  const release = hold();
  const first = writer.write(NO_READY);
  applier.apply([addLearner(2, 5)]); // between Readys, while the first batch is on its way
  release();
  await first;
  assert.deepEqual(batches[0]!.confState, { voters: [1, 2, 3], learners: [4] });
  assert.equal(applier.hasUnwrittenConf, true, 'the second change is still owed');
  assert.equal(writer.owed, true);
  await writer.write(NO_READY);
  assert.deepEqual(batches[1]!.confState, { voters: [1, 2, 3], learners: [4, 5] });
  assert.ok(batches[1]!.hardState !== null && batches[1]!.hardState.commit >= 2, 'the commit index covers both applies');
  assert.equal(applier.hasUnwrittenConf, false);
  assert.equal(writer.owed, false);
});

test('a batch that carried the latest conf state leaves nothing owed', async () => {
  const applier = applierFrom(START);
  const { store, batches } = gatedStore();
  const writer = new BatchWriter(store, applier);
  applier.apply([addLearner(1, 4)]);
  await writer.write(NO_READY);
  assert.deepEqual(batches[0]!.confState, { voters: [1, 2, 3], learners: [4] });
  assert.equal(writer.owed, false);
  await writer.write(NO_READY);
  assert.equal(batches.length, 1, 'nothing left to write');
});

test('a hard state that only moves the commit index is not written until an applied index needs it', async () => {
  const applier = applierFrom(START);
  const { store, batches } = gatedStore();
  const writer = new BatchWriter(store, applier);
  const entry = (index: number): Entry => ({ index, term: 1, type: 'normal', data: new Uint8Array([index]) });
  await writer.write({ entries: [entry(1)], hardState: { term: 1, vote: 0, commit: 1 }, snapshot: null, sync: true });
  assert.equal(batches[0]!.hardState, null, 'the entries alone: nothing for the commit index');
  applier.apply([entry(1)]);
  assert.equal(writer.owed, true, 'an applied index past the commit index on disk is owed');
  await writer.write({ entries: [entry(2)], hardState: { term: 1, vote: 0, commit: 2 }, snapshot: null, sync: true });
  assert.deepEqual(batches[1]!.hardState, { term: 1, vote: 0, commit: 1 }, 'written up to what is applied');
  await writer.write({ entries: [], hardState: { term: 2, vote: 3, commit: 2 }, snapshot: null, sync: true });
  assert.deepEqual(batches[2]!.hardState, { term: 2, vote: 3, commit: 2 }, 'a new term or vote is written whole');
});

test('with an application that stages its applied index now and then, the commit index written covers what it staged', async () => {
  const applier = applierFrom(START);
  const { store, batches } = gatedStore();
  let staged = 0;
  Object.assign(store, { appliedIndex: () => staged });
  const writer = new BatchWriter(store, applier, () => {
    staged = applier.appliedIndex;
  });
  const entry = (index: number): Entry => ({ index, term: 1, type: 'normal', data: new Uint8Array([index]) });
  applier.apply([entry(1)]);
  assert.equal(writer.owed, false, 'nothing staged: a restart applies entry 1 again');
  await writer.write({ entries: [entry(2)], hardState: { term: 1, vote: 0, commit: 2 }, snapshot: null, sync: true });
  assert.equal(batches[0]!.hardState, null, 'no commit index for an applied index not staged');
  staged = 1;
  assert.equal(writer.owed, true);
  await writer.write(NO_READY);
  assert.deepEqual(batches[1]!.hardState, { term: 1, vote: 0, commit: 1 });
});

test('a batch carrying a new conf state asks the application to stage its applied index first', async () => {
  const applier = applierFrom(START);
  const { store, batches } = gatedStore();
  let staged = 0;
  let asked = 0;
  Object.assign(store, { appliedIndex: () => staged });
  const writer = new BatchWriter(store, applier, () => {
    asked++;
    staged = applier.appliedIndex;
  });
  applier.apply([{ index: 1, term: 1, type: 'normal', data: new Uint8Array([1]) }, addLearner(2, 4)]);
  await writer.write(NO_READY);
  assert.equal(asked, 1);
  assert.deepEqual(batches[0]!.confState, { voters: [1, 2, 3], learners: [4] });
  assert.deepEqual(batches[0]!.hardState, { term: 1, vote: 0, commit: 2 }, 'the applied index covering the change goes with it');
});
