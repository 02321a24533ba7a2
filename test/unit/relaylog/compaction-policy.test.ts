import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import type { Entry } from '../../../raft/core/types.js';
import type { RaftNode } from '../../../raft/node.js';
import type { SegmentRaftStore } from '../../../storage/raft-store.js';
import { CompactionPolicy } from '../../../src/relaylog/compaction-policy.js';
import type { RelayLog } from '../../../src/relaylog/relay-log.js';

const entry = (index: number): Entry => ({ index, term: 1, type: 'normal', data: new Uint8Array(100) });
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('a failed compaction (a failing fsync) is not retried on every apply', async () => {
  let syncs = 0;
  const relay = { dir: { syncAll: () => { syncs++; return Promise.reject(new Error('EIO: fdatasync failed')); } }, snapshotState: () => ({}) } as unknown as RelayLog;
  const store = { firstIndex: () => 1 } as unknown as SegmentRaftStore;
  const raft = { compact: () => Promise.reject(new Error('not reached')) } as unknown as RaftNode;
  const policy = new CompactionPolicy({ bytes: 1, entries: 1 }, relay, store, pino({ level: 'silent' }));
  policy.applied(raft, [entry(5)]);
  await settle();
  assert.equal(syncs, 1, 'over its bounds, the log is compacted: the files are synced first');
  for (let i = 6; i < 50; i++) {
    policy.applied(raft, [entry(i)]);
    await settle();
  }
  assert.equal(syncs, 1, 'no new attempt right after a failure');
});
