// Safety checkers, run after every simulator event (and on every apply and ack). A violation
// throws SafetyViolation, which run-seed.ts turns into a failed seed with its trace.
//
// The canonical log: the first committed entry seen at each index (from an apply callback, or
// from a node's store up to the commit index it persisted). Every later sighting of that index,
// on any node, must carry the same term and bytes. What is checked:
//   - election safety: at most one leader per term;
//   - state machine safety: applied and committed entries agree with the canonical log, and
//     each node applies a contiguous sequence (after a restart: from its persisted applied
//     index, which is where the application's durable state resumes);
//   - commit and applied indexes never go back within one incarnation of a node (a restart
//     resumes from what was persisted, which may be lower: an unsynced commit is lost);
//   - leader completeness (Raft §5.4): a leader of term T holds every entry committed in a
//     lower term. The committing term is bounded by the term of the node that saw the entry
//     committed (it learnt the commit from a leader of at most its own term), so entries seen
//     committed by a node in a term < T are required; checked once the leader's election-time
//     log is on its disk (a stale leader of an older term need not hold later commits);
//   - durability of acknowledgements: an acknowledged proposal is the canonical entry at its
//     index (and so survives everywhere; the liveness phase makes every node reach it);
//   - linearizable reads: a read index covers every proposal acknowledged before it began;
//   - a restart's membership: the conf state record is the membership at the applied index
//     written with it (a record ahead of it would see its later conf changes applied twice).
import { changedConfig, confChangeProblem, decodeConfChange } from '../../raft/core/confchange.js';
import type { TrackerConfig } from '../../raft/core/tracker.js';
import type { ConfState, Entry, NodeId, SnapshotMeta } from '../../raft/core/types.js';
import type { DiskImage } from './disk-image.js';

export class SafetyViolation extends Error {
  readonly code = 'SIM_SAFETY_VIOLATION';

  constructor(readonly invariant: string, detail: string) {
    super(`${invariant}: ${detail}`);
    this.name = 'SafetyViolation';
  }
}

/** What the checker needs to know about a live node after an event. */
export interface NodeView {
  readonly id: NodeId;
  readonly incarnation: number;
  readonly role: string;
  readonly term: number;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  readonly lastIndex: number;
  readonly disk: DiskImage;
}

interface NodeTrack {
  incarnation: number;
  commit: number;
  applied: number;
  /** Last index applied through the apply callback (contiguity check). */
  lastApplied: number;
  /** Store entries verified against the canonical log up to here. */
  verified: number;
}

interface PendingLeaderCheck {
  readonly term: number;
  readonly lastIndexAtElection: number;
}

/** A committed entry and the lowest term in which a node was seen holding it as committed (an
 *  upper bound of the term of the leader that committed it). */
interface Committed {
  readonly entry: Entry;
  seenInTerm: number;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class SafetyChecker {
  private readonly canonical = new Map<number, Committed>();
  private readonly leaders = new Map<number, NodeId>();
  private readonly tracks = new Map<NodeId, NodeTrack>();
  private readonly leaderChecks = new Map<NodeId, PendingLeaderCheck>();
  private readonly acked = new Map<number, Uint8Array>();
  private maxAckedIndex = 0;
  readonly stats = { leaderTerms: 0, leaderChecks: 0, applied: 0 };

  get committedKnown(): number {
    return this.canonical.size;
  }

  get highestAckedIndex(): number {
    return this.maxAckedIndex;
  }

  /** The canonical entry at `index`, if one is known. */
  entryAt(index: number): Entry | undefined {
    return this.canonical.get(index)?.entry;
  }

  /** A node incarnation started; it resumes applying after `appliedIndex`. */
  nodeStarted(id: NodeId, incarnation: number, appliedIndex: number): void {
    this.tracks.set(id, { incarnation, commit: 0, applied: appliedIndex, lastApplied: appliedIndex, verified: 0 });
    this.leaderChecks.delete(id);
  }

  /** Node `id` restarts at `appliedIndex` (not below `snap`) with the conf state record
   *  `stored`: it must be the membership the canonical conf changes up to that index make, over
   *  the snapshot's. Skipped while any of those entries is not known. */
  checkRestartConf(id: NodeId, appliedIndex: number, snap: SnapshotMeta, stored: ConfState): void {
    let config: TrackerConfig = { voters: new Set(snap.confState.voters), learners: new Set(snap.confState.learners) };
    for (let i = snap.index + 1; i <= appliedIndex; i++) {
      const e = this.entryAt(i);
      if (e === undefined) return;
      if (e.type !== 'confChange') continue;
      const cc = decodeConfChange(e.data);
      if (confChangeProblem(config, cc) === null) config = changedConfig(config, cc); // else a no-op everywhere
    }
    const text = (c: { voters: Iterable<number>; learners: Iterable<number> }): string =>
      `voters ${[...c.voters].sort((a, b) => a - b).join(',')} learners ${[...c.learners].sort((a, b) => a - b).join(',')}`;
    if (text(stored) !== text(config)) {
      throw new SafetyViolation('restart membership', `n${id} restarts at applied ${appliedIndex} with ${text(stored)}, but the log up to it makes ${text(config)}`);
    }
  }

  nodeDown(id: NodeId): void {
    this.tracks.delete(id);
    this.leaderChecks.delete(id);
  }

  /** The apply callback of node `id`, whose persisted term is `term`, received `entries`. */
  onApply(id: NodeId, term: number, entries: readonly Entry[]): void {
    const t = this.track(id);
    for (const e of entries) {
      if (e.index !== t.lastApplied + 1) {
        throw new SafetyViolation('apply order', `n${id} applied ${e.index} after ${t.lastApplied}`);
      }
      t.lastApplied = e.index;
      this.observeCommitted(id, term, e, 'applied');
      this.stats.applied++;
    }
  }

  onSnapshot(id: NodeId, snap: SnapshotMeta): void {
    const t = this.track(id);
    if (snap.index < t.lastApplied) {
      throw new SafetyViolation('apply order', `n${id} installed snapshot ${snap.index} below applied ${t.lastApplied}`);
    }
    const known = this.canonical.get(snap.index)?.entry;
    if (known !== undefined && known.term !== snap.term) {
      throw new SafetyViolation('snapshot', `n${id} snapshot ${snap.index}/${snap.term} but entry has term ${known.term}`);
    }
    t.lastApplied = snap.index;
  }

  /** A proposal was acknowledged (committed and applied at the proposer) at `index`. */
  onAck(index: number, data: Uint8Array): void {
    const e = this.canonical.get(index)?.entry;
    if (e === undefined) throw new SafetyViolation('ack', `proposal acknowledged at ${index} before any node applied it`);
    if (!sameBytes(e.data, data)) throw new SafetyViolation('ack', `proposal acknowledged at ${index} but that index holds other data`);
    this.acked.set(index, data);
    this.maxAckedIndex = Math.max(this.maxAckedIndex, index);
  }

  /** A read issued when acks covered `ackedAtStart` returned `index`. */
  onRead(id: NodeId, ackedAtStart: number, index: number): void {
    if (index < ackedAtStart) {
      throw new SafetyViolation('linearizable read', `n${id} read index ${index} < ${ackedAtStart} acknowledged before the read`);
    }
  }

  /** Checks every live node after one event. */
  afterEvent(views: readonly NodeView[]): void {
    for (const v of views) {
      const t = this.track(v.id);
      if (t.incarnation !== v.incarnation) continue;
      this.checkMonotone(v, t);
      if (v.role === 'leader') this.checkLeader(v);
      this.verifyDisk(v, t);
      this.checkLeaderCompleteness(v);
    }
  }

  private track(id: NodeId): NodeTrack {
    const t = this.tracks.get(id);
    if (t === undefined) throw new SafetyViolation('harness', `n${id} is not tracked`);
    return t;
  }

  private checkMonotone(v: NodeView, t: NodeTrack): void {
    if (v.commitIndex < t.commit) throw new SafetyViolation('commit monotone', `n${v.id} commit ${t.commit} -> ${v.commitIndex}`);
    if (v.appliedIndex < t.applied) throw new SafetyViolation('applied monotone', `n${v.id} applied ${t.applied} -> ${v.appliedIndex}`);
    if (v.appliedIndex > v.commitIndex) throw new SafetyViolation('applied <= commit', `n${v.id} applied ${v.appliedIndex} > commit ${v.commitIndex}`);
    if (v.commitIndex > v.lastIndex) throw new SafetyViolation('commit <= last', `n${v.id} commit ${v.commitIndex} > last ${v.lastIndex}`);
    t.commit = v.commitIndex;
    t.applied = v.appliedIndex;
  }

  private checkLeader(v: NodeView): void {
    const other = this.leaders.get(v.term);
    if (other === undefined) {
      this.leaders.set(v.term, v.id);
      this.stats.leaderTerms++;
      this.leaderChecks.set(v.id, { term: v.term, lastIndexAtElection: v.lastIndex });
    } else if (other !== v.id) {
      throw new SafetyViolation('election safety', `n${other} and n${v.id} both lead term ${v.term}`);
    }
  }

  /** Entries up to the commit index a node persisted are committed: they must agree. */
  private verifyDisk(v: NodeView, t: NodeTrack): void {
    const d = v.disk;
    const upTo = Math.min(d.hardState.commit, d.lastIndex);
    if (t.verified >= upTo) return;
    for (let i = Math.max(t.verified + 1, d.firstIndex); i <= upTo; i++) {
      this.observeCommitted(v.id, d.hardState.term, d.entryAt(i)!, 'persisted');
    }
    t.verified = upTo;
  }

  private checkLeaderCompleteness(v: NodeView): void {
    const c = this.leaderChecks.get(v.id);
    if (c === undefined) return;
    if (v.role !== 'leader' || v.term !== c.term) {
      this.leaderChecks.delete(v.id);
      return;
    }
    // Wait until everything the leader had at its election is on its disk.
    const d = v.disk;
    if (d.hardState.term !== c.term || d.lastIndex < c.lastIndexAtElection) return;
    this.leaderChecks.delete(v.id);
    this.stats.leaderChecks++;
    for (const [index, { entry: want, seenInTerm }] of this.canonical) {
      if (index < d.firstIndex || seenInTerm >= c.term) continue;
      const e = d.entryAt(index);
      if (e === undefined || e.term !== want.term || !sameBytes(e.data, want.data)) {
        throw new SafetyViolation('leader completeness',
          `n${v.id} leads term ${c.term} without committed entry ${index}/${want.term} (has ${e === undefined ? 'nothing' : `term ${e.term}`})`);
      }
    }
  }

  private observeCommitted(id: NodeId, term: number, e: Entry, how: string): void {
    const seen = this.canonical.get(e.index);
    if (seen === undefined) {
      this.canonical.set(e.index, { entry: e, seenInTerm: term });
      return;
    }
    seen.seenInTerm = Math.min(seen.seenInTerm, term);
    const known = seen.entry;
    if (known.term !== e.term || known.type !== e.type || !sameBytes(known.data, e.data)) {
      throw new SafetyViolation('committed log agreement',
        `n${id} ${how} ${e.index}/${e.term} but the committed entry there is ${known.index}/${known.term}`);
    }
  }
}
