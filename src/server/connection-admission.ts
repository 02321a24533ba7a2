// Who may hold a connection to the binlog server. A connection that has not logged in counts
// against its remote address (maxHandshakesPerIp) and a shared handshake pool (maxHandshakes), and
// lives at most the handshake deadline; addresses a replica has logged in from have a pool of their
// own (replicaHandshakes) that strangers cannot fill, so 2000 half-open sockets from elsewhere
// never keep a known replica from reconnecting. Every connection, logged in or not, counts against
// maxConnections; handshakes can never fill it (limitsProblem), so logged-in sessions always have
// room. An attacker on a replica's own address still competes for that address's slots: nothing
// before the login tells the two apart.
import type { BinlogServerLimits } from './server-limits.js';

export type AdmissionLimits = Pick<BinlogServerLimits, 'maxConnections' | 'maxHandshakes' | 'maxHandshakesPerIp' | 'replicaHandshakes'>;

/** Addresses remembered as replicas' (most recent logins kept). */
const MAX_REPLICA_ADDRESSES = 1024;

/** The slot one connection holds; logged in, it leaves the handshake pools. */
export interface AdmissionTicket {
  readonly ip: string;
  pool: 'general' | 'replica' | null;
  released: boolean;
}

export type AdmissionRefusal = 'connection limit' | 'per-ip limit' | 'handshake limit';

/** One address per client, whatever the socket family (the peer port's rule). */
export { normalizeIp as clientIp } from '../../raft/transport-admission.js';

export class ConnectionAdmission {
  readonly #limits: AdmissionLimits;
  readonly #handshakesByIp = new Map<string, number>();
  /** Insertion order is login order: the oldest is forgotten first. */
  readonly #replicaIps = new Set<string>();
  #connections = 0;
  #general = 0;
  #replica = 0;

  constructor(limits: AdmissionLimits) {
    this.#limits = limits;
  }

  /** Takes a slot for a new connection from `ip`, or says which limit refuses it. */
  admit(ip: string): AdmissionTicket | AdmissionRefusal {
    const l = this.#limits;
    if (this.#connections >= l.maxConnections) return 'connection limit';
    const fromIp = this.#handshakesByIp.get(ip) ?? 0;
    if (fromIp >= l.maxHandshakesPerIp) return 'per-ip limit';
    let pool: 'general' | 'replica';
    if (this.#replicaIps.has(ip) && this.#replica < l.replicaHandshakes) pool = 'replica';
    else if (this.#general < l.maxHandshakes) pool = 'general';
    else return 'handshake limit';
    if (pool === 'replica') this.#replica++;
    else this.#general++;
    this.#handshakesByIp.set(ip, fromIp + 1);
    this.#connections++;
    return { ip, pool, released: false };
  }

  /** The connection logged in: its handshake slot is free, its address a replica's. */
  loggedIn(ticket: AdmissionTicket): void {
    if (ticket.released) return;
    this.#leaveHandshake(ticket);
    this.#replicaIps.delete(ticket.ip);
    this.#replicaIps.add(ticket.ip);
    if (this.#replicaIps.size > MAX_REPLICA_ADDRESSES) this.#replicaIps.delete(this.#replicaIps.values().next().value!);
  }

  /** The connection closed; idempotent. */
  release(ticket: AdmissionTicket): void {
    if (ticket.released) return;
    this.#leaveHandshake(ticket);
    ticket.released = true;
    this.#connections--;
  }

  stats(): { connections: number; handshakes: number; replicaHandshakes: number } {
    return { connections: this.#connections, handshakes: this.#general + this.#replica, replicaHandshakes: this.#replica };
  }

  #leaveHandshake(ticket: AdmissionTicket): void {
    if (ticket.pool === null) return;
    if (ticket.pool === 'replica') this.#replica--;
    else this.#general--;
    ticket.pool = null;
    const left = (this.#handshakesByIp.get(ticket.ip) ?? 1) - 1;
    if (left > 0) this.#handshakesByIp.set(ticket.ip, left);
    else this.#handshakesByIp.delete(ticket.ip);
  }
}
