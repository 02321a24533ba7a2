// The driver's address book: which peers the transport can reach. Addresses come from
// configuration (initial voters, known peers), from conf change entries (their context carries
// the new member's address) and, for members known only from a snapshot, from the application.
//
// Peers are added as soon as an address is known and removed only when a removeNode change is
// applied (ids are never reused, so a removed node never comes back). Membership alone must not
// prune the book: a node replaying old log entries (a joiner, a restart) sees a membership older
// than the cluster's, yet it must answer the current leader, which may not be in it yet.
import type { ConfState, NodeId } from './core/types.js';
import type { PeerTransport } from './ports.js';

export class PeerBook {
  private readonly addresses = new Map<NodeId, string>();

  constructor(
    private readonly self: NodeId,
    private readonly transport: PeerTransport,
    /** Asked for members with no known address (added before a snapshot this node installed,
     *  so their conf change entry never reaches it). */
    private readonly resolve: (id: NodeId) => string | undefined = () => undefined,
    private readonly onUnknown: (id: NodeId) => void = () => undefined,
  ) {}

  /** Records an address (configuration, or a conf change's context) and makes the peer
   *  reachable. An empty address (bootstrap entries carry none) changes nothing. */
  add(id: NodeId, address: string): void {
    if (address === '' || this.addresses.get(id) === address) return;
    this.addresses.set(id, address);
    if (id !== this.self) this.transport.setPeer(id, address);
  }

  /** A removeNode change was applied. */
  remove(id: NodeId): void {
    this.addresses.delete(id);
    if (id !== this.self) this.transport.removePeer(id);
  }

  addressOf(id: NodeId): string | undefined {
    return this.addresses.get(id);
  }

  /** Before sending to `id`: resolves its address if none is known yet (e.g. a leader added
   *  after the entries this node has applied, which it must still answer). */
  ensure(id: NodeId): void {
    if (id === this.self || this.addresses.has(id)) return;
    const address = this.resolve(id);
    if (address !== undefined) this.add(id, address);
  }

  /** Makes every member of `cs` reachable, resolving the addresses it does not know. */
  reachMembers(cs: ConfState): void {
    for (const id of [...cs.voters, ...cs.learners]) {
      if (id === this.self || this.addresses.has(id)) continue;
      const address = this.resolve(id);
      if (address === undefined) this.onUnknown(id);
      else this.add(id, address);
    }
  }
}
