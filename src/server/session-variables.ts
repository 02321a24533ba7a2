// The user variables of one session (SET @x = …) and what the dump reads from them. Replicas
// pass their dump parameters this way: the checksum they accept, the heartbeat period, the GTID
// position (MariaDB), their capability level, their UUID (MySQL). Names are case-insensitive, as
// on the server. Both the master_/slave_ and the source_/replica_ spellings are read where MySQL
// reads both.
import { BINLOG_CHECKSUM_ALG_CRC32, BINLOG_CHECKSUM_ALG_OFF, BINLOG_CHECKSUM_ALG_UNDEF } from '../binlog/event-checksum.js';
import { MAX_USER_VARIABLES, MAX_USER_VARIABLES_CHARS, SessionLimitError } from './session-limits.js';

export interface UserValue {
  /** Text form; null for NULL. */
  value: string | null;
  /** Set from a number (SELECT returns it as an integer column). */
  numeric: boolean;
}

/** MARIA_SLAVE_CAPABILITY_* (sql/log_event.h): what a MariaDB replica says it understands. */
export const MARIA_SLAVE_CAPABILITY_UNKNOWN = 0;
export const MARIA_SLAVE_CAPABILITY_ANNOTATE = 1;
export const MARIA_SLAVE_CAPABILITY_TOLERATE_HOLES = 2;
export const MARIA_SLAVE_CAPABILITY_BINLOG_CHECKPOINT = 3;
export const MARIA_SLAVE_CAPABILITY_GTID = 4;

/** What a dump takes from the session when it starts. */
export interface DumpParameters {
  /** The algorithm the client declared (BINLOG_CHECKSUM_ALG_*): UNDEF when it never set one. */
  checksum: number;
  /** Heartbeat period in nanoseconds; 0n = no heartbeats. */
  heartbeatPeriodNs: bigint;
  /** MariaDB @slave_connect_state (GTID mode when not null). */
  connectState: string | null;
  capability: number;
  gtidStrictMode: boolean;
  gtidIgnoreDuplicates: boolean;
  /** MySQL @replica_uuid / @slave_uuid ('' when unset). */
  replicaUuid: string;
  /** @rpl_semi_sync_slave / @rpl_semi_sync_replica set: event packets carry the 0xEF header. */
  semiSync: boolean;
}

/** val_int of a user variable: a leading integer of the text, 0 when there is none (MySQL rules). */
export function intOf(v: UserValue | undefined): bigint {
  if (!v || v.value === null) return 0n;
  const m = /^\s*([+-]?\d+)/.exec(v.value);
  if (!m) return 0n;
  return BigInt(m[1]!);
}

function sizeOf(name: string, value: UserValue): number {
  return name.length + (value.value?.length ?? 0);
}

export class SessionVariables {
  readonly #vars = new Map<string, UserValue>();
  #chars = 0;

  set(name: string, value: UserValue): void {
    this.assign([[name, value]]);
  }

  /** Sets every variable or, when that would go over a session cap (MAX_USER_VARIABLES,
   *  MAX_USER_VARIABLES_CHARS), none: throws SessionLimitError. */
  assign(updates: readonly (readonly [string, UserValue])[]): void {
    const next = new Map<string, UserValue>();
    for (const [name, value] of updates) next.set(name.toLowerCase(), value);
    let count = this.#vars.size;
    let chars = this.#chars;
    for (const [name, value] of next) {
      const old = this.#vars.get(name);
      if (old === undefined) count++;
      else chars -= sizeOf(name, old);
      chars += sizeOf(name, value);
    }
    if (count > MAX_USER_VARIABLES) throw new SessionLimitError('user_variables', MAX_USER_VARIABLES);
    if (chars > MAX_USER_VARIABLES_CHARS) throw new SessionLimitError('user_variables_size', MAX_USER_VARIABLES_CHARS);
    for (const [name, value] of next) this.#vars.set(name, value);
    this.#chars = chars;
  }

  get size(): number {
    return this.#vars.size;
  }

  get(name: string): UserValue | undefined {
    return this.#vars.get(name.toLowerCase());
  }

  has(name: string): boolean {
    return this.#vars.has(name.toLowerCase());
  }

  /** The first of `names` that is set. */
  first(...names: string[]): UserValue | undefined {
    for (const n of names) {
      const v = this.get(n);
      if (v !== undefined) return v;
    }
    return undefined;
  }

  /**
   * The declared checksum algorithm. MariaDB reads @master_binlog_checksum only; MySQL 8.0.26+
   * reads @source_binlog_checksum, falling back to the old name. The value is matched against
   * the typelib NONE/CRC32 case-insensitively; an unknown value counts as not declared.
   */
  declaredChecksum(flavor: 'mariadb' | 'mysql'): number {
    const v = flavor === 'mysql' ? this.first('source_binlog_checksum', 'master_binlog_checksum') : this.get('master_binlog_checksum');
    if (v === undefined) return BINLOG_CHECKSUM_ALG_UNDEF;
    const text = (v.value ?? '').trim().toUpperCase();
    if (text === 'NONE') return BINLOG_CHECKSUM_ALG_OFF;
    if (text === 'CRC32') return BINLOG_CHECKSUM_ALG_CRC32;
    return BINLOG_CHECKSUM_ALG_UNDEF;
  }

  dumpParameters(flavor: 'mariadb' | 'mysql'): DumpParameters {
    const period = flavor === 'mysql' ? this.first('source_heartbeat_period', 'master_heartbeat_period') : this.get('master_heartbeat_period');
    const connect = this.get('slave_connect_state');
    const uuid = this.first('replica_uuid', 'slave_uuid');
    const ns = intOf(period);
    return {
      checksum: this.declaredChecksum(flavor),
      heartbeatPeriodNs: ns > 0n ? ns : 0n,
      connectState: connect === undefined || connect.value === null ? null : connect.value,
      capability: Number(intOf(this.get('mariadb_slave_capability'))),
      gtidStrictMode: intOf(this.get('slave_gtid_strict_mode')) !== 0n,
      gtidIgnoreDuplicates: intOf(this.get('slave_gtid_ignore_duplicates')) !== 0n,
      replicaUuid: uuid?.value ?? '',
      semiSync: intOf(this.first('rpl_semi_sync_replica', 'rpl_semi_sync_slave')) !== 0n,
    };
  }
}
