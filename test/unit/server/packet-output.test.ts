import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Socket } from 'node:net';
import { Writable } from 'node:stream';
import { setImmediate as tick } from 'node:timers/promises';
import { PacketReader } from '../../../src/mysql/packet-framer.js';
import { ChunkCursor } from '../../../src/server/chunk-cursor.js';
import { BufferPool } from '../../../src/server/buffer-pool.js';
import { OUTPUT_BUFFER_SIZE, PacketOutput } from '../../../src/server/packet-output.js';

/** A socket whose writes are recorded (no peer). */
function recordingSocket(): { socket: Socket; writes: Buffer[] } {
  const writes: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      writes.push(Buffer.from(chunk));
      cb();
    },
  });
  const socket = sink as unknown as Socket;
  Object.assign(socket, { cork: () => undefined, uncork: () => undefined });
  return { socket, writes };
}

function event(length: number, fill: number): Buffer {
  const e = Buffer.alloc(length, fill);
  e.writeUInt32LE(length, 9);
  return e;
}

/** Cuts `bytes` into views at the given sizes, as relay records hold them. */
function chunked(bytes: Buffer, sizes: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 0;
  for (const n of sizes) {
    out.push(bytes.subarray(at, at + n));
    at += n;
  }
  if (at < bytes.length) out.push(bytes.subarray(at));
  return out;
}

function payloads(writes: Buffer[]): { seq: number; payload: Buffer }[] {
  const reader = new PacketReader();
  reader.push(Buffer.concat(writes));
  const out: { seq: number; payload: Buffer }[] = [];
  for (let p = reader.read(); p; p = reader.read()) out.push({ seq: p.sequenceId, payload: Buffer.from(p.payload) });
  return out;
}

describe('event framing', () => {
  it('frames many small events into one write, each as 0x00 + event with continuing sequence ids', () => {
    const { socket, writes } = recordingSocket();
    const out = new PacketOutput(socket, 1);
    const events = [event(42, 1), event(300, 2), event(31, 3)];
    // The second event straddles two relay records.
    const cursor = new ChunkCursor(chunked(Buffer.concat(events), [42 + 100, 200]));
    for (const e of events) out.appendEvent(cursor, e.length);
    assert.equal(writes.length, 0, 'nothing written before a flush');
    out.flush();
    assert.equal(writes.length, 1);
    const got = payloads(writes);
    assert.deepEqual(got.map((p) => p.seq), [1, 2, 3]);
    for (let i = 0; i < events.length; i++) assert.ok(got[i]!.payload.equals(Buffer.concat([Buffer.of(0), events[i]!])));
    assert.equal(out.sequenceId, 4);
  });

  it('writes once the output buffer is full', () => {
    const { socket, writes } = recordingSocket();
    const out = new PacketOutput(socket, 0);
    const e = event(50_000, 7);
    const fit = Math.floor(OUTPUT_BUFFER_SIZE / (e.length + 5));
    for (let i = 0; i <= fit; i++) out.appendEvent(new ChunkCursor([e]), e.length);
    assert.equal(writes.length, 1, 'the event that does not fit flushes the full buffer');
    assert.ok(writes[0]!.length <= OUTPUT_BUFFER_SIZE && writes[0]!.length > OUTPUT_BUFFER_SIZE - (e.length + 5));
    out.flush();
    assert.equal(payloads(writes).length, fit + 1);
  });

  it('takes its buffers from the pool again once the socket wrote them: a long stream allocates only what is in flight', async () => {
    const { socket, writes } = recordingSocket();
    const pool = new BufferPool(OUTPUT_BUFFER_SIZE, 4);
    const out = new PacketOutput(socket, 0, { pool });
    const e = event(100_000, 3);
    const rounds = 50;
    for (let r = 0; r < rounds; r++) {
      // Three events: a buffer rotation in the middle, so two buffers are in flight at a time.
      for (let i = 0; i < 3; i++) out.appendEvent(new ChunkCursor([e]), e.length);
      out.flush();
      await tick(); // the socket's write callbacks run
    }
    assert.ok(pool.allocated <= 3, `allocated ${pool.allocated} buffers for ${writes.length} writes`);
    const got = payloads(writes);
    assert.equal(got.length, rounds * 3);
    for (const p of got) assert.ok(p.payload.equals(Buffer.concat([Buffer.of(0), e])), 'a reused buffer carries its own frames');
  });

  it('splits an event of 16 MiB and more into 0xFFFFFF-byte packets, zero-copy', () => {
    const { socket, writes } = recordingSocket();
    const out = new PacketOutput(socket, 250);
    const big = event(17 * 1024 * 1024, 9);
    out.appendEvent(new ChunkCursor(chunked(big, [1 << 20, 5 << 20])), big.length);
    const reader = new PacketReader();
    reader.push(Buffer.concat(writes));
    const p = reader.read()!;
    assert.equal(p.sequenceId, 250);
    assert.equal(p.lastSequenceId, 251, 'two packets, sequence wrapping is modulo 256');
    assert.ok(p.payload.equals(Buffer.concat([Buffer.of(0), big])));
    assert.equal(out.sequenceId, 252);
  });

  it('ends a payload of exactly n × 0xFFFFFF bytes with an empty packet', () => {
    const { socket, writes } = recordingSocket();
    const out = new PacketOutput(socket, 0);
    const e = event(0xffffff - 1, 4); // + the 0x00 byte = one full packet
    out.appendEvent(new ChunkCursor([e]), e.length);
    const all = Buffer.concat(writes);
    assert.equal(all.length, 4 + 0xffffff + 4);
    assert.deepEqual([...all.subarray(0, 4)], [0xff, 0xff, 0xff, 0]);
    assert.deepEqual([...all.subarray(all.length - 4)], [0, 0, 0, 1]);
  });

  it('puts the semi-sync header (0xEF, no ack) before every event when asked', () => {
    const { socket, writes } = recordingSocket();
    const out = new PacketOutput(socket, 1, { semiSync: true });
    const e = event(40, 5);
    out.appendEventBytes(e);
    out.flush();
    assert.ok(payloads(writes)[0]!.payload.equals(Buffer.concat([Buffer.of(0x00, 0xef, 0x00), e])));
  });

  it('frames EOF and ERR payloads as they are', () => {
    const { socket, writes } = recordingSocket();
    const out = new PacketOutput(socket, 9);
    out.appendPayload(Buffer.of(0xfe, 0, 0, 2, 0));
    out.flush();
    assert.deepEqual(payloads(writes), [{ seq: 9, payload: Buffer.of(0xfe, 0, 0, 2, 0) }]);
  });
});

describe('chunk cursor', () => {
  it('peeks across views without consuming, copies and hands out views', () => {
    const bytes = Buffer.from([...Array(20).keys()]);
    const c = new ChunkCursor(chunked(bytes, [3, 4, 5]));
    assert.deepEqual([...c.peek(6)], [0, 1, 2, 3, 4, 5]);
    assert.equal(c.peekU32(2), 0x05040302);
    const target = Buffer.alloc(5);
    c.copyTo(target, 0, 5);
    assert.deepEqual([...target], [0, 1, 2, 3, 4]);
    assert.deepEqual(c.take(4).map((v) => [...v]), [[5, 6], [7, 8]]);
    c.skip(3);
    assert.equal(c.remaining, 8);
    assert.deepEqual([...c.peek(8)], [12, 13, 14, 15, 16, 17, 18, 19]);
  });
});
