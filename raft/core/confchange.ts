// Single-server membership changes (thesis §4.1) with etcd's apply-time rule: a change takes
// effect on each node when its log entry is applied, and the leader accepts no new change until
// the previous one is applied (the pending-change guard lives in raft.ts).
//
// The entry payload of a confChange entry is encodeConfChange(cc), version 1:
//   u8 version=1 | u8 type (1 addNode, 2 addLearner, 3 removeNode) | u32be nodeId hi | u32be lo
//   | u32be context length | context bytes
import { assert } from './assert.js';
import type { ProgressTracker, TrackerConfig } from './tracker.js';
import type { ConfChange, ConfChangeType, NodeId } from './types.js';

const VERSION = 1;
const TYPE_CODES: Record<ConfChangeType, number> = { addNode: 1, addLearner: 2, removeNode: 3 };
const TYPES_BY_CODE: readonly (ConfChangeType | undefined)[] = [undefined, 'addNode', 'addLearner', 'removeNode'];
const HEADER_BYTES = 14;

export function encodeConfChange(cc: ConfChange): Uint8Array {
  assert(Number.isSafeInteger(cc.nodeId) && cc.nodeId > 0, () => `invalid conf change node id ${cc.nodeId}`);
  const out = new Uint8Array(HEADER_BYTES + cc.context.length);
  const view = new DataView(out.buffer);
  view.setUint8(0, VERSION);
  view.setUint8(1, TYPE_CODES[cc.type]);
  view.setUint32(2, Math.floor(cc.nodeId / 0x1_0000_0000));
  view.setUint32(6, cc.nodeId >>> 0);
  view.setUint32(10, cc.context.length);
  out.set(cc.context, HEADER_BYTES);
  return out;
}

/** Decodes a confChange entry payload; throws RangeError on malformed input. */
export function decodeConfChange(data: Uint8Array): ConfChange {
  if (data.length < HEADER_BYTES) throw new RangeError(`conf change: ${data.length} bytes, need ${HEADER_BYTES}`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const version = view.getUint8(0);
  if (version !== VERSION) throw new RangeError(`conf change: unknown version ${version}`);
  const type = TYPES_BY_CODE[view.getUint8(1)];
  if (type === undefined) throw new RangeError(`conf change: unknown type ${view.getUint8(1)}`);
  const nodeId = view.getUint32(2) * 0x1_0000_0000 + view.getUint32(6);
  const length = view.getUint32(10);
  if (data.length !== HEADER_BYTES + length) throw new RangeError('conf change: context length mismatch');
  return { type, nodeId, context: data.slice(HEADER_BYTES) };
}

/** Why `cc` cannot be applied to `config`, or null when it can. A change that changes nothing
 *  (adding an existing voter, removing a non-member) is valid: applying it is a no-op. */
export function confChangeProblem(config: TrackerConfig, cc: ConfChange): string | null {
  if (!Number.isSafeInteger(cc.nodeId) || cc.nodeId <= 0) return `invalid node id ${cc.nodeId}`;
  const demotesOrRemoves = cc.type !== 'addNode' && config.voters.has(cc.nodeId);
  if (demotesOrRemoves && config.voters.size === 1) return 'the change would leave no voter';
  return null;
}

/** The membership after a valid change `cc` to `config` (a new config; `config` is left alone). */
export function changedConfig(config: TrackerConfig, cc: ConfChange): TrackerConfig {
  const voters = new Set(config.voters);
  const learners = new Set(config.learners);
  const id: NodeId = cc.nodeId;
  switch (cc.type) {
    case 'addNode':
      learners.delete(id);
      voters.add(id);
      break;
    case 'addLearner':
      voters.delete(id);
      learners.add(id);
      break;
    case 'removeNode':
      voters.delete(id);
      learners.delete(id);
      break;
  }
  return { voters, learners };
}

/** Applies a valid change to the tracker in place: config and progress. A new member is probed
 *  with the last entry (so the probe carries data and goes out at once) and counts as recently active (so check-quorum does not count it
 *  against the leader before it had a chance to answer). */
export function applyConfChangeToTracker(tracker: ProgressTracker, cc: ConfChange, lastIndex: number): void {
  assert(confChangeProblem(tracker.config, cc) === null, () => `invalid conf change ${cc.type} ${cc.nodeId}`);
  const id: NodeId = cc.nodeId;
  tracker.config = changedConfig(tracker.config, cc);
  if (cc.type === 'removeNode') {
    tracker.progress.delete(id);
    return;
  }
  const isLearner = cc.type === 'addLearner';
  const existing = tracker.progress.get(id);
  if (existing !== undefined) {
    existing.isLearner = isLearner;
    return;
  }
  const pr = tracker.newProgress(0, Math.max(lastIndex, 1), isLearner);
  pr.recentActive = true;
  tracker.progress.set(id, pr);
}
