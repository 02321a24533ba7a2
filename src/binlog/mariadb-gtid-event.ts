// MariaDB GTID_EVENT (162): starts every event group (replaces BEGIN) and names its GTID; the
// domain-server-seq GTID takes server_id from the event header.
//   seq_no u64 | domain_id u32 | flags2 u8 | [commit_id u64 if FL_GROUP_COMMIT_ID] |
//   [format_id u32 | gtrid_len u8 | bqual_len u8 | xid data, if FL_PREPARED_XA or FL_COMPLETED_XA]
//   (later servers may append more; it is ignored here).
import { BinlogError } from './binlog-error.js';
import { eventBody, type BinlogEvent } from './binlog-event.js';
import { ByteReader, writeU32, writeU64 } from './byte-reader.js';
import { buildEvent } from './event-builder.js';
import { LOG_EVENT_SUPPRESS_USE_F } from './event-header.js';
import { GTID_EVENT } from './event-type.js';
import type { MariaDbGtid } from './gtid-set-mariadb.js';

// Gtid_log_event flags2 (sql/log_event.h).
/** No terminating COMMIT/XID: the group is this GTID plus one statement (DDL, non-transactional). */
export const FL_STANDALONE = 0x01;
export const FL_GROUP_COMMIT_ID = 0x02;
export const FL_TRANSACTIONAL = 0x04;
export const FL_ALLOW_PARALLEL = 0x08;
export const FL_WAITED = 0x10;
export const FL_DDL = 0x20;
export const FL_PREPARED_XA = 0x40;
export const FL_COMPLETED_XA = 0x80;

export interface MariaDbGtidEvent {
  gtid: MariaDbGtid;
  flags2: number;
  standalone: boolean;
  commitId?: bigint;
  /** XA transaction id (hex of gtrid+bqual) for XA PREPARE / XA COMMIT|ROLLBACK groups. */
  xid?: { formatId: number; gtrid: Uint8Array; bqual: Uint8Array };
}

export function parseMariaDbGtidEvent(event: BinlogEvent): MariaDbGtidEvent {
  if (event.header.type !== GTID_EVENT) throw new BinlogError('BINLOG_BAD_EVENT', `expected MARIADB_GTID, got type ${event.header.type}`, event.offset);
  const r = new ByteReader(eventBody(event), 0, undefined, 'MARIADB_GTID');
  try {
    const seq = r.u64();
    const domain = r.u32();
    const flags2 = r.u8();
    const out: MariaDbGtidEvent = {
      gtid: { domain, serverId: event.header.serverId, seq }, flags2, standalone: (flags2 & FL_STANDALONE) !== 0,
    };
    if (flags2 & FL_GROUP_COMMIT_ID) out.commitId = r.u64();
    if (flags2 & (FL_PREPARED_XA | FL_COMPLETED_XA)) {
      const formatId = r.u32();
      const gtridLen = r.u8();
      const bqualLen = r.u8();
      out.xid = { formatId, gtrid: r.bytes(gtridLen), bqual: r.bytes(bqualLen) };
    }
    return out;
  } catch (err) {
    if (err instanceof BinlogError && err.offset === undefined) throw new BinlogError(err.code, err.message, event.offset);
    throw err;
  }
}

/** Builds a GTID event as MariaDB writes it (42 bytes with CRC, flags SUPPRESS_USE). */
export function buildMariaDbGtidEvent(spec: {
  gtid: MariaDbGtid; flags2: number; commitId?: bigint; checksum: boolean; timestamp?: number; logPos?: number;
}): Buffer {
  const withCommitId = (spec.flags2 & FL_GROUP_COMMIT_ID) !== 0;
  const body = Buffer.alloc(withCommitId ? 21 : 19); // MariaDB pads the body to 19 bytes
  writeU64(body, 0, spec.gtid.seq);
  writeU32(body, 8, spec.gtid.domain);
  body[12] = spec.flags2;
  if (withCommitId) writeU64(body, 13, spec.commitId ?? 0n);
  return buildEvent({
    type: GTID_EVENT, serverId: spec.gtid.serverId, body, checksum: spec.checksum,
    timestamp: spec.timestamp, logPos: spec.logPos, flags: LOG_EVENT_SUPPRESS_USE_F,
  });
}
