// The leader's view of one follower's log.
//
//   probe     — we don't know where the follower's log matches; send one append at a time
//               (paused until it is answered) and walk `next` back on rejection.
//   replicate — the follower is in sync; stream appends optimistically, limited by inflights.
//   snapshot  — the follower needs entries we compacted; a snapshot was sent, wait for its ack.
//
//     probe ──ack──► replicate ──reject/unreachable──► probe
//       │                                                 ▲
//       └──next < firstIndex──► snapshot ──ack/heartbeat──┘
import { Inflights } from './inflights.js';

export type ProgressState = 'probe' | 'replicate' | 'snapshot';

/** Invariants: 0 <= match < next; in snapshot state pendingSnapshot > 0; inflights is empty
 *  outside replicate state. */
export class Progress {
  /** Highest index known to be in the follower's log (and matching ours). */
  match: number;
  /** Index of the next entry to send. */
  next: number;
  state: ProgressState = 'probe';
  /** In snapshot state: the index of the snapshot sent. */
  pendingSnapshot = 0;
  /** In snapshot state: the leader's heartbeat round when the snapshot was sent. */
  snapshotSentRound = 0;
  /** The highest commit index the follower reported (in its append and heartbeat answers). */
  commitKnown = 0;
  /** The highest index sent in a commitIfDurable message (once per index). */
  commitIfDurableSent = 0;
  /** Heard from since the last check-quorum round (leader only). */
  recentActive = false;
  /** Hold back appends until a response or heartbeat answer arrives. Probe: a probe is
   *  unanswered. Replicate: the inflights were full after the last send (a heartbeat answer
   *  clears it, which lets one empty append through to detect appends lost on the way). */
  msgAppFlowPaused = false;
  readonly inflights: Inflights;
  isLearner: boolean;

  constructor(match: number, next: number, inflights: Inflights, isLearner: boolean) {
    this.match = match;
    this.next = next;
    this.inflights = inflights;
    this.isLearner = isLearner;
  }

  private resetState(state: ProgressState): void {
    this.msgAppFlowPaused = false;
    this.pendingSnapshot = 0;
    this.state = state;
    this.inflights.reset();
  }

  becomeProbe(): void {
    // After a snapshot, the follower has at least the snapshot: probe right after it.
    const floor = this.state === 'snapshot' ? Math.max(this.match, this.pendingSnapshot) : this.match;
    this.resetState('probe');
    this.next = floor + 1;
  }

  becomeReplicate(): void {
    this.resetState('replicate');
    this.next = this.match + 1;
  }

  becomeSnapshot(snapshotIndex: number): void {
    this.resetState('snapshot');
    this.pendingSnapshot = snapshotIndex;
  }

  /** An append ending at `index` was acknowledged. Returns whether match moved. */
  maybeUpdate(index: number): boolean {
    let updated = false;
    if (this.match < index) {
      this.match = index;
      updated = true;
      this.msgAppFlowPaused = false;
    }
    this.next = Math.max(this.next, index + 1);
    return updated;
  }

  /** The follower rejected an append whose previous index was `rejected`; `matchHint` is the
   *  highest index that may still match. Returns false when the rejection is stale. */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false; // answers an append we already got past
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false; // not the probe we are waiting for
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1);
    this.msgAppFlowPaused = false;
    return true;
  }

  /** Records an append of `count` entries ending at `lastIndex` with `bytes` of payload. */
  sentEntries(count: number, lastIndex: number, bytes: number): void {
    if (this.state === 'replicate') {
      if (count > 0) {
        this.next = lastIndex + 1;
        this.inflights.add(lastIndex, bytes);
      }
      this.msgAppFlowPaused = this.inflights.full();
    } else if (this.state === 'probe') {
      // Any append in probe state is a probe: wait for its answer.
      this.msgAppFlowPaused = true;
    }
  }

  /** Whether the leader should hold back appends (heartbeats still go). */
  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.msgAppFlowPaused;
      case 'replicate':
        return this.msgAppFlowPaused;
      case 'snapshot':
        return true;
    }
  }
}
