import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import {
  FRAME_HEADER_BYTES, TransferFrameDecoder, encodeFrameHeader, foldEndDigest, framedLength, isByteRange, type DecodedFrame,
} from '../../../src/relaylog/transfer-frame.js';
import { TransferAttemptError } from '../../../src/relaylog/snapshot-transfer-error.js';
import { seededRandom } from '../../helpers/seeded-random.js';

/** A response body as the server frames it: `frameBytes`-long data frames, then the end frame. */
function framedBody(data: Buffer, frameBytes: number): Buffer {
  const parts: Buffer[] = [];
  let digest = 0;
  for (let at = 0; at < data.length; at += frameBytes) {
    const bytes = data.subarray(at, at + frameBytes);
    const crc = crc32(bytes);
    digest = foldEndDigest(digest, crc);
    parts.push(encodeFrameHeader(bytes.length, crc), bytes);
  }
  parts.push(encodeFrameHeader(0, digest));
  return Buffer.concat(parts);
}

function decodeAll(decoder: TransferFrameDecoder, body: Buffer, chunkSizes: () => number): DecodedFrame[] {
  const frames: DecodedFrame[] = [];
  for (let at = 0; at < body.length;) {
    const n = Math.min(chunkSizes(), body.length - at);
    decoder.push(body.subarray(at, at + n));
    at += n;
    // Copies: a recycling decoder reuses a frame's buffer two frames later.
    for (let f = decoder.next(); f !== null; f = decoder.next()) frames.push(f.kind === 'data' ? { ...f, bytes: Buffer.from(f.bytes) } : f);
  }
  return frames;
}

test('frames decode to the same bytes however the body is split, and the end digest matches', () => {
  const data = randomBytes(10_000);
  const body = framedBody(data, 1024);
  assert.equal(body.length, framedLength(data.length, 1024));
  const random = seededRandom(7);
  const splits = [() => 1, () => 7, () => 1024 + 8, () => 1 + Math.floor(random() * 3000)];
  for (const [split, recycleBuffers] of splits.flatMap((s) => [[s, false], [s, true]] as const)) {
    const decoder = new TransferFrameDecoder({ maxFrameBytes: 1024, recycleBuffers });
    const frames = decodeAll(decoder, body, split);
    const end = frames.pop();
    assert.equal(end?.kind, 'end');
    const dataFrames = frames.filter((f): f is Extract<DecodedFrame, { kind: 'data' }> => f.kind === 'data');
    assert.ok(Buffer.concat(dataFrames.map((f) => f.bytes)).equals(data));
    assert.equal(dataFrames.reduce((d, f) => foldEndDigest(d, f.crc), 0), end?.crc);
    assert.equal(decoder.bufferedBytes, 0);
  }
});

test('a recycling decoder assembles split frames into two buffers in turn', () => {
  const body = framedBody(randomBytes(4 * 1024), 1024);
  const decoder = new TransferFrameDecoder({ maxFrameBytes: 1024, recycleBuffers: true });
  const memory: Buffer[] = [];
  for (let at = 0; at < body.length; at += 100) {
    decoder.push(Buffer.from(body.subarray(at, at + 100)));
    for (let f = decoder.next(); f !== null; f = decoder.next()) if (f.kind === 'data') memory.push(f.bytes);
  }
  const same = (a: Buffer, b: Buffer) => a.buffer === b.buffer && a.byteOffset === b.byteOffset;
  assert.equal(memory.length, 4);
  assert.ok(same(memory[0], memory[2]) && same(memory[1], memory[3]));
  assert.ok(!same(memory[0], memory[1]));
});

test('the decoder holds at most one frame plus the chunk completing it', () => {
  const body = framedBody(randomBytes(64 * 1024), 4096);
  const decoder = new TransferFrameDecoder({ maxFrameBytes: 4096 });
  let most = 0;
  for (let at = 0; at < body.length; at += 1000) {
    decoder.push(body.subarray(at, at + 1000));
    most = Math.max(most, decoder.bufferedBytes);
    while (decoder.next() !== null);
  }
  assert.ok(most < 4096 + FRAME_HEADER_BYTES + 1000, `held ${most}`);
});

test('a flipped byte fails the frame\'s CRC', () => {
  const body = framedBody(randomBytes(3000), 1024);
  body[1024 + 2 * FRAME_HEADER_BYTES + 10] ^= 0x01; // inside the second frame's bytes
  const decoder = new TransferFrameDecoder({ maxFrameBytes: 1024 });
  decoder.push(body);
  assert.equal(decoder.next()?.kind, 'data');
  assert.throws(() => decoder.next(), (err: unknown) => err instanceof TransferAttemptError && err.reason === 'BAD_CRC');
});

test('a length over the limit is refused from the header alone, before buffering its bytes', () => {
  const decoder = new TransferFrameDecoder({ maxFrameBytes: 1024 });
  decoder.push(encodeFrameHeader(1025, 0));
  assert.throws(() => decoder.next(), (err: unknown) => err instanceof TransferAttemptError && err.reason === 'BAD_FRAME');
});

test('an empty range is one end frame with digest 0', () => {
  assert.deepEqual(framedBody(Buffer.alloc(0), 1024), encodeFrameHeader(0, 0));
  assert.equal(framedLength(0), FRAME_HEADER_BYTES);
});

test('byte ranges are safe integers with 0 ≤ from ≤ to', () => {
  assert.ok(isByteRange(0, 0));
  assert.ok(isByteRange(4, 2 ** 40));
  assert.ok(!isByteRange(5, 4));
  assert.ok(!isByteRange(-1, 4));
  assert.ok(!isByteRange(0, 2 ** 53));
  assert.ok(!isByteRange(0.5, 4));
});
