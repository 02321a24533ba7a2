// The simulated network: one PeerTransport per node incarnation, all sharing one scheduler.
// Every message goes through the real wire codec (raft/codec.ts), so nothing aliases between
// nodes and codec bugs show up as failures here.
//
// Faults: delay (a minimum plus an exponential tail), loss, duplication, reordering (without it
// each directed path is FIFO, as a TCP connection is), and partitions as a set of blocked
// directed paths (isolate one node, split into halves, one-way links), all healed by heal().
// A message is dropped if its path is blocked when it is sent or when it would arrive.
import { decodeMessage, encodeMessage } from '../../raft/codec.js';
import type { Message, NodeId } from '../../raft/core/types.js';
import type { PeerTransport } from '../../raft/ports.js';
import type { NodeGate } from './node-gate.js';
import type { SimRandom } from './prng.js';
import type { Scheduler } from './scheduler.js';

export interface NetworkFaults {
  /** Every message takes at least this long. */
  readonly delayMinMs: number;
  /** Mean of the exponential delay added to delayMinMs. */
  readonly delayMeanMs: number;
  readonly lossProbability: number;
  readonly duplicateProbability: number;
  /** Probability that a message may overtake earlier ones on its path. */
  readonly reorderProbability: number;
}

export const QUIET_NETWORK: NetworkFaults = {
  delayMinMs: 0.2,
  delayMeanMs: 1,
  lossProbability: 0,
  duplicateProbability: 0,
  reorderProbability: 0,
};

/** Reports to an unreachable peer are rate-limited to one per path per this many ms. */
const UNREACHABLE_REPORT_MS = 100;

function pathKey(from: NodeId, to: NodeId): string {
  return `${from}>${to}`;
}

/** A one-line summary of a message for the trace. */
export function describeMessage(m: Message): string {
  let s = `n${m.from}->n${m.to} ${m.type} t${m.term}`;
  if (m.type === 'app' || m.type === 'appResp' || m.type === 'vote' || m.type === 'preVote') {
    s += ` i${m.index}/${m.logTerm}`;
  }
  if (m.entries.length > 0) s += ` e${m.entries.length}`;
  if (m.type === 'app' || m.type === 'heartbeat') s += ` c${m.commit}`;
  if (m.reject) s += ` reject(hint ${m.rejectHint})`;
  if (m.snapshot !== null) s += ` snap@${m.snapshot.index}/${m.snapshot.term}`;
  return s;
}

export class SimNetwork {
  private readonly endpoints = new Map<NodeId, SimTransport>();
  private readonly blocked = new Set<string>();
  private readonly lastArrival = new Map<string, number>();
  private readonly lastUnreachable = new Map<string, number>();
  private faults: NetworkFaults;
  /** Messages handed to the network, delivered, and dropped (loss, partition, dead peer). */
  readonly counts = { sent: 0, delivered: 0, dropped: 0, duplicated: 0 };

  constructor(
    private readonly sched: Scheduler,
    private readonly rand: SimRandom,
    private readonly trace: (text: string) => void,
    faults: NetworkFaults = QUIET_NETWORK,
  ) {
    this.faults = faults;
  }

  setFaults(faults: NetworkFaults): void {
    this.faults = faults;
  }

  get currentFaults(): NetworkFaults {
    return this.faults;
  }

  /** A transport for a new incarnation of node `id`; it replaces the previous one. */
  connect(id: NodeId, gate: NodeGate): SimTransport {
    const t = new SimTransport(id, gate, this);
    this.endpoints.set(id, t);
    return t;
  }

  /** Takes node `id` off the network (a crash); messages in flight to it are dropped. */
  disconnect(id: NodeId, transport?: SimTransport): void {
    const current = this.endpoints.get(id);
    if (current !== undefined && (transport === undefined || current === transport)) this.endpoints.delete(id);
  }

  isBlocked(from: NodeId, to: NodeId): boolean {
    return this.blocked.has(pathKey(from, to));
  }

  /** Cuts `id` off from every node in `others`, both ways. */
  isolate(id: NodeId, others: readonly NodeId[]): void {
    for (const o of others) {
      if (o === id) continue;
      this.blocked.add(pathKey(id, o));
      this.blocked.add(pathKey(o, id));
    }
  }

  /** No traffic between the two groups, either way. */
  split(a: readonly NodeId[], b: readonly NodeId[]): void {
    for (const x of a) {
      for (const y of b) {
        if (x === y) continue;
        this.blocked.add(pathKey(x, y));
        this.blocked.add(pathKey(y, x));
      }
    }
  }

  /** Drops everything from `from` to `to`; the reverse direction keeps working. */
  oneWay(from: NodeId, to: NodeId): void {
    this.blocked.add(pathKey(from, to));
  }

  heal(): void {
    this.blocked.clear();
  }

  get partitioned(): boolean {
    return this.blocked.size > 0;
  }

  /** Called by a transport: schedules delivery (or not) of each message. */
  transmit(sender: SimTransport, messages: readonly Message[]): void {
    for (const m of messages) {
      this.counts.sent++;
      if (!sender.knows(m.to)) {
        this.drop(m, 'unknown peer');
        continue;
      }
      const dest = this.endpoints.get(m.to);
      if (this.isBlocked(m.from, m.to) || dest === undefined) {
        this.drop(m, dest === undefined ? 'peer down' : 'partition');
        this.reportUnreachable(sender, m.to);
        continue;
      }
      if (this.rand.chance(this.faults.lossProbability)) {
        this.drop(m, 'loss');
        continue;
      }
      const wire = encodeMessage(m);
      this.schedule(m, wire, false);
      if (this.rand.chance(this.faults.duplicateProbability)) {
        this.counts.duplicated++;
        this.schedule(m, wire, true);
      }
    }
  }

  private schedule(m: Message, wire: Uint8Array, duplicate: boolean): void {
    const key = pathKey(m.from, m.to);
    let at = this.sched.nowMs + this.faults.delayMinMs + this.rand.exponential(this.faults.delayMeanMs);
    const fifo = !duplicate && !this.rand.chance(this.faults.reorderProbability);
    if (fifo) {
      at = Math.max(at, this.lastArrival.get(key) ?? 0);
      this.lastArrival.set(key, at);
    }
    const label = `${describeMessage(m)}${duplicate ? ' (dup)' : ''}`;
    this.sched.at(at, label, () => this.arrive(m.from, m.to, wire, label));
  }

  private arrive(from: NodeId, to: NodeId, wire: Uint8Array, label: string): void {
    const dest = this.endpoints.get(to);
    if (dest === undefined || this.isBlocked(from, to)) {
      this.counts.dropped++;
      this.trace(`  dropped on arrival: ${dest === undefined ? 'peer down' : 'partition'}`);
      return;
    }
    if (dest.gate.paused) {
      this.sched.at(dest.gate.pausedUntilMs, `${label} (after pause)`, () => this.arrive(from, to, wire, label));
      return;
    }
    this.counts.delivered++;
    // A fresh copy per delivery: decoded byte fields alias the buffer they came from.
    dest.deliver(decodeMessage(Uint8Array.prototype.slice.call(wire)));
  }

  private drop(m: Message, why: string): void {
    this.counts.dropped++;
    this.trace(`  drop ${describeMessage(m)}: ${why}`);
  }

  private reportUnreachable(sender: SimTransport, to: NodeId): void {
    const key = pathKey(sender.id, to);
    const last = this.lastUnreachable.get(key);
    if (last !== undefined && this.sched.nowMs - last < UNREACHABLE_REPORT_MS) return;
    this.lastUnreachable.set(key, this.sched.nowMs);
    sender.gate.after(1, `n${sender.id} unreachable n${to}`, () => sender.unreachable(to));
  }
}

/** One node incarnation's end of the simulated network. */
export class SimTransport implements PeerTransport {
  private readonly peers = new Map<NodeId, string>();
  private messageHandler: ((m: Message) => void) | null = null;
  private unreachableHandler: ((peer: NodeId) => void) | null = null;
  private closed = false;

  constructor(
    readonly id: NodeId,
    readonly gate: NodeGate,
    private readonly net: SimNetwork,
  ) {}

  send(messages: readonly Message[]): void {
    if (this.closed || messages.length === 0) return;
    this.net.transmit(this, messages);
  }

  onMessage(handler: (message: Message) => void): void {
    this.messageHandler = handler;
  }

  onUnreachable(handler: (peer: NodeId) => void): void {
    this.unreachableHandler = handler;
  }

  setPeer(id: NodeId, address: string): void {
    this.peers.set(id, address);
  }

  removePeer(id: NodeId): void {
    this.peers.delete(id);
  }

  close(): Promise<void> {
    this.closed = true;
    this.net.disconnect(this.id, this);
    return Promise.resolve();
  }

  /** Whether this transport has an address for `id` (set by setPeer). */
  knows(id: NodeId): boolean {
    return this.peers.has(id);
  }

  get peerIds(): NodeId[] {
    return [...this.peers.keys()].sort((a, b) => a - b);
  }

  deliver(m: Message): void {
    if (!this.closed && this.gate.alive && this.messageHandler !== null) this.messageHandler(m);
  }

  unreachable(peer: NodeId): void {
    if (!this.closed && this.unreachableHandler !== null) this.unreachableHandler(peer);
  }
}
