// Callers of RaftNode waiting on the log: proposals (resolved once their entry is applied
// locally with the term it was appended in) and linearizable reads (resolved once the confirmed
// read index is applied). Kept apart from the Ready loop so the loop stays readable.
//
// Invariant: every waiter is settled exactly once — by apply, by leadership loss, or by stop.
import type { EventEmitter } from 'node:events';
import type { Entry, NodeId } from './core/types.js';
import { EntryRefusedError, LeadershipLostError, NodeStoppedError, TransferFailedError } from './node-errors.js';
import type { LeaderChange, RaftNodeEvents } from './node-options.js';
import type { Clock } from './ports.js';

/** What a proposal waits for: index and term as returned by RawNode.propose. */
export interface ProposalWaiter {
  readonly index: number;
  readonly term: number;
  /** 'confChange' waiters also require the committed entry to be a conf change. */
  readonly kind: 'normal' | 'confChange';
  readonly resolve: (index: number) => void;
  readonly reject: (err: Error) => void;
}

interface ReadWaiter {
  /** Set once the leader confirmed the read (a ReadState arrived); -1 until then. */
  index: number;
  readonly resolve: (index: number) => void;
  readonly reject: (err: Error) => void;
  readonly cancelTimer: () => void;
}

export class PendingProposals {
  private readonly byIndex = new Map<number, ProposalWaiter>();

  get size(): number {
    return this.byIndex.size;
  }

  add(index: number, term: number, kind: 'normal' | 'confChange'): Promise<number> {
    // An older waiter at the same index lost its entry (we led again and overwrote it).
    const old = this.byIndex.get(index);
    if (old !== undefined) old.reject(new LeadershipLostError(old.index, old.term, `overwritten by term ${term}`));
    return new Promise((resolve, reject) => {
      this.byIndex.set(index, { index, term, kind, resolve, reject });
    });
  }

  /** Settles the waiters of `entries` (just applied, in order), and rejects any waiter whose
   *  index is at or below `appliedIndex` but was not among them (skipped by a snapshot). */
  applied(entries: readonly Entry[], appliedIndex: number, onConfRejected: (w: ProposalWaiter) => Error, refused?: ReadonlyMap<number, string>): void {
    if (this.byIndex.size === 0) return;
    for (const e of entries) {
      const w = this.byIndex.get(e.index);
      if (w === undefined) continue;
      this.byIndex.delete(e.index);
      if (e.term !== w.term) {
        w.reject(new LeadershipLostError(w.index, w.term, `the index holds an entry of term ${e.term}`));
      } else if (w.kind === 'confChange' && e.type !== 'confChange') {
        w.reject(onConfRejected(w));
      } else if (refused?.has(e.index)) {
        w.reject(new EntryRefusedError(e.index, refused.get(e.index)!));
      } else {
        w.resolve(e.index);
      }
    }
    for (const [index, w] of this.byIndex) {
      if (index > appliedIndex) continue;
      this.byIndex.delete(index);
      w.reject(new LeadershipLostError(w.index, w.term, 'replaced by a snapshot before it was applied here'));
    }
  }

  rejectAll(makeError: (index: number, term: number) => Error): void {
    this.rejectWhere(() => true, makeError);
  }

  /** Rejects the waiters whose proposal term satisfies `stale`. */
  rejectWhere(stale: (term: number) => boolean, makeError: (index: number, term: number) => Error): void {
    const waiters = [...this.byIndex.values()].filter((w) => stale(w.term));
    for (const w of waiters) {
      this.byIndex.delete(w.index);
      w.reject(makeError(w.index, w.term));
    }
  }
}

export class PendingReads {
  private readonly byKey = new Map<string, ReadWaiter>();

  add(key: string, cancelTimer: () => void): Promise<number> {
    return new Promise((resolve, reject) => {
      this.byKey.set(key, { index: -1, resolve, reject, cancelTimer });
    });
  }

  /** The leader confirmed the read of `key` at `index`. */
  confirmed(key: string, index: number): void {
    const w = this.byKey.get(key);
    if (w !== undefined && w.index < 0) w.index = index;
  }

  /** Resolves every confirmed read whose index is applied. */
  applied(appliedIndex: number): void {
    for (const [key, w] of this.byKey) {
      if (w.index >= 0 && w.index <= appliedIndex) {
        this.byKey.delete(key);
        w.cancelTimer();
        w.resolve(w.index);
      }
    }
  }

  reject(key: string, err: Error): void {
    const w = this.byKey.get(key);
    if (w === undefined) return;
    this.byKey.delete(key);
    w.cancelTimer();
    w.reject(err);
  }

  rejectAll(err: Error): void {
    for (const key of [...this.byKey.keys()]) this.reject(key, err);
  }
}

/** Hex of a byte string: the map key of a read context. */
export function bytesKey(ctx: Uint8Array): string {
  let s = '';
  for (const b of ctx) s += b.toString(16).padStart(2, '0');
  return s;
}

/** A read request's context, unique across the cluster (followers forward theirs to the
 *  leader, which keys pending reads by context): the node id, a nonce drawn at each start (the
 *  sequence restarts at 1, and a leader may still hold a request from before the restart) and a
 *  per-node sequence. */
export function readContext(id: NodeId, bootNonce: number, seq: number): Uint8Array {
  const ctx = new Uint8Array(24);
  const view = new DataView(ctx.buffer);
  view.setFloat64(0, id);
  view.setFloat64(8, bootNonce);
  view.setFloat64(16, seq);
  return ctx;
}

/** Resolves when `node` reports `to` as leader; rejects when another node wins, when the node
 *  stops, or after timeoutMs. */
export function waitForLeader(
  node: EventEmitter<RaftNodeEvents> & { readonly id: NodeId },
  to: NodeId,
  clock: Clock,
  timeoutMs: number,
  fatal: () => Error | null,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err: Error | null): void => {
      cancelTimer();
      node.off('leaderChanged', onChange);
      node.off('stopped', onStopped);
      if (err === null) resolve();
      else reject(err);
    };
    const onChange = (c: LeaderChange): void => {
      if (c.leader === to) done(null);
      else if (c.leader !== 0 && c.leader !== node.id) done(new TransferFailedError(to, `node ${c.leader} became leader`));
    };
    const onStopped = (): void => done(new NodeStoppedError(fatal() ?? undefined));
    const cancelTimer = clock.after(timeoutMs, () => done(new TransferFailedError(to, 'timed out')));
    node.on('leaderChanged', onChange);
    node.on('stopped', onStopped);
  });
}
