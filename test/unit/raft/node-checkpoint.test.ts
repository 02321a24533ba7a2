// The driver asks an application that stages no applied index on apply (RaftNodeOptions.checkpoint)
// for a checkpoint: within checkpointAfterMs of an apply that left none, and on a clean stop. On
// the simulator's clock, network and disk (deterministic).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, text } from '../../sim/harness.js';

test('entries applied with no checkpoint staged get one within checkpointAfterMs, asked of the application', async () => {
  const h = new Harness(3, { lazyCheckpoint: true });
  await h.startAll();
  const leader = await h.leader();
  const written = leader.store.writtenAppliedIndex();
  const index = await h.settle(leader.raft!.propose(text('no checkpoint yet')));
  const appliedAt = h.sched.nowMs;
  assert.ok(leader.store.writtenAppliedIndex() < index, 'nothing written for the apply itself');
  await h.runUntil(() => leader.store.writtenAppliedIndex() >= index, 1000);
  // The timer runs from the first apply that left none (an earlier one, perhaps): at most 100 ms.
  assert.ok(h.sched.nowMs - appliedAt <= 100 + 10, `written ${h.sched.nowMs - appliedAt} ms after the apply`);
  assert.ok(written < index);
});

test('a clean stop writes the checkpoint of entries applied without one', async () => {
  const h = new Harness(3, { lazyCheckpoint: true });
  await h.startAll();
  const leader = await h.leader();
  const index = await h.settle(leader.raft!.propose(text('then stop')));
  assert.ok(leader.store.writtenAppliedIndex() < index);
  await h.settle(leader.raft!.stop());
  assert.equal(leader.store.writtenAppliedIndex(), index);
});
