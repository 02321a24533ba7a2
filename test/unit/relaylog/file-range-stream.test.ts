import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Readable } from 'node:stream';
import { openFileRangeStream } from '../../../src/relaylog/file-range-stream.js';
import { SnapshotTransferError } from '../../../src/relaylog/snapshot-transfer-error.js';
import { TransferFrameDecoder, foldEndDigest, type DecodedFrame } from '../../../src/relaylog/transfer-frame.js';

let dir: string;
let data: Buffer;
let path: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'binrelay-range-'));
  data = randomBytes(10_000);
  path = join(dir, 'mysql-bin.000001');
  writeFileSync(path, data);
});

after(() => rmSync(dir, { recursive: true, force: true }));

async function collect(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

function frames(body: Buffer, frameBytes: number): DecodedFrame[] {
  const decoder = new TransferFrameDecoder({ maxFrameBytes: frameBytes });
  decoder.push(body);
  const out: DecodedFrame[] = [];
  for (let f = decoder.next(); f !== null; f = decoder.next()) out.push(f);
  return out;
}

function isTransferError(code: SnapshotTransferError['code']) {
  return (err: unknown) => err instanceof SnapshotTransferError && err.code === code;
}

test('a range is sent as full-size frames, a shorter last one and the end frame; content-length is exact', async () => {
  const { stream, contentLength } = await openFileRangeStream(path, 100, 9_000, 1000);
  const body = await collect(stream);
  assert.equal(body.length, contentLength);
  const got = frames(body, 1000);
  const end = got.pop();
  const dataFrames = got.filter((f): f is Extract<DecodedFrame, { kind: 'data' }> => f.kind === 'data');
  assert.deepEqual(dataFrames.map((f) => f.bytes.length), [...Array(8).fill(1000), 900]);
  assert.ok(Buffer.concat(dataFrames.map((f) => f.bytes)).equals(data.subarray(100, 9_000)));
  assert.deepEqual(end, { kind: 'end', crc: dataFrames.reduce((d, f) => foldEndDigest(d, f.crc), 0) });
});

test('an empty range is only the end frame', async () => {
  const { stream, contentLength } = await openFileRangeStream(path, 10_000, 10_000);
  const body = await collect(stream);
  assert.equal(body.length, contentLength);
  assert.deepEqual(frames(body, 1000), [{ kind: 'end', crc: 0 }]);
});

test('a missing file, a short file and a bad range are refused before anything is sent', async () => {
  await assert.rejects(openFileRangeStream(join(dir, 'absent'), 0, 1), isTransferError('SNAPSHOT_FILE_MISSING'));
  await assert.rejects(openFileRangeStream(path, 0, 10_001), isTransferError('SNAPSHOT_FILE_SHORT'));
  await assert.rejects(openFileRangeStream(path, 5, 4), isTransferError('SNAPSHOT_BAD_RANGE'));
});

test('a file cut while it is streamed fails the stream instead of ending the range', async () => {
  const cut = join(dir, 'cut.000001');
  writeFileSync(cut, data);
  const { stream } = await openFileRangeStream(cut, 0, data.length, 1000);
  truncateSync(cut, 2500);
  await assert.rejects(collect(stream), isTransferError('SNAPSHOT_FILE_SHORT'));
});

test('an unread stream stops reading the file: back-pressure holds a few frames at most', async () => {
  const big = join(dir, 'big.000001');
  writeFileSync(big, randomBytes(16 * 1024 * 1024));
  const { stream } = await openFileRangeStream(big, 0, 16 * 1024 * 1024);
  stream.pause();
  stream.read(0); // start the flow into the buffers, then read nothing
  await sleep(200);
  const held = stream.readableLength + (stream as Readable & { writableLength: number }).writableLength;
  assert.ok(held > 0 && held <= 3 * 1024 * 1024, `holds ${held} bytes`);
  stream.destroy();
});
