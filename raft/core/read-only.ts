// Linearizable reads in the safe ReadIndex mode (thesis §6.4): the leader records its commit
// index for a request, confirms it is still leader with a heartbeat round carrying the request
// context, and answers once a quorum acknowledged that round. Later requests also confirm
// earlier ones, so a quorum ack on context c releases every request queued up to c.
import type { Message, NodeId } from './types.js';

/** One pending read: the commit index when it arrived, the request, who acked its round. */
export interface ReadIndexStatus {
  readonly index: number;
  readonly request: Message;
  readonly acks: Set<NodeId>;
}

export function contextKey(ctx: Uint8Array): string {
  let s = '';
  for (const b of ctx) s += b.toString(16).padStart(2, '0');
  return s;
}

/** Invariants: `queue` holds exactly the keys of `pending`, in arrival order. */
export class ReadOnly {
  private pending = new Map<string, ReadIndexStatus>();
  private queue: string[] = [];

  /** Queues a read at commit index `index`; a duplicate context is ignored. */
  addRequest(index: number, request: Message): void {
    const key = contextKey(request.context);
    if (this.pending.has(key)) return;
    this.pending.set(key, { index, request, acks: new Set() });
    this.queue.push(key);
  }

  /** Records that `id` acknowledged the heartbeat round of `ctx`; returns the ackers so far,
   *  or null when no read waits on that context. */
  recvAck(id: NodeId, ctx: Uint8Array): ReadonlySet<NodeId> | null {
    const rs = this.pending.get(contextKey(ctx));
    if (rs === undefined) return null;
    rs.acks.add(id);
    return rs.acks;
  }

  /** Releases every read queued up to and including `ctx`, oldest first. */
  advance(ctx: Uint8Array): ReadIndexStatus[] {
    const key = contextKey(ctx);
    const at = this.queue.indexOf(key);
    if (at < 0) return [];
    const released = this.queue.splice(0, at + 1);
    return released.map((k) => {
      const rs = this.pending.get(k)!;
      this.pending.delete(k);
      return rs;
    });
  }

  /** The context of the newest pending read (heartbeats carry it so lost rounds get retried). */
  lastPendingContext(): Uint8Array | null {
    const key = this.queue[this.queue.length - 1];
    return key === undefined ? null : this.pending.get(key)!.request.context;
  }

  pendingCount(): number {
    return this.queue.length;
  }

  reset(): void {
    this.pending = new Map();
    this.queue = [];
  }
}
