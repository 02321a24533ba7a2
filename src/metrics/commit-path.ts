// The commit path's hops on one node, timed from the raft driver's index signals (raft itself
// reads no clock for this): proposed → durable here → known committed here → applied here. The
// binlog server adds the last hop (a commit published → its bytes flushed to a replica) and the
// syncer the first (an upstream event received → proposed). One clock read and a few array
// operations per signal; nothing per byte.
import { performance } from 'node:perf_hooks';
import type { CommitPathObserver } from '../../raft/node-options.js';

export const COMMIT_PATH_HOPS = ['receive_to_propose', 'propose_to_persist', 'persist_to_commit', 'commit_to_apply', 'apply_to_send'] as const;
export type CommitPathHop = (typeof COMMIT_PATH_HOPS)[number];

/** Marks not yet matched, kept at most this many (a follower cut off from its leader). */
const MAX_MARKS = 65_536;

/** Times at increasing log indexes, oldest first. */
class IndexMarks {
  #marks: { index: number; atMs: number }[] = [];
  #head = 0;

  add(index: number, atMs: number): void {
    // A rewrite from `index` replaces what was marked there before (a new leader's log).
    while (this.#marks.length > this.#head && this.#marks[this.#marks.length - 1]!.index >= index) this.#marks.pop();
    this.#marks.push({ index, atMs });
    if (this.#marks.length - this.#head > MAX_MARKS) this.#head++;
  }

  /** Removes the marks at or below `index`, oldest first, handing each one's time to `fn`. */
  takeThrough(index: number, fn: (atMs: number) => void): void {
    while (this.#head < this.#marks.length && this.#marks[this.#head]!.index <= index) fn(this.#marks[this.#head++]!.atMs);
    if (this.#head > 1024 && this.#head * 2 > this.#marks.length) {
      this.#marks.splice(0, this.#head);
      this.#head = 0;
    }
  }

  clear(): void {
    this.#marks = [];
    this.#head = 0;
  }
}

export class CommitPathTimer implements CommitPathObserver {
  /** Receives every hop measured (the node's histogram). */
  onHop: (hop: CommitPathHop, seconds: number) => void = () => undefined;
  readonly #proposed = new IndexMarks();
  readonly #persisted = new IndexMarks();
  readonly #committed = new IndexMarks();
  #commit = 0;

  proposed(index: number): void {
    this.#proposed.add(index, performance.now());
  }

  persisted(index: number): void {
    const now = performance.now();
    this.#proposed.takeThrough(index, (at) => this.#hop('propose_to_persist', now - at));
    // A follower may learn of a commit before its own copy is written: committed on arrival.
    if (index <= this.#commit) this.#hop('persist_to_commit', 0);
    else this.#persisted.add(index, now);
  }

  committed(index: number): void {
    const now = performance.now();
    this.#commit = index;
    this.#persisted.takeThrough(index, (at) => this.#hop('persist_to_commit', now - at));
    this.#committed.add(index, now);
  }

  applied(index: number): void {
    const now = performance.now();
    this.#committed.takeThrough(index, (at) => this.#hop('commit_to_apply', now - at));
  }

  reset(): void {
    this.#proposed.clear();
    this.#persisted.clear();
    this.#committed.clear();
  }

  #hop(hop: CommitPathHop, ms: number): void {
    this.onHop(hop, ms / 1000);
  }
}
