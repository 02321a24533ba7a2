// The snapshot file transfer end to end: a real admin API on 127.0.0.1:0 serving a temp directory,
// fetchFileRange downloading from it, directly or through a proxy that cuts or corrupts the stream.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, mkdirSync, mkdtempSync, rmSync, writeFileSync, openSync, writeSync, closeSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { fetchFileRange, type TransferRetry } from '../../../src/relaylog/snapshot-transfer.js';
import { SnapshotTransferError, TransferAttemptError } from '../../../src/relaylog/snapshot-transfer-error.js';
import { FRAME_HEADER_BYTES, MAX_FRAME_BYTES } from '../../../src/relaylog/transfer-frame.js';
import { spawnBinlogFileServer, startBinlogFileServer, type BinlogFileServer } from './binlog-file-server.js';
import { startFaultProxy } from './fault-proxy.js';

const MiB = 1024 * 1024;
let root: string;
let served: string;
let server: BinlogFileServer;

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'binrelay-transfer-'));
  served = join(root, 'served');
  mkdirSync(served);
  writeRandomFile(join(served, 'mysql-bin.000001'), 5 * MiB + 123);
  server = await startBinlogFileServer(served);
});

after(async () => {
  await server.close();
  rmSync(root, { recursive: true, force: true });
});

/** Writes `size` random bytes, 1 MiB at a time (never the whole file in memory). */
function writeRandomFile(path: string, size: number): void {
  const fd = openSync(path, 'w');
  try {
    for (let at = 0; at < size; at += MiB) writeSync(fd, randomBytes(Math.min(MiB, size - at)));
  } finally {
    closeSync(fd);
  }
}

async function sha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function destPath(name: string): string {
  return join(root, `dest-${name}-${randomBytes(4).toString('hex')}`);
}

test('a 5 MiB file is fetched byte-identical in one attempt and fsynced', async () => {
  const src = join(served, 'mysql-bin.000001');
  const dest = destPath('whole');
  const size = statSync(src).size;
  const stats = await fetchFileRange({ baseUrl: server.baseUrl, name: 'mysql-bin.000001', from: 0, to: size, destPath: dest, deadlineMs: 10_000 });
  assert.deepEqual({ bytes: stats.bytes, attempts: stats.attempts }, { bytes: size, attempts: 1 });
  assert.equal(await sha256(dest), await sha256(src));
});

test('the bytes already below `from` are kept and only [from, to) is written', async () => {
  const src = readFileSync(join(served, 'mysql-bin.000001'));
  const dest = destPath('tail');
  const from = 3 * MiB + 17;
  const to = src.length - 1000;
  writeFileSync(dest, Buffer.alloc(from, 0xab)); // not the source's bytes: they must survive
  const stats = await fetchFileRange({ baseUrl: server.baseUrl, name: 'mysql-bin.000001', from, to, destPath: dest, deadlineMs: 10_000 });
  assert.equal(stats.bytes, to - from);
  const got = readFileSync(dest);
  assert.equal(got.length, to);
  assert.ok(got.subarray(0, from).every((b) => b === 0xab));
  assert.ok(got.subarray(from).equals(src.subarray(from, to)));
});

test('a transfer cut mid-way resumes from the last verified frame and ends byte-identical', async () => {
  const src = join(served, 'mysql-bin.000001');
  const size = statSync(src).size;
  const proxy = await startFaultProxy(server.port, { cutAfterResponseBytes: Math.floor(2.5 * MiB) });
  const retries: TransferRetry[] = [];
  try {
    const dest = destPath('cut');
    const stats = await fetchFileRange({ baseUrl: proxy.baseUrl, name: 'mysql-bin.000001', from: 0, to: size, destPath: dest, deadlineMs: 10_000,
      onRetry: (r) => retries.push(r) });
    assert.ok(stats.attempts > 1, `attempts ${stats.attempts}`);
    assert.equal(stats.bytes, size);
    assert.equal(retries[0].error.reason, 'DISCONNECTED');
    // Two whole frames got through before the cut: the next attempt asks for the rest only.
    assert.equal(retries[0].resumeFrom, 2 * MAX_FRAME_BYTES);
    assert.equal(await sha256(dest), await sha256(src));
  } finally {
    await proxy.close();
  }
});

test('a corrupted frame fails its CRC, is not written, and is fetched again', async () => {
  const src = join(served, 'mysql-bin.000001');
  const size = statSync(src).size;
  // Inside the second frame's bytes (past the HTTP headers and the first frame).
  const proxy = await startFaultProxy(server.port, { flipResponseByteAt: MAX_FRAME_BYTES + 4096 });
  const retries: TransferRetry[] = [];
  try {
    const dest = destPath('flip');
    const stats = await fetchFileRange({ baseUrl: proxy.baseUrl, name: 'mysql-bin.000001', from: 0, to: size, destPath: dest, deadlineMs: 10_000,
      onRetry: (r) => retries.push(r) });
    assert.equal(stats.attempts, 2);
    assert.equal(retries[0].error.reason, 'BAD_CRC');
    assert.equal(retries[0].resumeFrom, MAX_FRAME_BYTES);
    assert.equal(await sha256(dest), await sha256(src));
  } finally {
    await proxy.close();
  }
});

test('a file shorter than `to` is retried with backoff, then fails at the deadline naming the cause', async () => {
  writeFileSync(join(served, 'short.000001'), randomBytes(1000));
  const retries: TransferRetry[] = [];
  const started = performance.now();
  await assert.rejects(
    fetchFileRange({ baseUrl: server.baseUrl, name: 'short.000001', from: 0, to: 2000, destPath: destPath('short'), deadlineMs: 1000,
      onRetry: (r) => retries.push(r) }),
    (err: unknown) => {
      assert.ok(err instanceof SnapshotTransferError);
      assert.equal(err.code, 'SNAPSHOT_TRANSFER_FAILED');
      assert.match(err.message, /HTTP 409: binlog file short\.000001 has 1000 bytes; the range ends at 2000/);
      assert.ok((err.details.attempts ?? 0) > 1);
      return true;
    },
  );
  const elapsed = performance.now() - started;
  assert.ok(elapsed >= 500 && elapsed < 3000, `gave up after ${elapsed} ms`);
  assert.deepEqual(retries.slice(0, 3).map((r) => r.delayMs), [100, 200, 400]);
});

test('a missing bearer token or an unknown file is refused at once, not retried until the deadline', async () => {
  const guarded = await startBinlogFileServer(served, { adminToken: 's3cret' });
  try {
    const started = performance.now();
    await assert.rejects(
      fetchFileRange({ baseUrl: guarded.baseUrl, name: 'mysql-bin.000001', from: 0, to: 10, destPath: destPath('noauth'), deadlineMs: 10_000 }),
      (err: unknown) => err instanceof SnapshotTransferError && err.code === 'SNAPSHOT_TRANSFER_FAILED' && /HTTP 401/.test(err.message) && err.details.attempts === 1,
    );
    // 404: this source does not hold the file (purged there); the caller tries another member.
    await assert.rejects(
      fetchFileRange({ baseUrl: guarded.baseUrl, name: 'absent.000001', from: 0, to: 10, destPath: destPath('absent'), deadlineMs: 10_000,
        headers: { authorization: 'Bearer s3cret' } }),
      (err: unknown) => err instanceof SnapshotTransferError && err.details.attempts === 1
        && err.cause instanceof TransferAttemptError && err.cause.httpStatus === 404,
    );
    assert.ok(performance.now() - started < 2000);
    const stats = await fetchFileRange({ baseUrl: guarded.baseUrl, name: 'mysql-bin.000001', from: 0, to: 10, destPath: destPath('auth'), deadlineMs: 10_000,
      headers: { authorization: 'Bearer s3cret' } });
    assert.equal(stats.bytes, 10);
  } finally {
    await guarded.close();
  }
});

test('the caller\'s signal aborts the download with SNAPSHOT_TRANSFER_ABORTED', async () => {
  writeFileSync(join(served, 'tiny.000001'), randomBytes(5));
  const controller = new AbortController();
  // A range past the file's end is answered 409 and retried: abort during the backoff.
  const pending = fetchFileRange({ baseUrl: server.baseUrl, name: 'tiny.000001', from: 0, to: 10, destPath: destPath('abort'), deadlineMs: 60_000,
    signal: controller.signal, onRetry: () => controller.abort() });
  await assert.rejects(pending, (err: unknown) => err instanceof SnapshotTransferError && err.code === 'SNAPSHOT_TRANSFER_ABORTED');
});

test('a destination shorter than `from` is refused: it would leave a hole', async () => {
  const dest = destPath('hole');
  writeFileSync(dest, Buffer.alloc(10));
  await assert.rejects(
    fetchFileRange({ baseUrl: server.baseUrl, name: 'mysql-bin.000001', from: 100, to: 200, destPath: dest, deadlineMs: 1000 }),
    (err: unknown) => err instanceof SnapshotTransferError && err.code === 'SNAPSHOT_BAD_RANGE',
  );
});

/** The global gc(), exposed at run time so RSS is measured without a test-runner flag. */
function exposedGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

test('a 64 MiB transfer holds at most a couple of frames: RSS stays flat and the event loop responsive', async (t) => {
  const size = 64 * MiB;
  writeRandomFile(join(served, 'big.000001'), size);
  // The server runs in a child process: this process's RSS is the fetching side's alone.
  const remote = await spawnBinlogFileServer(served);
  try {
    const dest = destPath('big');
    // Warm up first (the heap's young generation grows to its working size), then collect: the
    // baseline is a process that has already fetched, so the growth is what the size adds.
    await fetchFileRange({ baseUrl: remote.baseUrl, name: 'mysql-bin.000001', from: 0, to: 5 * MiB, destPath: destPath('warm-up'), deadlineMs: 60_000 });
    exposedGc()();
    const baseline = process.memoryUsage().rss;
    let peakRss = baseline;
    const sampler = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss); }, 5);
    const loopDelay = monitorEventLoopDelay({ resolution: 5 });
    loopDelay.enable();
    const started = performance.now();
    const stats = await fetchFileRange({ baseUrl: remote.baseUrl, name: 'big.000001', from: 0, to: size, destPath: dest, deadlineMs: 60_000 });
    const ms = performance.now() - started;
    loopDelay.disable();
    clearInterval(sampler);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    const growthMiB = (peakRss - baseline) / MiB;
    const maxDelayMs = loopDelay.max / 1e6;
    t.diagnostic(`64 MiB in ${ms.toFixed(0)} ms = ${(64 / (ms / 1000)).toFixed(0)} MiB/s; peak RSS growth ${growthMiB.toFixed(1)} MiB; `
      + `peak buffered ${stats.peakBufferedBytes} bytes; max event-loop delay ${maxDelayMs.toFixed(1)} ms`);
    assert.equal(stats.bytes, size);
    // One frame being written, one being received (plus the socket chunk completing it).
    assert.ok(stats.peakBufferedBytes <= 2 * (MAX_FRAME_BYTES + FRAME_HEADER_BYTES) + 128 * 1024, `held ${stats.peakBufferedBytes} bytes`);
    // Garbage not yet collected counts too (frames and socket chunks wait for a GC: 12-22 MiB
    // seen on this 2-core machine): generous, yet well below the 64 MiB of a whole-file buffer.
    // What is held on purpose is pinned exactly just above.
    assert.ok(growthMiB < 40, `RSS grew ${growthMiB.toFixed(1)} MiB`);
    // Generous: a loaded CI machine delays timers too; a whole-file read or CRC would take far longer.
    assert.ok(maxDelayMs < 250, `event loop blocked for ${maxDelayMs.toFixed(1)} ms`);
    assert.equal(await sha256(dest), await sha256(join(served, 'big.000001')));
  } finally {
    await remote.close();
  }
});

test('the serving side streams 64 MiB without blocking its event loop (the leader keeps heartbeating)', async (t) => {
  // Here the server is in this process and the client only drains: what is measured is the server.
  const size = 64 * MiB;
  const loopDelay = monitorEventLoopDelay({ resolution: 5 });
  const heartbeatGaps: number[] = [];
  let last = performance.now();
  const heartbeat = setInterval(() => { const now = performance.now(); heartbeatGaps.push(now - last); last = now; }, 10);
  loopDelay.enable();
  const body = await fetch(`${server.baseUrl}/internal/binlog/files/big.000001?from=0&to=${size}`);
  let received = 0;
  for await (const chunk of body.body as AsyncIterable<Uint8Array>) received += chunk.length;
  loopDelay.disable();
  clearInterval(heartbeat);
  const worstGap = Math.max(...heartbeatGaps);
  t.diagnostic(`served ${received} bytes; worst 10 ms-timer gap ${worstGap.toFixed(1)} ms; max event-loop delay ${(loopDelay.max / 1e6).toFixed(1)} ms`);
  assert.ok(received > size);
  assert.ok(worstGap < 250, `a 10 ms timer waited ${worstGap.toFixed(1)} ms`);
});
