import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  MAX_PACKET_PAYLOAD,
  PacketReader,
  PacketWriter,
  framedLength,
  packetCount,
  type FramedPayload,
} from '../../../src/mysql/packet-framer.js';
import { MysqlProtocolError } from '../../../src/mysql/protocol-error.js';
import { seededRandom } from '../../helpers/seeded-random.js';

const MiB = 1024 * 1024;

const rng = seededRandom;

function patterned(length: number, seed: number): Buffer {
  const buf = Buffer.allocUnsafe(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    buf[i] = x & 0xff;
  }
  return buf;
}

/** Offsets of every packet header in `wire`. */
function headerOffsets(wire: Buffer): number[] {
  const offsets: number[] = [];
  for (let o = 0; o < wire.length; o += 4 + wire.readUIntLE(o, 3)) offsets.push(o);
  return offsets;
}

/**
 * Feeds `wire` to a reader in seeded random chunks, cut to single bytes within 8 bytes of every
 * packet header (the interesting boundaries), and collects what it yields.
 */
function feedRandomly(
  reader: PacketReader,
  wire: Buffer,
  seed: number,
  maxChunk = MiB,
): { payloads: FramedPayload[]; chunks: number; singleByteChunks: number } {
  const random = rng(seed);
  const hot = headerOffsets(wire).flatMap((h) => [h, h + 4]);
  const out: FramedPayload[] = [];
  let pos = 0;
  let hotIndex = 0;
  let chunks = 0;
  let singleByteChunks = 0;
  while (pos < wire.length) {
    while (hotIndex < hot.length && hot[hotIndex]! + 8 <= pos) hotIndex++;
    const nextHot = hotIndex < hot.length ? hot[hotIndex]! : Infinity;
    let size: number;
    if (pos >= nextHot - 8) size = 1;
    else size = Math.max(1, Math.min(1 + Math.floor(random() ** 3 * maxChunk), nextHot - 8 - pos));
    reader.push(wire.subarray(pos, pos + size));
    pos += size;
    chunks++;
    if (size === 1) singleByteChunks++;
    for (let p = reader.read(); p !== null; p = reader.read()) out.push({ ...p, payload: Buffer.from(p.payload) });
  }
  return { payloads: out, chunks, singleByteChunks };
}

function feedBytewise(reader: PacketReader, wire: Buffer): FramedPayload[] {
  const out: FramedPayload[] = [];
  for (let i = 0; i < wire.length; i++) {
    reader.push(wire.subarray(i, i + 1));
    for (let p = reader.read(); p !== null; p = reader.read()) out.push({ ...p, payload: Buffer.from(p.payload) });
  }
  return out;
}

describe('PacketWriter', () => {
  it('frames an empty payload as one header-only packet', () => {
    assert.deepEqual(new PacketWriter(7).frame(Buffer.alloc(0)), Buffer.from([0, 0, 0, 7]));
  });

  it('writes many payloads into one buffer with consecutive sequence ids', () => {
    const w = new PacketWriter(1);
    const wire = w.frameAll([Buffer.from('ab'), Buffer.from('c'), Buffer.alloc(0)]);
    assert.deepEqual(wire, Buffer.from([2, 0, 0, 1, 0x61, 0x62, 1, 0, 0, 2, 0x63, 0, 0, 0, 3]));
    assert.equal(w.sequenceId, 4);
  });

  it('wraps sequence ids modulo 256', () => {
    const w = new PacketWriter(254);
    const wire = w.frameAll([Buffer.from('a'), Buffer.from('b'), Buffer.from('c'), Buffer.from('d')]);
    assert.deepEqual(headerOffsets(wire).map((o) => wire[o + 3]), [254, 255, 0, 1]);
    assert.equal(w.sequenceId, 2);
  });

  it('keeps a 0xFFFFFE-byte payload in one packet', () => {
    const payload = Buffer.alloc(MAX_PACKET_PAYLOAD - 1, 0x5a);
    const wire = new PacketWriter(0).frame(payload);
    assert.equal(wire.length, payload.length + 4);
    assert.deepEqual(wire.subarray(0, 4), Buffer.from([0xfe, 0xff, 0xff, 0]));
  });

  it('follows a payload of exactly 0xFFFFFF bytes with an empty packet', () => {
    const payload = Buffer.alloc(MAX_PACKET_PAYLOAD, 1);
    const wire = new PacketWriter(3).frame(payload);
    assert.equal(packetCount(payload.length), 2);
    assert.equal(wire.length, framedLength(payload.length));
    assert.deepEqual(wire.subarray(0, 4), Buffer.from([0xff, 0xff, 0xff, 3]));
    assert.deepEqual(wire.subarray(wire.length - 4), Buffer.from([0, 0, 0, 4]));
  });

  it('splits a 16 MiB payload into a full packet and a 1-byte packet', () => {
    const payload = Buffer.alloc(16 * MiB, 2);
    const wire = new PacketWriter(0).frame(payload);
    assert.deepEqual(headerOffsets(wire), [0, 4 + MAX_PACKET_PAYLOAD]);
    assert.deepEqual(wire.subarray(wire.length - 5), Buffer.from([1, 0, 0, 1, 2]));
  });

  it('frameParts gives views of the payload, not copies', () => {
    const payload = Buffer.alloc(MAX_PACKET_PAYLOAD + 10, 9);
    const parts = new PacketWriter(0).frameParts(payload);
    assert.equal(parts.length, 4);
    assert.equal(parts[1]!.buffer, payload.buffer);
    assert.equal(parts[3]!.buffer, payload.buffer);
    assert.deepEqual(Buffer.concat(parts), new PacketWriter(0).frame(payload));
  });
});

describe('PacketReader', () => {
  it('reassembles small payloads fed one byte at a time', () => {
    const random = rng(1);
    const payloads = Array.from({ length: 60 }, (_, i) => patterned(Math.floor(random() * 300), i + 1));
    const wire = new PacketWriter(0).frameAll(payloads);
    const got = feedBytewise(new PacketReader(), wire);
    assert.deepEqual(
      got.map((p) => p.payload),
      payloads,
    );
    assert.deepEqual(
      got.map((p) => p.sequenceId),
      payloads.map((_, i) => i % 256),
    );
  });

  it('hands out a payload contained in one chunk without copying it', () => {
    const reader = new PacketReader();
    const wire = new PacketWriter(0).frame(Buffer.from('hello'));
    reader.push(wire);
    const p = reader.read()!;
    assert.equal(p.payload.buffer, wire.buffer);
    assert.equal(reader.read(), null);
  });

  for (const [label, length, packets, seed] of [
    ['0xFFFFFE bytes (one packet)', MAX_PACKET_PAYLOAD - 1, 1, 11],
    ['exactly 0xFFFFFF bytes (full packet + empty packet)', MAX_PACKET_PAYLOAD, 2, 12],
    ['16 MiB (full packet + 1 byte)', 16 * MiB, 2, 13],
    ['2 x 0xFFFFFF bytes (two full packets + empty packet)', 2 * MAX_PACKET_PAYLOAD, 3, 14],
    ['40 MiB (two full packets + rest)', 40 * MiB, 3, 15],
  ] as const) {
    it(`round-trips a payload of ${label} through random chunk boundaries`, () => {
      const payload = patterned(length, seed);
      const small = Buffer.from('after');
      const wire = new PacketWriter(250).frameAll([payload, small]);
      assert.equal(headerOffsets(wire).length, packets + 1);
      const fed = feedRandomly(new PacketReader({ maxPayloadLength: 64 * MiB }), wire, seed);
      const got = fed.payloads;
      assert.ok(fed.chunks > length / MiB, `only ${fed.chunks} chunks`);
      assert.ok(fed.singleByteChunks >= 16 * packets, `only ${fed.singleByteChunks} single-byte chunks`);
      assert.equal(got.length, 2);
      assert.ok(got[0]!.payload.equals(payload), 'payload bytes differ');
      assert.equal(got[0]!.sequenceId, 250);
      assert.equal(got[0]!.lastSequenceId, (250 + packets - 1) % 256);
      assert.deepEqual(got[1]!.payload, small);
      assert.equal(got[1]!.sequenceId, (250 + packets) % 256);
    });
  }

  it('accepts fragment sequence ids that wrap from 255 to 0', () => {
    const payload = patterned(2 * MAX_PACKET_PAYLOAD + 5, 3);
    const reader = new PacketReader();
    reader.push(new PacketWriter(255).frame(payload));
    const p = reader.read()!;
    assert.equal(p.sequenceId, 255);
    assert.equal(p.lastSequenceId, 1);
    assert.ok(p.payload.equals(payload));
  });

  it('rejects a continuation packet whose sequence id does not follow', () => {
    const wire = new PacketWriter(0).frame(Buffer.alloc(MAX_PACKET_PAYLOAD + 1));
    wire[4 + MAX_PACKET_PAYLOAD + 3] = 9; // second packet should carry 1
    const reader = new PacketReader();
    reader.push(wire);
    assert.throws(
      () => reader.read(),
      (e: unknown) => e instanceof MysqlProtocolError && e.code === 'ERR_MYSQL_PACKETS_OUT_OF_ORDER' && e.errno === 1156,
    );
  });

  it('refuses an oversized payload from its header, before buffering its body', () => {
    const reader = new PacketReader({ maxPayloadLength: 1000 });
    reader.push(Buffer.from([0xe9, 0x03, 0, 0])); // claims 1001 bytes, none sent yet
    assert.throws(
      () => reader.read(),
      (e: unknown) => e instanceof MysqlProtocolError && e.code === 'ERR_MYSQL_PACKET_TOO_LARGE' && e.errno === 1153,
    );
  });

  it('counts every fragment against the size limit', () => {
    const reader = new PacketReader({ maxPayloadLength: MAX_PACKET_PAYLOAD + 10 });
    const wire = new PacketWriter(0).frame(Buffer.alloc(MAX_PACKET_PAYLOAD + 11));
    reader.push(wire.subarray(0, 4 + MAX_PACKET_PAYLOAD + 4));
    assert.throws(() => reader.read(), (e: unknown) => e instanceof MysqlProtocolError && e.code === 'ERR_MYSQL_PACKET_TOO_LARGE');
  });

  it('reports a payload only once its last packet arrived, and holds one payload in assembly', () => {
    const payload = Buffer.alloc(MAX_PACKET_PAYLOAD + 3, 7);
    const wire = new PacketWriter(0).frame(payload);
    const reader = new PacketReader();
    reader.push(wire.subarray(0, wire.length - 1));
    assert.equal(reader.read(), null);
    assert.equal(reader.assembling, true);
    assert.equal(reader.bufferedBytes, 4 + 2); // the unfinished last packet; the first moved into assembly
    reader.push(wire.subarray(wire.length - 1));
    assert.ok(reader.read()!.payload.equals(payload));
    assert.equal(reader.assembling, false);
    assert.equal(reader.bufferedBytes, 0);
  });
});
