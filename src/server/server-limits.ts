// The binlog server's resource limits (config keys under `binlog-server`, DESIGN.md invariant 8:
// no single client, logged in or not, exhausts the memory, the connections or the event loop of a
// node). Before login a client is a stranger: small packets, a short deadline, a few handshake
// slots per address. After login it is a replica holding the password: packets as large as
// max_allowed_packet, and MySQL's wait_timeout between commands.

export interface BinlogServerLimits {
  /** Every connection, logged in or not; beyond it ER_CON_COUNT_ERROR (1040). */
  maxConnections: number;
  /** Connections still in the handshake from addresses no replica has logged in from. */
  maxHandshakes: number;
  /** Connections still in the handshake from one address. */
  maxHandshakesPerIp: number;
  /** Handshake slots kept for addresses a replica has logged in from, so that a flood from
   *  elsewhere never locks a known replica out of reconnecting. */
  replicaHandshakes: number;
  /** max_allowed_packet after login (before it, 64 KiB). */
  maxPacketSize: number;
  /** connect_timeout: from connect to a finished login. */
  handshakeTimeoutMs: number;
  /** wait_timeout: a logged-in connection idle this long between commands is closed; never one
   *  running a binlog dump. */
  waitTimeoutMs: number;
}

export const DEFAULT_BINLOG_SERVER_LIMITS: Readonly<BinlogServerLimits> = {
  maxConnections: 256,
  maxHandshakes: 64,
  maxHandshakesPerIp: 8,
  replicaHandshakes: 32,
  // Replicas send a few hundred bytes at most; a large packet costs ~20 ms of copying per MiB
  // on a loaded core, so a few MiB bound what one logged-in client can stall the node for.
  maxPacketSize: 4 * 1024 * 1024,
  handshakeTimeoutMs: 5000,
  waitTimeoutMs: 28_800_000,
};

/** Why a set of limits cannot work, or null. Handshakes must not be able to take every slot. */
export function limitsProblem(limits: BinlogServerLimits): { key: keyof BinlogServerLimits; detail: string } | null {
  if (limits.maxHandshakes + limits.replicaHandshakes >= limits.maxConnections) {
    return {
      key: 'maxHandshakes',
      detail: `max-handshakes (${limits.maxHandshakes}) + replica-handshakes (${limits.replicaHandshakes}) must stay below max-connections (${limits.maxConnections}), so that logged-in replicas always have room`,
    };
  }
  return null;
}
