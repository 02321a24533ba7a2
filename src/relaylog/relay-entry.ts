// The payload of a raft entry proposed by binrelay: the replicated relay log's record format.
// Every node applies the same records in the same order, so everything derived from them (file and
// position index, GTID state, what may be served) is identical on every node.
//
//   version u8 (=1) | kind u8 | body
//   kind 1 BINLOG:   flags u8 | file name length u16 | file name | pos u32 u32 (hi, lo) | bytes…
//                    The bytes are the upstream file's bytes [pos, pos + length): whole events, or
//                    a piece of a transaction (even of one event) too large for one entry.
//                    flag 0x01 ENDS_AT_BOUNDARY: the bytes end where a transaction (or a standalone
//                    event) ends, so everything up to here may be served.
//   kind 2 ABORT:    discards the pieces received since the last boundary (the syncer lost the
//                    upstream mid-transaction); file and position say where the relay resumes.
//   kind 3 SYNCER:   JSON of the syncer's settings (or null when stopped), so a new leader resumes them.
//   kind 5 FORMAT:   flags u8 (0) | file name length u16 | file name | pos u32 u32 | FDE bytes: the
//                    FORMAT_DESCRIPTION of a file the relay holds from the middle (a start_gtid
//                    start), received from the dump rather than at its place in the file.
//   kind 4 MEMBER:   JSON of a member's attributes {id, name, peerAddr, adminAddr}, so every node
//                    can name members and find the leader's admin API.
//   kind 6 PURGE:    JSON {to}: every file before `to` leaves the relay (PURGE BINARY LOGS TO).
//   kind 7 UPSTREAM: JSON of the upstream the relay follows (its identity, whether the relay's
//                    files carry its file names, switches so far), so no node splices two histories.

export const RELAY_ENTRY_VERSION = 1;

export const enum RelayEntryKind {
  BINLOG = 1,
  ABORT = 2,
  SYNCER = 3,
  MEMBER = 4,
  FORMAT = 5,
  PURGE = 6,
  UPSTREAM = 7,
}

export const ENDS_AT_BOUNDARY = 0x01;

export interface BinlogRecord {
  kind: 'binlog';
  file: string;
  pos: number;
  endsAtBoundary: boolean;
  bytes: Uint8Array;
  /** The record already encoded, `bytes` being a view into it (binlogRecordFromParts):
   *  encodeRelayRecord returns it instead of copying the bytes once more. */
  entry?: Buffer;
}

export interface AbortRecord {
  kind: 'abort';
  file: string;
  pos: number;
}

export interface FormatRecord {
  kind: 'format';
  file: string;
  pos: number;
  bytes: Uint8Array;
}

export interface SyncerRecord {
  kind: 'syncer';
  /** Opaque to the relay log: the syncer module owns the shape (validated where it is read). */
  settings: unknown;
}

export interface MemberAttributes {
  /** Raft node id (decimal string: ids are safe integers, JSON keys are strings). */
  id: string;
  name: string;
  peerAddr: string;
  adminAddr: string;
}

export interface MemberRecord {
  kind: 'member';
  member: MemberAttributes;
}

export interface PurgeRecord {
  kind: 'purge';
  /** The first file kept. */
  to: string;
}

export interface UpstreamRecord {
  kind: 'upstream';
  /** Opaque to the relay log: the syncer module owns the shape (src/syncer/upstream-identity.ts). */
  identity: unknown;
}

export type RelayRecord = BinlogRecord | AbortRecord | SyncerRecord | MemberRecord | FormatRecord | PurgeRecord | UpstreamRecord;

export class RelayEntryError extends Error {
  readonly code = 'RELAY_ENTRY_CORRUPT';
}

/** Bytes of the version, kind, flags, file and position that open a file-position record. */
function filePosHead(kind: RelayEntryKind, flags: number, file: string, pos: number, bodyBytes: number): { entry: Buffer; bodyAt: number } {
  const name = Buffer.from(file, 'utf8');
  if (name.length > 0xffff) throw new RelayEntryError(`file name too long: ${name.length} bytes`);
  const bodyAt = 2 + 1 + 2 + name.length + 8;
  const entry = Buffer.allocUnsafe(bodyAt + bodyBytes);
  let o = entry.writeUInt8(RELAY_ENTRY_VERSION, 0);
  o = entry.writeUInt8(kind, o);
  o = entry.writeUInt8(flags, o);
  o = entry.writeUInt16BE(name.length, o);
  o += name.copy(entry, o);
  o = entry.writeUInt32BE(Math.floor(pos / 0x1_0000_0000), o);
  entry.writeUInt32BE(pos >>> 0, o);
  return { entry, bodyAt };
}

function encodeFilePos(kind: RelayEntryKind, flags: number, file: string, pos: number, bytes: Uint8Array | null): Buffer {
  const { entry, bodyAt } = filePosHead(kind, flags, file, pos, bytes?.length ?? 0);
  if (bytes) entry.set(bytes, bodyAt);
  return entry;
}

/** A BINLOG record of `parts` (consecutive upstream bytes from `pos`), built in its encoded
 *  form with one copy of the bytes: the syncer's path from received events to a proposal. */
export function binlogRecordFromParts(file: string, pos: number, endsAtBoundary: boolean, parts: readonly Uint8Array[], length: number): BinlogRecord {
  const { entry, bodyAt } = filePosHead(RelayEntryKind.BINLOG, endsAtBoundary ? ENDS_AT_BOUNDARY : 0, file, pos, length);
  let o = bodyAt;
  for (const part of parts) {
    entry.set(part, o);
    o += part.length;
  }
  if (o !== entry.length) throw new RelayEntryError(`parts of ${o - bodyAt} bytes for a record of ${length}`);
  return { kind: 'binlog', file, pos, endsAtBoundary, bytes: entry.subarray(bodyAt), entry };
}

export function encodeRelayRecord(record: RelayRecord): Buffer {
  switch (record.kind) {
    case 'binlog':
      return record.entry ?? encodeFilePos(RelayEntryKind.BINLOG, record.endsAtBoundary ? ENDS_AT_BOUNDARY : 0, record.file, record.pos, record.bytes);
    case 'format':
      return encodeFilePos(RelayEntryKind.FORMAT, 0, record.file, record.pos, record.bytes);
    case 'abort':
      return encodeFilePos(RelayEntryKind.ABORT, 0, record.file, record.pos, null);
    case 'syncer':
      return encodeJson(RelayEntryKind.SYNCER, record.settings);
    case 'member':
      return encodeJson(RelayEntryKind.MEMBER, record.member);
    case 'purge':
      return encodeJson(RelayEntryKind.PURGE, { to: record.to });
    case 'upstream':
      return encodeJson(RelayEntryKind.UPSTREAM, record.identity);
  }
}

function encodeJson(kind: RelayEntryKind, value: unknown): Buffer {
  return Buffer.concat([Buffer.of(RELAY_ENTRY_VERSION, kind), Buffer.from(JSON.stringify(value), 'utf8')]);
}

function decodeJson(buf: Buffer, what: string): unknown {
  try {
    return JSON.parse(buf.subarray(2).toString('utf8')) as unknown;
  } catch {
    throw new RelayEntryError(`${what} record is not JSON`);
  }
}

function isMember(value: unknown): value is MemberAttributes {
  const m = value as Partial<MemberAttributes> | null;
  return typeof m === 'object' && m !== null && typeof m.id === 'string' && typeof m.name === 'string'
    && typeof m.peerAddr === 'string' && typeof m.adminAddr === 'string';
}

/** Decodes an entry payload. `bytes` of a BINLOG record is a view into `data` (no copy). */
export function decodeRelayRecord(data: Uint8Array): RelayRecord {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (buf.length < 2) throw new RelayEntryError(`entry of ${buf.length} bytes`);
  if (buf[0] !== RELAY_ENTRY_VERSION) throw new RelayEntryError(`unknown relay entry version ${buf[0]}`);
  const kind = buf[1];
  if (kind === RelayEntryKind.SYNCER) return { kind: 'syncer', settings: decodeJson(buf, 'syncer') };
  if (kind === RelayEntryKind.UPSTREAM) return { kind: 'upstream', identity: decodeJson(buf, 'upstream') };
  if (kind === RelayEntryKind.MEMBER) {
    const member = decodeJson(buf, 'member');
    if (!isMember(member)) throw new RelayEntryError('member record without id, name, peerAddr and adminAddr');
    return { kind: 'member', member };
  }
  if (kind === RelayEntryKind.PURGE) {
    const body = decodeJson(buf, 'purge') as { to?: unknown } | null;
    if (typeof body?.to !== 'string') throw new RelayEntryError('purge record without a target file');
    return { kind: 'purge', to: body.to };
  }
  if (kind !== RelayEntryKind.BINLOG && kind !== RelayEntryKind.ABORT && kind !== RelayEntryKind.FORMAT) throw new RelayEntryError(`unknown relay entry kind ${kind}`);
  if (buf.length < 5) throw new RelayEntryError('truncated entry header');
  const flags = buf[2];
  const nameLength = buf.readUInt16BE(3);
  const posAt = 5 + nameLength;
  if (buf.length < posAt + 8) throw new RelayEntryError('truncated entry header');
  const file = buf.subarray(5, posAt).toString('utf8');
  const pos = buf.readUInt32BE(posAt) * 0x1_0000_0000 + buf.readUInt32BE(posAt + 4);
  if (kind === RelayEntryKind.ABORT) return { kind: 'abort', file, pos };
  if (kind === RelayEntryKind.FORMAT) return { kind: 'format', file, pos, bytes: buf.subarray(posAt + 8) };
  return { kind: 'binlog', file, pos, endsAtBoundary: (flags & ENDS_AT_BOUNDARY) !== 0, bytes: buf.subarray(posAt + 8) };
}
