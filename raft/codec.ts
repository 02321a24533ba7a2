// Versioned binary codec for the raft data in raft/core/types.ts: what goes over the wire
// (Message) and what goes to disk (entry records, HardState, ConfState, SnapshotMeta, ConfChange).
//
// Every top-level encoding starts with a version byte (CODEC_VERSION); decoders refuse any other
// version. Integers are big-endian; indexes, terms and node ids are u64 on the wire and must be
// safe JS integers both ways. Decoders check every length against the input, reject trailing
// bytes and throw CodecError (stable `code`) on anything malformed.
//
// Byte fields (`data`, `context`) of decoded values ALIAS the input buffer: the caller must not
// reuse that buffer afterwards (the transport allocates one buffer per frame, LevelDB returns a
// fresh buffer per value).
//
// Layouts (after the version byte):
//   Message     type u8 · from u64 · to u64 · term u64 · logTerm u64 · index u64 · commit u64 ·
//               flags u8 (1 = reject, 2 = has snapshot) · rejectHint u64 · context bytes ·
//               entry count u32 · entries (index u64 · term u64 · type u8 · data bytes)… ·
//               [snapshot]
//   Entry record (disk only: storage/segment-log.ts, no version byte: the segment file has one)
//               length u32 (bytes after the crc) · crc32 u32 over those bytes · index u64 ·
//               term u64 · type u8 · data
//   HardState   term u64 · vote u64 · commit u64
//   ConfState   voter count u32 · voters u64… · learner count u32 · learners u64…
//   SnapshotMeta  index u64 · term u64 · ConfState · data bytes
//   ConfChange  type u8 · nodeId u64 · context bytes
// where `bytes` is a u32 length followed by the bytes.
import { crc32 } from 'node:zlib';
import { crc32Then } from './data-crc.js';
import type {
  ConfChange,
  ConfChangeType,
  ConfState,
  Entry,
  EntryType,
  HardState,
  Message,
  MessageType,
  SnapshotMeta,
} from './core/types.js';
import { ByteReader, ByteWriter } from './codec-bytes.js';
import { CodecError } from './codec-error.js';

export { CodecError, isCodecError, type CodecErrorCode } from './codec-error.js';

export const CODEC_VERSION = 1;

/** Wire tags. Append only: a tag's meaning never changes within CODEC_VERSION 1. */
const MESSAGE_TYPES: readonly MessageType[] = [
  'hup', 'beat', 'prop', 'app', 'appResp', 'preVote', 'preVoteResp', 'vote', 'voteResp', 'snap',
  'heartbeat', 'heartbeatResp', 'transferLeader', 'timeoutNow', 'readIndex', 'readIndexResp',
  'unreachable', 'snapStatus', 'commitIfDurable',
];
const ENTRY_TYPES: readonly EntryType[] = ['normal', 'confChange'];
const CONF_CHANGE_TYPES: readonly ConfChangeType[] = ['addNode', 'addLearner', 'removeNode'];

const MESSAGE_TAG = new Map(MESSAGE_TYPES.map((t, i) => [t, i]));
const ENTRY_TAG = new Map(ENTRY_TYPES.map((t, i) => [t, i]));
const CONF_CHANGE_TAG = new Map(CONF_CHANGE_TYPES.map((t, i) => [t, i]));

const FLAG_REJECT = 1;
const FLAG_SNAPSHOT = 2;

const U64 = 8;
/** Fixed bytes of an entry inside a message: index, term, type, data length. */
const WIRE_ENTRY_FIXED = U64 + U64 + 1 + 4;
/** Fixed bytes of an entry record: length, crc, index, term, type. */
export const ENTRY_RECORD_HEADER_BYTES = 4 + 4 + U64 + U64 + 1;
/** The part of a record before the bytes its length counts and its crc covers. */
const ENTRY_RECORD_PREFIX = 4 + 4;
const MESSAGE_FIXED = 1 + 1 + 6 * U64 + 1 + U64 + 4 + 4;

function tagOf<T>(tags: ReadonlyMap<T, number>, value: T, what: string): number {
  const tag = tags.get(value);
  if (tag === undefined) throw new CodecError('ERR_RAFT_CODEC_INVALID_ARGUMENT', `unknown ${what} ${String(value)}`);
  return tag;
}

function valueOf<T>(values: readonly T[], tag: number, what: string): T {
  const v = values[tag];
  if (v === undefined) throw new CodecError('ERR_RAFT_CODEC_CORRUPT', `unknown ${what} tag ${tag}`);
  return v;
}

function readVersion(r: ByteReader, what: string): void {
  const v = r.u8(`${what} version`);
  if (v !== CODEC_VERSION) throw new CodecError('ERR_RAFT_CODEC_VERSION', `${what}: unsupported codec version ${v}`);
}

// ---- sizes ----

function confStateSize(cs: ConfState): number {
  return 4 + cs.voters.length * U64 + 4 + cs.learners.length * U64;
}

function snapshotSize(s: SnapshotMeta): number {
  return U64 + U64 + confStateSize(s.confState) + 4 + s.data.length;
}

/** Exact encoded length of `m` (what the transport counts against its queue bounds). */
export function messageSize(m: Message): number {
  let n = MESSAGE_FIXED + m.context.length;
  for (const e of m.entries) n += WIRE_ENTRY_FIXED + e.data.length;
  if (m.snapshot !== null) n += snapshotSize(m.snapshot);
  return n;
}

// ---- writers / readers of nested values (no version byte) ----

function writeConfState(w: ByteWriter, cs: ConfState): void {
  w.u32(cs.voters.length);
  for (const id of cs.voters) w.u64(id);
  w.u32(cs.learners.length);
  for (const id of cs.learners) w.u64(id);
}

function readConfState(r: ByteReader): ConfState {
  const nv = r.count('voters', U64);
  const voters: number[] = [];
  for (let i = 0; i < nv; i++) voters.push(r.u64('voter id'));
  const nl = r.count('learners', U64);
  const learners: number[] = [];
  for (let i = 0; i < nl; i++) learners.push(r.u64('learner id'));
  return { voters, learners };
}

function writeSnapshot(w: ByteWriter, s: SnapshotMeta): void {
  w.u64(s.index);
  w.u64(s.term);
  writeConfState(w, s.confState);
  w.bytes(s.data);
}

function readSnapshot(r: ByteReader): SnapshotMeta {
  const index = r.u64('snapshot index');
  const term = r.u64('snapshot term');
  const confState = readConfState(r);
  const data = r.bytes('snapshot data');
  return { index, term, confState, data };
}

function readWireEntry(r: ByteReader): Entry {
  const index = r.u64('entry index');
  const term = r.u64('entry term');
  const type = valueOf(ENTRY_TYPES, r.u8('entry type'), 'entry type');
  const data = r.bytes('entry data');
  return { index, term, type, data };
}

// ---- Message ----

/** Entry data larger than this goes out as a part of its own rather than being copied. */
const INLINE_DATA_MAX = 4096;

/**
 * `m` encoded as parts whose concatenation is the message: large entry data are the entries'
 * own buffers, not copies, so the transport hands them to the socket as they are.
 */
export function encodeMessageParts(m: Message): Uint8Array[] {
  let outOfLine = 0;
  for (const e of m.entries) if (e.data.length > INLINE_DATA_MAX) outOfLine += e.data.length;
  const w = new ByteWriter(messageSize(m) - outOfLine);
  w.u8(CODEC_VERSION);
  w.u8(tagOf(MESSAGE_TAG, m.type, 'message type'));
  w.u64(m.from);
  w.u64(m.to);
  w.u64(m.term);
  w.u64(m.logTerm);
  w.u64(m.index);
  w.u64(m.commit);
  w.u8((m.reject ? FLAG_REJECT : 0) | (m.snapshot !== null ? FLAG_SNAPSHOT : 0));
  w.u64(m.rejectHint);
  w.bytes(m.context);
  w.u32(m.entries.length);
  const parts: Uint8Array[] = [];
  let cut = 0;
  for (const e of m.entries) {
    w.u64(e.index);
    w.u64(e.term);
    w.u8(tagOf(ENTRY_TAG, e.type, 'entry type'));
    if (e.data.length > INLINE_DATA_MAX) {
      w.u32(e.data.length);
      parts.push(w.buffer.subarray(cut, w.offset), e.data);
      cut = w.offset;
    } else {
      w.bytes(e.data);
    }
  }
  if (m.snapshot !== null) writeSnapshot(w, m.snapshot);
  const inline = w.finish();
  if (cut < inline.length || parts.length === 0) parts.push(inline.subarray(cut));
  return parts;
}

export function encodeMessage(m: Message): Buffer {
  const parts = encodeMessageParts(m);
  return parts.length === 1 ? Buffer.from(parts[0]!.buffer, parts[0]!.byteOffset, parts[0]!.byteLength) : Buffer.concat(parts);
}

export function decodeMessage(input: Uint8Array): Message {
  const r = new ByteReader(input);
  readVersion(r, 'message');
  const type = valueOf(MESSAGE_TYPES, r.u8('message type'), 'message type');
  const from = r.u64('from');
  const to = r.u64('to');
  const term = r.u64('term');
  const logTerm = r.u64('logTerm');
  const index = r.u64('index');
  const commit = r.u64('commit');
  const flags = r.u8('flags');
  if ((flags & ~(FLAG_REJECT | FLAG_SNAPSHOT)) !== 0) {
    throw new CodecError('ERR_RAFT_CODEC_CORRUPT', `unknown message flags ${flags}`);
  }
  const rejectHint = r.u64('rejectHint');
  const context = r.bytes('context');
  const n = r.count('entries', WIRE_ENTRY_FIXED);
  const entries: Entry[] = [];
  for (let i = 0; i < n; i++) entries.push(readWireEntry(r));
  const snapshot = (flags & FLAG_SNAPSHOT) !== 0 ? readSnapshot(r) : null;
  r.done('message');
  return {
    type, from, to, term, logTerm, index, entries, commit,
    reject: (flags & FLAG_REJECT) !== 0, rejectHint, snapshot, context,
  };
}

// ---- Entry records (disk) ----

/** The header of the on-disk form of `e` (the data follows it unchanged, so a writer hands both
 *  to writev without copying the payload). The CRC32 covers the header after it and the data. */
export function encodeEntryRecordHeader(e: Entry): Buffer {
  const w = new ByteWriter(ENTRY_RECORD_HEADER_BYTES);
  w.u32(ENTRY_RECORD_HEADER_BYTES - ENTRY_RECORD_PREFIX + e.data.length);
  w.u32(0);
  w.u64(e.index);
  w.u64(e.term);
  w.u8(tagOf(ENTRY_TAG, e.type, 'entry type'));
  const header = w.finish();
  header.writeUInt32BE(crc32Then(crc32(header.subarray(ENTRY_RECORD_PREFIX)), e.data), 4);
  return header;
}

/** Total bytes of the record starting at `input[0]`, read from its length field (which a torn
 *  or corrupt record may get wrong: the CRC decides). Needs ENTRY_RECORD_PREFIX bytes. */
export function entryRecordLength(input: Uint8Array, offset = 0): number {
  const view = new DataView(input.buffer, input.byteOffset + offset, ENTRY_RECORD_PREFIX);
  return ENTRY_RECORD_PREFIX + view.getUint32(0);
}

/** Decodes and verifies one whole stored entry record. With `expectedIndex`, also checks the
 *  record is the one expected there (a pair assertion against misplaced writes). `data` aliases
 *  `input`. */
export function decodeEntryRecord(input: Uint8Array, expectedIndex?: number): Entry {
  if (input.length < ENTRY_RECORD_HEADER_BYTES) {
    throw new CodecError('ERR_RAFT_CODEC_TRUNCATED', `entry record of ${input.length} bytes is shorter than its header`);
  }
  const r = new ByteReader(input);
  const length = r.u32('entry length');
  if (length !== input.length - ENTRY_RECORD_PREFIX) {
    throw new CodecError('ERR_RAFT_CODEC_TRUNCATED', `entry record says ${length} bytes, holds ${input.length - ENTRY_RECORD_PREFIX}`);
  }
  const stored = r.u32('entry checksum');
  const actual = crc32(input.subarray(ENTRY_RECORD_PREFIX));
  if (stored !== actual) {
    throw new CodecError('ERR_RAFT_CODEC_CHECKSUM', `entry record checksum ${stored} != computed ${actual}`);
  }
  const index = r.u64('entry index');
  const term = r.u64('entry term');
  const type = valueOf(ENTRY_TYPES, r.u8('entry type'), 'entry type');
  const data = r.raw(r.remaining, 'entry data');
  if (expectedIndex !== undefined && index !== expectedIndex) {
    throw new CodecError('ERR_RAFT_CODEC_CORRUPT', `entry record holds index ${index}, expected ${expectedIndex}`);
  }
  return { index, term, type, data };
}

// ---- HardState / ConfState / SnapshotMeta / ConfChange ----

export function encodeHardState(hs: HardState): Buffer {
  const w = new ByteWriter(1 + 3 * U64);
  w.u8(CODEC_VERSION);
  w.u64(hs.term);
  w.u64(hs.vote);
  w.u64(hs.commit);
  return w.finish();
}

export function decodeHardState(input: Uint8Array): HardState {
  const r = new ByteReader(input);
  readVersion(r, 'hard state');
  const hs = { term: r.u64('term'), vote: r.u64('vote'), commit: r.u64('commit') };
  r.done('hard state');
  return hs;
}

export function encodeConfState(cs: ConfState): Buffer {
  const w = new ByteWriter(1 + confStateSize(cs));
  w.u8(CODEC_VERSION);
  writeConfState(w, cs);
  return w.finish();
}

export function decodeConfState(input: Uint8Array): ConfState {
  const r = new ByteReader(input);
  readVersion(r, 'conf state');
  const cs = readConfState(r);
  r.done('conf state');
  return cs;
}

export function encodeSnapshotMeta(s: SnapshotMeta): Buffer {
  const w = new ByteWriter(1 + snapshotSize(s));
  w.u8(CODEC_VERSION);
  writeSnapshot(w, s);
  return w.finish();
}

export function decodeSnapshotMeta(input: Uint8Array): SnapshotMeta {
  const r = new ByteReader(input);
  readVersion(r, 'snapshot meta');
  const s = readSnapshot(r);
  r.done('snapshot meta');
  return s;
}

/** The `data` of a confChange entry. */
export function encodeConfChange(cc: ConfChange): Buffer {
  const w = new ByteWriter(1 + 1 + U64 + 4 + cc.context.length);
  w.u8(CODEC_VERSION);
  w.u8(tagOf(CONF_CHANGE_TAG, cc.type, 'conf change type'));
  w.u64(cc.nodeId);
  w.bytes(cc.context);
  return w.finish();
}

export function decodeConfChange(input: Uint8Array): ConfChange {
  const r = new ByteReader(input);
  readVersion(r, 'conf change');
  const type = valueOf(CONF_CHANGE_TYPES, r.u8('conf change type'), 'conf change type');
  const nodeId = r.u64('node id');
  const context = r.bytes('conf change context');
  r.done('conf change');
  return { type, nodeId, context };
}
