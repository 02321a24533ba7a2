// FORMAT_DESCRIPTION_EVENT (15): the first event of every binlog and relay-log file. It says how
// the following events are laid out and whether they end with a CRC32.
//   binlog_version u16 | server_version char[50] | create_timestamp u32 | header_length u8 |
//   post_header_len[n] (one per event type, type 1 first) | [checksum_alg u8 | crc32 u32]
// The algorithm byte (and the CRC after it) exists only in FDEs of checksum-aware servers:
// MySQL ≥ 5.6.1, MariaDB ≥ 5.3.0 (`checksum_version_split`). Such an FDE always carries the 4 CRC
// bytes, even when the algorithm is OFF (the FDE itself is always checksummed).
import { BinlogError } from './binlog-error.js';
import { ByteReader } from './byte-reader.js';
import {
  BINLOG_CHECKSUM_ALG_CRC32, BINLOG_CHECKSUM_ALG_OFF, BINLOG_CHECKSUM_ALG_UNDEF, BINLOG_CHECKSUM_LEN,
  writeEventChecksum,
} from './event-checksum.js';
import {
  FLAGS_OFFSET, LOG_EVENT_BINLOG_IN_USE_F, LOG_EVENT_HEADER_LEN, LOG_POS_OFFSET, readEventHeader,
} from './event-header.js';
import { FORMAT_DESCRIPTION_EVENT } from './event-type.js';

/** ST_SERVER_VER_LEN */
export const ST_SERVER_VER_LEN = 50;
/** Offset of create_timestamp inside the whole event. */
const CREATED_OFFSET = LOG_EVENT_HEADER_LEN + 2 + ST_SERVER_VER_LEN;
/** Body bytes before the post-header lengths. */
const FIXED_BODY_LEN = 2 + ST_SERVER_VER_LEN + 4 + 1;

export type ServerFlavor = 'mysql' | 'mariadb';

export interface FormatDescription {
  binlogVersion: number;
  serverVersion: string;
  flavor: ServerFlavor;
  /** Seconds since the epoch; 0 when the server rewrote it (dumps) or never set it. */
  createTimestamp: number;
  headerLength: number;
  /** Post-header length of each event type: index = type code − 1. */
  postHeaderLengths: Uint8Array;
  /** BINLOG_CHECKSUM_ALG_OFF / _CRC32, or _UNDEF for a server without checksums. */
  checksumAlg: number;
  /** Whether this FDE itself ends with the algorithm byte and a CRC32. */
  hasChecksumField: boolean;
  /** LOG_EVENT_BINLOG_IN_USE_F was set: the file was open (or not closed cleanly). */
  inUse: boolean;
}

/** Parses a whole FORMAT_DESCRIPTION event (header included). */
export function parseFormatDescription(event: Uint8Array): FormatDescription {
  const header = readEventHeader(event);
  if (header.type !== FORMAT_DESCRIPTION_EVENT) {
    throw new BinlogError('BINLOG_BAD_EVENT', `expected FORMAT_DESCRIPTION, got type ${header.type}`);
  }
  const r = new ByteReader(event, LOG_EVENT_HEADER_LEN, event.length, 'FORMAT_DESCRIPTION');
  const binlogVersion = r.u16();
  const versionBytes = r.bytes(ST_SERVER_VER_LEN);
  const nul = versionBytes.indexOf(0);
  const serverVersion = Buffer.from(versionBytes.subarray(0, nul < 0 ? versionBytes.length : nul)).toString('latin1');
  const createTimestamp = r.u32();
  const headerLength = r.u8();
  if (headerLength !== LOG_EVENT_HEADER_LEN) {
    throw new BinlogError('BINLOG_BAD_EVENT', `FORMAT_DESCRIPTION announces a ${headerLength}-byte header; only v4 (19) is supported`);
  }
  // The version decides the layout (algorithm byte or not), so an unreadable one is an error,
  // not a guess.
  if (!/^\d+\.\d+\.\d+/.test(serverVersion)) {
    throw new BinlogError('BINLOG_BAD_EVENT', `FORMAT_DESCRIPTION server version "${serverVersion}" is not a version number`);
  }
  const flavor: ServerFlavor = /mariadb/i.test(serverVersion) ? 'mariadb' : 'mysql';
  const hasChecksumField = isChecksumAware(serverVersion, flavor);
  const tail = hasChecksumField ? 1 + BINLOG_CHECKSUM_LEN : 0;
  const count = event.length - LOG_EVENT_HEADER_LEN - FIXED_BODY_LEN - tail;
  if (count < 0) throw new BinlogError('BINLOG_BAD_EVENT', `FORMAT_DESCRIPTION of ${event.length} bytes is too short`);
  const postHeaderLengths = Uint8Array.from(r.bytes(count));
  let checksumAlg = BINLOG_CHECKSUM_ALG_UNDEF;
  if (hasChecksumField) {
    checksumAlg = r.u8();
    if (checksumAlg !== BINLOG_CHECKSUM_ALG_OFF && checksumAlg !== BINLOG_CHECKSUM_ALG_CRC32) {
      throw new BinlogError('BINLOG_BAD_EVENT', `FORMAT_DESCRIPTION names unknown checksum algorithm ${checksumAlg}`);
    }
  }
  return {
    binlogVersion, serverVersion, flavor, createTimestamp, headerLength, postHeaderLengths, checksumAlg,
    hasChecksumField, inUse: (header.flags & LOG_EVENT_BINLOG_IN_USE_F) !== 0,
  };
}

/** Whether events governed by this FDE end with a CRC32. */
export function eventsHaveChecksum(fde: FormatDescription): boolean {
  return fde.checksumAlg === BINLOG_CHECKSUM_ALG_CRC32;
}

/** The post-header length the FDE declares for an event type, or `fallback` if it has none. */
export function postHeaderLength(fde: FormatDescription | undefined, type: number, fallback: number): number {
  if (!fde || type < 1 || type > fde.postHeaderLengths.length) return fallback;
  return fde.postHeaderLengths[type - 1]!;
}

/** Whether the server that wrote this version string puts the checksum algorithm into its FDE. */
export function isChecksumAware(serverVersion: string, flavor: ServerFlavor): boolean {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(serverVersion);
  if (!m) return false;
  const v = [Number(m[1]), Number(m[2]), Number(m[3])] as const;
  const split = flavor === 'mariadb' ? [5, 3, 0] : [5, 6, 1];
  for (let i = 0; i < 3; i++) {
    if (v[i]! !== split[i]!) return v[i]! > split[i]!;
  }
  return true;
}

export interface FdeRewrite {
  /** Clear LOG_EVENT_BINLOG_IN_USE_F (always done by servers when they send a file's FDE). */
  clearInUse?: boolean;
  /** Set create_timestamp to 0 (servers do this when the dump does not start at the file's start). */
  zeroCreated?: boolean;
  /** Set log_pos to 0 (file/pos dumps from a position > 4: "do not advance the position"). */
  zeroLogPos?: boolean;
}

/**
 * A copy of an FDE with the changes a dump makes, CRC recomputed. `clearInUse` defaults to true.
 * The input is not modified.
 */
export function rewriteFormatDescription(event: Uint8Array, change: FdeRewrite = {}): Buffer {
  const fde = parseFormatDescription(event);
  const out = Buffer.from(event);
  if (change.clearInUse ?? true) out[FLAGS_OFFSET] = out[FLAGS_OFFSET]! & ~LOG_EVENT_BINLOG_IN_USE_F;
  if (change.zeroCreated) out.fill(0, CREATED_OFFSET, CREATED_OFFSET + 4);
  if (change.zeroLogPos) out.fill(0, LOG_POS_OFFSET, LOG_POS_OFFSET + 4);
  if (fde.hasChecksumField) writeEventChecksum(out);
  return out;
}

export interface FdeBuild {
  serverId: number;
  serverVersion: string;
  timestamp?: number;
  createTimestamp?: number;
  logPos?: number;
  flags?: number;
  postHeaderLengths: Uint8Array;
  checksumAlg: number;
}

/** Builds a fresh FDE (binlog version 4) — for tests and for a relay that must describe its own files. */
export function buildFormatDescription(spec: FdeBuild): Buffer {
  const aware = spec.checksumAlg !== BINLOG_CHECKSUM_ALG_UNDEF;
  const size = LOG_EVENT_HEADER_LEN + FIXED_BODY_LEN + spec.postHeaderLengths.length + (aware ? 1 + BINLOG_CHECKSUM_LEN : 0);
  const out = Buffer.alloc(size);
  out.writeUInt32LE(spec.timestamp ?? 0, 0);
  out[4] = FORMAT_DESCRIPTION_EVENT;
  out.writeUInt32LE(spec.serverId >>> 0, 5);
  out.writeUInt32LE(size, 9);
  out.writeUInt32LE(spec.logPos ?? 0, 13);
  out.writeUInt16LE(spec.flags ?? 0, 17);
  let o = LOG_EVENT_HEADER_LEN;
  out.writeUInt16LE(4, o);
  o += 2;
  out.write(spec.serverVersion.slice(0, ST_SERVER_VER_LEN - 1), o, 'latin1');
  o += ST_SERVER_VER_LEN;
  out.writeUInt32LE(spec.createTimestamp ?? 0, o);
  o += 4;
  out[o++] = LOG_EVENT_HEADER_LEN;
  out.set(spec.postHeaderLengths, o);
  o += spec.postHeaderLengths.length;
  if (aware) {
    out[o] = spec.checksumAlg;
    writeEventChecksum(out);
  }
  return out;
}
