import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CODEC_VERSION,
  CodecError,
  decodeConfChange,
  decodeConfState,
  decodeEntryRecord,
  decodeHardState,
  decodeMessage,
  decodeSnapshotMeta,
  encodeConfChange,
  encodeConfState,
  encodeEntryRecordHeader,
  encodeHardState,
  encodeMessage,
  encodeSnapshotMeta,
  messageSize,
} from '../../../raft/codec.js';
import type {
  ConfChange, ConfState, Entry, Message, MessageType, SnapshotMeta,
} from '../../../raft/core/types.js';

// ---- a seeded generator (sfc32), so a failure names a seed that replays it ----

function sfc32(seed: number): () => number {
  let a = 0x9e3779b9, b = 0x243f6a88, c = 0xb7e15162, d = seed >>> 0;
  const next = (): number => {
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
    const t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    const r = (t + d) | 0;
    c = (c + r) | 0;
    return r >>> 0;
  };
  for (let i = 0; i < 12; i++) next();
  return next;
}

class Gen {
  private readonly next: () => number;
  constructor(seed: number) { this.next = sfc32(seed); }
  below(n: number): number { return this.next() % n; }
  bool(): boolean { return (this.next() & 1) === 1; }
  /** Small most of the time, sometimes near 2^53, to exercise both u64 halves. */
  u64(): number {
    switch (this.below(4)) {
      case 0: return 0;
      case 1: return this.below(1000);
      case 2: return this.next() * 0x10_0000 + this.below(0x10_0000);
      default: return Number.MAX_SAFE_INTEGER - this.below(1000);
    }
  }
  bytes(max: number): Uint8Array {
    const out = new Uint8Array(this.below(max + 1));
    for (let i = 0; i < out.length; i++) out[i] = this.next() & 0xff;
    return out;
  }
  ids(): number[] { return Array.from({ length: this.below(6) }, () => this.u64()); }
  confState(): ConfState { return { voters: this.ids(), learners: this.ids() }; }
  entry(): Entry {
    return { index: this.u64(), term: this.u64(), type: this.bool() ? 'normal' : 'confChange', data: this.bytes(300) };
  }
  snapshot(): SnapshotMeta {
    return { index: this.u64(), term: this.u64(), confState: this.confState(), data: this.bytes(200) };
  }
  message(): Message {
    return {
      type: MESSAGE_TYPES[this.below(MESSAGE_TYPES.length)]!,
      from: this.u64(), to: this.u64(), term: this.u64(), logTerm: this.u64(), index: this.u64(),
      entries: Array.from({ length: this.below(5) }, () => this.entry()),
      commit: this.u64(), reject: this.bool(), rejectHint: this.u64(),
      snapshot: this.below(3) === 0 ? this.snapshot() : null,
      context: this.bytes(40),
    };
  }
}

const MESSAGE_TYPES: readonly MessageType[] = [
  'hup', 'beat', 'prop', 'app', 'appResp', 'preVote', 'preVoteResp', 'vote', 'voteResp', 'snap',
  'heartbeat', 'heartbeatResp', 'transferLeader', 'timeoutNow', 'readIndex', 'readIndexResp',
  'unreachable', 'snapStatus', 'commitIfDurable',
];

/** deepStrictEqual treats Buffer and Uint8Array as different; compare as plain data. */
function plain(v: unknown): unknown {
  if (v instanceof Uint8Array) return Array.from(v);
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  }
  return v;
}

function assertCodecError(fn: () => unknown, codes: readonly string[], label: string): void {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof CodecError, `${label}: expected CodecError, got ${String(err)}`);
    assert.ok(codes.includes(err.code), `${label}: unexpected code ${err.code}`);
    return;
  }
  assert.fail(`${label}: decode accepted corrupt input`);
}

const SEEDS = 300;

/** A whole entry record as a segment file holds it: the header, then the data unchanged. */
function entryRecord(e: Entry): Buffer {
  return Buffer.concat([encodeEntryRecordHeader(e), e.data]);
}

test('every message round-trips and messageSize is its exact encoded length', () => {
  for (let seed = 1; seed <= SEEDS; seed++) {
    const m = new Gen(seed).message();
    const bytes = encodeMessage(m);
    assert.equal(bytes.length, messageSize(m), `seed ${seed}`);
    assert.equal(bytes[0], CODEC_VERSION);
    assert.deepEqual(plain(decodeMessage(bytes)), plain(m), `seed ${seed}`);
  }
});

test('entry records, hard state, conf state, snapshot meta and conf change round-trip', () => {
  for (let seed = 1; seed <= SEEDS; seed++) {
    const g = new Gen(seed);
    const e = g.entry();
    assert.deepEqual(plain(decodeEntryRecord(entryRecord(e), e.index)), plain(e), `seed ${seed}`);
    const hs = { term: g.u64(), vote: g.u64(), commit: g.u64() };
    assert.deepEqual(decodeHardState(encodeHardState(hs)), hs);
    const cs = g.confState();
    assert.deepEqual(decodeConfState(encodeConfState(cs)), cs);
    const s = g.snapshot();
    assert.deepEqual(plain(decodeSnapshotMeta(encodeSnapshotMeta(s))), plain(s));
    const cc: ConfChange = { type: (['addNode', 'addLearner', 'removeNode'] as const)[g.below(3)]!, nodeId: g.u64(), context: g.bytes(30) };
    assert.deepEqual(plain(decodeConfChange(encodeConfChange(cc))), plain(cc));
  }
});

test('hard state has a pinned byte layout: version, then term, vote, commit as u64 big-endian', () => {
  const bytes = encodeHardState({ term: 0x1_0000_0002, vote: 3, commit: 4 });
  assert.deepEqual([...bytes], [
    0x01, //                                       version
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, // term = 2^32 + 2
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, // vote
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, // commit
  ]);
});

test('every truncation of a message is refused with a typed error', () => {
  for (let seed = 1; seed <= 40; seed++) {
    const bytes = encodeMessage(new Gen(seed).message());
    for (let len = 0; len < bytes.length; len++) {
      assertCodecError(() => decodeMessage(bytes.subarray(0, len)), ['ERR_RAFT_CODEC_TRUNCATED', 'ERR_RAFT_CODEC_CORRUPT'], `seed ${seed} len ${len}`);
    }
  }
});

test('random byte corruption of a message never escapes as anything but a CodecError', () => {
  for (let seed = 1; seed <= SEEDS; seed++) {
    const g = new Gen(seed);
    const bytes = Buffer.from(encodeMessage(g.message()));
    const flips = 1 + g.below(4);
    for (let i = 0; i < flips; i++) bytes[g.below(bytes.length)] ^= 1 << g.below(8);
    try {
      decodeMessage(bytes);
    } catch (err) {
      assert.ok(err instanceof CodecError, `seed ${seed}: ${String(err)}`);
    }
  }
});

test('any single bit flip in an entry record fails its length or checksum check', () => {
  const g = new Gen(7);
  const rec = entryRecord({ index: 42, term: 3, type: 'normal', data: g.bytes(64) });
  for (let bit = 0; bit < rec.length * 8; bit++) {
    const bad = Buffer.from(rec);
    bad[bit >> 3] ^= 1 << (bit & 7);
    assertCodecError(() => decodeEntryRecord(bad, 42), ['ERR_RAFT_CODEC_CHECKSUM', 'ERR_RAFT_CODEC_TRUNCATED'], `bit ${bit}`);
  }
});

test('an entry record found where another index was expected is refused', () => {
  const rec = entryRecord({ index: 42, term: 3, type: 'normal', data: new Uint8Array(0) });
  assertCodecError(() => decodeEntryRecord(rec, 43), ['ERR_RAFT_CODEC_CORRUPT'], 'wrong index');
});

test('an unknown version byte is refused with ERR_RAFT_CODEC_VERSION', () => {
  const bytes = encodeHardState({ term: 1, vote: 2, commit: 3 });
  bytes[0] = 2;
  assertCodecError(() => decodeHardState(bytes), ['ERR_RAFT_CODEC_VERSION'], 'version');
});

test('trailing bytes after a value are refused', () => {
  const bytes = Buffer.concat([encodeConfState({ voters: [1, 2], learners: [] }), Buffer.from([0])]);
  assertCodecError(() => decodeConfState(bytes), ['ERR_RAFT_CODEC_CORRUPT'], 'trailing');
});

test('a u64 at or above 2^53 is refused as corrupt', () => {
  const bytes = encodeHardState({ term: 1, vote: 2, commit: 3 });
  bytes.writeUInt32BE(0x20_0000, 1); // term high half = 2^21 → term >= 2^53
  assertCodecError(() => decodeHardState(bytes), ['ERR_RAFT_CODEC_CORRUPT'], 'unsafe');
});

test('a huge element count is refused before any allocation', () => {
  const bytes = encodeConfState({ voters: [1], learners: [] });
  bytes.writeUInt32BE(0xffff_ffff, 1);
  assertCodecError(() => decodeConfState(bytes), ['ERR_RAFT_CODEC_CORRUPT'], 'count');
});

test('unknown message type and entry type tags are refused', () => {
  const m: Message = new Gen(3).message();
  const bytes = encodeMessage({ ...m, entries: [{ index: 1, term: 1, type: 'normal', data: new Uint8Array(1) }] });
  const badType = Buffer.from(bytes);
  badType[1] = 200;
  assertCodecError(() => decodeMessage(badType), ['ERR_RAFT_CODEC_CORRUPT'], 'message type');
  const fixed = 1 + 1 + 6 * 8 + 1 + 8 + 4 + m.context.length + 4;
  const badEntry = Buffer.from(bytes);
  badEntry[fixed + 16] = 9;
  assertCodecError(() => decodeMessage(badEntry), ['ERR_RAFT_CODEC_CORRUPT'], 'entry type');
});

test('encoding a negative or unsafe integer throws ERR_RAFT_CODEC_INVALID_ARGUMENT', () => {
  for (const term of [-1, 1.5, 2 ** 53, Number.NaN]) {
    assertCodecError(() => encodeHardState({ term, vote: 0, commit: 0 }), ['ERR_RAFT_CODEC_INVALID_ARGUMENT'], `term ${term}`);
  }
});

test('decoded byte fields alias the input rather than copying it', () => {
  const data = new Uint8Array(1024).fill(7);
  const bytes = encodeMessage({ ...new Gen(1).message(), entries: [{ index: 5, term: 2, type: 'normal', data }] });
  const out = decodeMessage(bytes);
  assert.equal(out.entries[0]!.data.buffer, bytes.buffer);
});
