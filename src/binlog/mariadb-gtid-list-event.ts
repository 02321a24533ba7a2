// MariaDB GTID_LIST_EVENT (163): after the FDE of every binlog, the binlog state (last GTID of each
// (domain, server)) at the start of the file. A dump resuming by GTID also sends a fake one
// (ts 0, LOG_EVENT_ARTIFICIAL_F, log_pos = resume offset) carrying the client's connect state.
//   count u32 (low 28 bits = number of GTIDs, top 4 bits = flags) | (domain u32 | server u32 |
//   seq u64) × count
import { BinlogError } from './binlog-error.js';
import { eventBody, type BinlogEvent } from './binlog-event.js';
import { ByteReader, writeU32, writeU64 } from './byte-reader.js';
import { buildEvent } from './event-builder.js';
import { LOG_EVENT_ARTIFICIAL_F } from './event-header.js';
import { GTID_LIST_EVENT } from './event-type.js';
import type { MariaDbGtid } from './gtid-set-mariadb.js';

/** Gtid_list_log_event flags (top 4 bits of the count). */
export const FLAG_UNTIL_REACHED = 1;
export const FLAG_IGN_GTIDS = 2;

export interface MariaDbGtidListEvent {
  gtids: MariaDbGtid[];
  flags: number;
}

export function parseMariaDbGtidListEvent(event: BinlogEvent): MariaDbGtidListEvent {
  if (event.header.type !== GTID_LIST_EVENT) throw new BinlogError('BINLOG_BAD_EVENT', `expected MARIADB_GTID_LIST, got type ${event.header.type}`, event.offset);
  const r = new ByteReader(eventBody(event), 0, undefined, 'MARIADB_GTID_LIST');
  try {
    const word = r.u32();
    const count = word & 0x0fffffff;
    const flags = word >>> 28;
    if (count * 16 > r.remaining) throw new BinlogError('BINLOG_BAD_EVENT', `GTID_LIST announces ${count} GTIDs in ${r.remaining} bytes`);
    const gtids: MariaDbGtid[] = [];
    for (let i = 0; i < count; i++) gtids.push({ domain: r.u32(), serverId: r.u32(), seq: r.u64() });
    return { gtids, flags };
  } catch (err) {
    if (err instanceof BinlogError && err.offset === undefined) throw new BinlogError(err.code, err.message, event.offset);
    throw err;
  }
}

export interface GtidListBuild {
  serverId: number;
  gtids: readonly MariaDbGtid[];
  checksum: boolean;
  /** Offset the dump resumes at (header log_pos). */
  logPos: number;
  flags?: number;
}

/** A fake GTID_LIST as MariaDB sends it at a GTID resume point: ts 0, flags 0x20. */
export function buildFakeMariaDbGtidList(spec: GtidListBuild): Buffer {
  const body = Buffer.alloc(4 + 16 * spec.gtids.length);
  writeU32(body, 0, (spec.gtids.length | ((spec.flags ?? 0) << 28)) >>> 0);
  spec.gtids.forEach((g, i) => {
    writeU32(body, 4 + 16 * i, g.domain);
    writeU32(body, 8 + 16 * i, g.serverId);
    writeU64(body, 12 + 16 * i, g.seq);
  });
  return buildEvent({
    type: GTID_LIST_EVENT, serverId: spec.serverId, body, checksum: spec.checksum,
    timestamp: 0, logPos: spec.logPos, flags: LOG_EVENT_ARTIFICIAL_F,
  });
}
