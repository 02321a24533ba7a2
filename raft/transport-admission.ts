// Who may hold a socket on the peer port before proving the cluster token. An outsider must not be
// able to fill the port and lock real peers out (1100 idle sockets once did):
// - a socket that has not authenticated counts against its remote IP (preAuthPerIpMax) and a
//   shared pool (preAuthMax), and lives at most the hello deadline (the transport enforces it);
// - the IPs of configured peers have a pool of their own (peerPreAuthMax) that nobody else can
//   use, so a flood from other addresses never delays a peer's reconnect;
// - once authenticated, a socket leaves these pools (authenticated peers are bounded by the
//   transport: one inbound connection per peer and lane).
// An attacker on a peer's own IP can still compete for that IP's slots; nothing before the
// handshake can tell the two apart.
import { isIP } from 'node:net';

export interface AdmissionLimits {
  /** Unauthenticated sockets from IPs that are not configured peers, in total. */
  readonly preAuthMax: number;
  /** Unauthenticated sockets from one IP that is not a configured peer. */
  readonly preAuthPerIpMax: number;
  /** Unauthenticated sockets from the configured peers' IPs, in total. */
  readonly peerPreAuthMax: number;
}

export const DEFAULT_ADMISSION_LIMITS: AdmissionLimits = { preAuthMax: 64, preAuthPerIpMax: 8, peerPreAuthMax: 64 };

/** A slot held by one unauthenticated socket; give it back with release(). */
export interface AdmissionTicket {
  readonly ip: string;
  readonly peerPool: boolean;
  released: boolean;
}

export type AdmissionRefusal = 'per-ip limit' | 'pre-auth limit' | 'peer pre-auth limit';

/** `::ffff:10.0.0.1` (an IPv4 client on a dual-stack socket) and `10.0.0.1` are one address. */
export function normalizeIp(ip: string | undefined): string {
  const s = (ip ?? '').toLowerCase();
  return s.startsWith('::ffff:') && isIP(s.slice(7)) === 4 ? s.slice(7) : s;
}

export class InboundAdmission {
  private readonly perIp = new Map<string, number>();
  private general = 0;
  private peerPool = 0;
  private peerIps: ReadonlySet<string> = new Set();

  constructor(private readonly limits: AdmissionLimits = DEFAULT_ADMISSION_LIMITS) {}

  /** The configured peers' IPs (resolved addresses): their sockets use the reserved pool. */
  setPeerIps(ips: Iterable<string>): void {
    this.peerIps = new Set([...ips].map(normalizeIp));
  }

  /** Takes a slot for a new unauthenticated socket from `remoteIp`, or says why not. */
  admit(remoteIp: string | undefined): AdmissionTicket | AdmissionRefusal {
    const ip = normalizeIp(remoteIp);
    if (this.peerIps.has(ip)) {
      if (this.peerPool >= this.limits.peerPreAuthMax) return 'peer pre-auth limit';
      this.peerPool++;
      return { ip, peerPool: true, released: false };
    }
    const fromIp = this.perIp.get(ip) ?? 0;
    if (fromIp >= this.limits.preAuthPerIpMax) return 'per-ip limit';
    if (this.general >= this.limits.preAuthMax) return 'pre-auth limit';
    this.perIp.set(ip, fromIp + 1);
    this.general++;
    return { ip, peerPool: false, released: false };
  }

  /** Gives the slot back (the socket authenticated or closed); idempotent. */
  release(ticket: AdmissionTicket): void {
    if (ticket.released) return;
    ticket.released = true;
    if (ticket.peerPool) {
      this.peerPool--;
      return;
    }
    this.general--;
    const left = (this.perIp.get(ticket.ip) ?? 1) - 1;
    if (left > 0) this.perIp.set(ticket.ip, left);
    else this.perIp.delete(ticket.ip);
  }

  /** Unauthenticated sockets held now: total, and from the peers' pool. */
  stats(): { preAuth: number; peerPreAuth: number } {
    return { preAuth: this.general + this.peerPool, peerPreAuth: this.peerPool };
  }
}
