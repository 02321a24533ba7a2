// MySQL transaction headers: GTID_LOG_EVENT (33), ANONYMOUS_GTID_LOG_EVENT (34) and, from 8.3,
// GTID_TAGGED_LOG_EVENT (42) for GTIDs with a tag.
// 33/34 (`Gtid_event`, control_events.h): flags u8 | uuid[16] (zero when anonymous) | gno i64 |
//   [lt_type u8 = 2 | last_committed i64 | sequence_number i64] (5.7.6+) |
//   [immediate_commit_timestamp 7 bytes; bit 55 set ⇒ original_commit_timestamp 7 bytes follows] |
//   [transaction_length length-encoded] | [immediate_server_version u32; bit 31 set ⇒
//   original_server_version u32 follows] | [commit_group_ticket u64]   — bracketed parts are
//   absent in older servers' events; an absent "original" value equals the "immediate" one.
// 42: one mysql::serialization message: format version, message size, last non-ignorable field
//   id, then (field id, value) pairs: 0 flags, 1 uuid (16 varints), 2 gno (signed), 3 tag,
//   4 last_committed, 5 sequence_number (signed), 6 immediate_commit_timestamp,
//   7 original_commit_timestamp, 8 transaction_length, 9 immediate_server_version,
//   10 original_server_version, 11 commit_group_ticket (absent fields take their defaults).
import { BinlogError } from './binlog-error.js';
import { eventBody, type BinlogEvent } from './binlog-event.js';
import { ByteReader, encodeLenenc, writeU64, writeUintNBig } from './byte-reader.js';
import { buildEvent } from './event-builder.js';
import { ANONYMOUS_GTID_LOG_EVENT, GTID_LOG_EVENT, GTID_TAGGED_LOG_EVENT } from './event-type.js';
import { normalizeTag, uuidFromBytes, uuidToBytes, type MysqlGtid } from './gtid-set-mysql.js';
import { decodeSerializedString, decodeVarInt, decodeVarUint, encodeSerializedString, encodeVarInt, encodeVarUint } from './mysql-serialization.js';

/** Gtid_event flags bit: the transaction may contain statement-based changes. */
export const FLAG_MAY_HAVE_SBR = 1;
const LOGICAL_TIMESTAMP_TYPECODE = 2;
const TIMESTAMP_FLAG = 1n << 55n;
const SERVER_VERSION_FLAG = 0x80000000;

export interface MysqlGtidEvent {
  /** ANONYMOUS_GTID: a transaction without a GTID (gtid_mode OFF or OFF_PERMISSIVE). */
  anonymous: boolean;
  /** The transaction's GTID; null when anonymous. */
  gtid: MysqlGtid | null;
  flags: number;
  lastCommitted?: bigint;
  sequenceNumber?: bigint;
  /** Microseconds since the epoch. */
  immediateCommitTimestamp?: bigint;
  originalCommitTimestamp?: bigint;
  /** Bytes from the start of this event to the end of the transaction. */
  transactionLength?: bigint;
  immediateServerVersion?: number;
  originalServerVersion?: number;
  commitGroupTicket?: bigint;
}

export function isMysqlGtidEventType(type: number): boolean {
  return type === GTID_LOG_EVENT || type === ANONYMOUS_GTID_LOG_EVENT || type === GTID_TAGGED_LOG_EVENT;
}

export function parseMysqlGtidEvent(event: BinlogEvent): MysqlGtidEvent {
  const type = event.header.type;
  try {
    if (type === GTID_TAGGED_LOG_EVENT) return parseTagged(eventBody(event));
    if (type === GTID_LOG_EVENT || type === ANONYMOUS_GTID_LOG_EVENT) return parseUntagged(eventBody(event), type === ANONYMOUS_GTID_LOG_EVENT);
  } catch (err) {
    if (err instanceof BinlogError && err.offset === undefined) throw new BinlogError(err.code, err.message, event.offset);
    throw err;
  }
  throw new BinlogError('BINLOG_BAD_EVENT', `expected a MySQL GTID event, got type ${type}`, event.offset);
}

function parseUntagged(body: Uint8Array, anonymous: boolean): MysqlGtidEvent {
  const r = new ByteReader(body, 0, body.length, 'GTID');
  const flags = r.u8();
  const uuid = uuidFromBytes(r.bytes(16));
  const gno = r.i64();
  const out: MysqlGtidEvent = { anonymous, gtid: anonymous ? null : { uuid, tag: '', gno }, flags };
  if (r.remaining === 0) return out;
  if (r.u8() !== LOGICAL_TIMESTAMP_TYPECODE) throw new BinlogError('BINLOG_BAD_EVENT', 'GTID event has an unknown logical timestamp type');
  out.lastCommitted = r.i64();
  out.sequenceNumber = r.i64();
  if (r.remaining === 0) return out;
  const immediate = r.uintNBig(7);
  out.immediateCommitTimestamp = immediate & ~TIMESTAMP_FLAG;
  out.originalCommitTimestamp = immediate & TIMESTAMP_FLAG ? r.uintNBig(7) : out.immediateCommitTimestamp;
  if (r.remaining === 0) return out;
  out.transactionLength = r.lenenc();
  if (r.remaining === 0) return out;
  const version = r.u32();
  out.immediateServerVersion = (version & ~SERVER_VERSION_FLAG) >>> 0;
  out.originalServerVersion = version & SERVER_VERSION_FLAG ? r.u32() : out.immediateServerVersion;
  if (r.remaining >= 8) out.commitGroupTicket = r.u64();
  return out;
}

function parseTagged(body: Uint8Array): MysqlGtidEvent {
  let pos = decodeVarUint(body, 0).next; // serialization format version
  const size = decodeVarUint(body, pos);
  pos = decodeVarUint(body, size.next).next; // last non-ignorable field id
  const end = Number(size.value);
  if (end > body.length || end < pos) throw new BinlogError('BINLOG_BAD_EVENT', `GTID_TAGGED message size ${end} does not fit its ${body.length}-byte body`);
  let flags = 0;
  const uuidBytes = new Uint8Array(16);
  let gno = 0n;
  let tag = '';
  const out: Omit<MysqlGtidEvent, 'gtid' | 'anonymous' | 'flags'> = {};
  let lastId = -1;
  while (pos < end) {
    const id = decodeVarUint(body, pos);
    const fieldId = Number(id.value);
    if (fieldId <= lastId || fieldId > 11) break; // unknown (newer, ignorable) fields: stop here
    lastId = fieldId;
    pos = id.next;
    if (fieldId === 1) {
      for (let i = 0; i < 16; i++) {
        const b = decodeVarUint(body, pos);
        if (b.value > 255n) throw new BinlogError('BINLOG_BAD_EVENT', 'GTID_TAGGED uuid byte out of range');
        uuidBytes[i] = Number(b.value);
        pos = b.next;
      }
      continue;
    }
    if (fieldId === 3) {
      const s = decodeSerializedString(body, pos);
      tag = normalizeTag(s.value);
      pos = s.next;
      continue;
    }
    const signed = fieldId === 2 || fieldId === 4 || fieldId === 5;
    const v = signed ? decodeVarInt(body, pos) : decodeVarUint(body, pos);
    pos = v.next;
    switch (fieldId) {
      case 0: flags = Number(v.value); break;
      case 2: gno = v.value; break;
      case 4: out.lastCommitted = v.value; break;
      case 5: out.sequenceNumber = v.value; break;
      case 6: out.immediateCommitTimestamp = v.value; break;
      case 7: out.originalCommitTimestamp = v.value; break;
      case 8: out.transactionLength = v.value; break;
      case 9: out.immediateServerVersion = Number(v.value); break;
      case 10: out.originalServerVersion = Number(v.value); break;
      case 11: out.commitGroupTicket = v.value; break;
    }
  }
  out.originalCommitTimestamp ??= out.immediateCommitTimestamp;
  out.originalServerVersion ??= out.immediateServerVersion;
  return { anonymous: false, gtid: { uuid: uuidFromBytes(uuidBytes), tag, gno }, flags, ...out };
}

export interface MysqlGtidBuild extends Omit<MysqlGtidEvent, 'anonymous' | 'gtid'> {
  /** null builds an ANONYMOUS_GTID; a tagged GTID builds a GTID_TAGGED event. */
  gtid: MysqlGtid | null;
  serverId: number;
  timestamp?: number;
  logPos?: number;
  checksum: boolean;
}

/** Builds a GTID / ANONYMOUS_GTID / GTID_TAGGED event (for tests and synthetic streams). */
export function buildMysqlGtidEvent(spec: MysqlGtidBuild): Buffer {
  const tagged = spec.gtid !== null && spec.gtid.tag !== '';
  const body = tagged ? taggedBody(spec) : untaggedBody(spec);
  const type = spec.gtid === null ? ANONYMOUS_GTID_LOG_EVENT : tagged ? GTID_TAGGED_LOG_EVENT : GTID_LOG_EVENT;
  return buildEvent({ type, serverId: spec.serverId, body, checksum: spec.checksum, timestamp: spec.timestamp, logPos: spec.logPos });
}

function untaggedBody(spec: MysqlGtidBuild): Buffer {
  const parts: Uint8Array[] = [];
  const fixed = Buffer.alloc(42);
  fixed[0] = spec.flags;
  if (spec.gtid) fixed.set(uuidToBytes(spec.gtid.uuid), 1);
  writeU64(fixed, 17, spec.gtid ? spec.gtid.gno : 0n);
  fixed[25] = LOGICAL_TIMESTAMP_TYPECODE;
  writeU64(fixed, 26, spec.lastCommitted ?? 0n);
  writeU64(fixed, 34, spec.sequenceNumber ?? 0n);
  parts.push(fixed);
  if (spec.immediateCommitTimestamp !== undefined) {
    const original = spec.originalCommitTimestamp ?? spec.immediateCommitTimestamp;
    const differs = original !== spec.immediateCommitTimestamp;
    const ts = Buffer.alloc(differs ? 14 : 7);
    writeUintNBig(ts, 0, spec.immediateCommitTimestamp | (differs ? TIMESTAMP_FLAG : 0n), 7);
    if (differs) writeUintNBig(ts, 7, original, 7);
    parts.push(ts, encodeLenenc(spec.transactionLength ?? 0n));
    if (spec.immediateServerVersion !== undefined) {
      const orig = spec.originalServerVersion ?? spec.immediateServerVersion;
      const v = Buffer.alloc(orig !== spec.immediateServerVersion ? 8 : 4);
      v.writeUInt32LE((spec.immediateServerVersion | (v.length === 8 ? SERVER_VERSION_FLAG : 0)) >>> 0, 0);
      if (v.length === 8) v.writeUInt32LE(orig, 4);
      parts.push(v);
    }
    if (spec.commitGroupTicket !== undefined) {
      const t = Buffer.alloc(8);
      writeU64(t, 0, spec.commitGroupTicket);
      parts.push(t);
    }
  }
  return Buffer.concat(parts);
}

function taggedBody(spec: MysqlGtidBuild): Buffer {
  const gtid = spec.gtid!;
  const fields: Uint8Array[] = [];
  let lastId = 0;
  const field = (id: number, ...value: Uint8Array[]) => {
    fields.push(encodeVarUint(id), ...value);
    lastId = id;
  };
  field(0, encodeVarUint(spec.flags));
  field(1, ...[...uuidToBytes(gtid.uuid)].map((b) => encodeVarUint(b)));
  field(2, encodeVarInt(gtid.gno));
  field(3, encodeSerializedString(normalizeTag(gtid.tag)));
  field(4, encodeVarInt(spec.lastCommitted ?? 0n));
  field(5, encodeVarInt(spec.sequenceNumber ?? 0n));
  const immediate = spec.immediateCommitTimestamp ?? 0n;
  field(6, encodeVarUint(immediate));
  if (spec.originalCommitTimestamp !== undefined && spec.originalCommitTimestamp !== immediate) field(7, encodeVarUint(spec.originalCommitTimestamp));
  field(8, encodeVarUint(spec.transactionLength ?? 0n));
  const version = spec.immediateServerVersion ?? 0;
  field(9, encodeVarUint(version));
  if (spec.originalServerVersion !== undefined && spec.originalServerVersion !== version) field(10, encodeVarUint(spec.originalServerVersion));
  if (spec.commitGroupTicket) field(11, encodeVarUint(spec.commitGroupTicket));
  const payload = Buffer.concat(fields);
  const version0 = encodeVarUint(0);
  const lastNonIgnorable = encodeVarUint(lastId + 1);
  // The size counts the whole message, its own varint included: grow it until it is stable.
  let size = version0.length + 1 + lastNonIgnorable.length + payload.length;
  while (version0.length + encodeVarUint(size).length + lastNonIgnorable.length + payload.length !== size) size++;
  return Buffer.concat([version0, encodeVarUint(size), lastNonIgnorable, payload]);
}
