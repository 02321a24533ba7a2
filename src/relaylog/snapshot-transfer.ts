// Client half of a snapshot file transfer: downloads bytes [from, to) of one binlog file from
// another member's admin API (GET /internal/binlog/files/:name, framed as in transfer-frame.ts)
// into the local file at the same offsets. Each frame is CRC-checked before it is written; a cut
// connection, a bad frame or an HTTP error is retried from the last written frame, with backoff,
// until the deadline. The response is read one chunk at a time, and no chunk is pulled while a
// decoded frame waits for the previous one's write: at most two frames (one being written, one
// being received) are in memory, in two recycled buffers.
import { constants, type Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { syncDirectory } from '../../storage/sync-directory.js';
import { SnapshotTransferError, TransferAttemptError } from './snapshot-transfer-error.js';
import { TransferFrameDecoder, foldEndDigest, isByteRange } from './transfer-frame.js';

export interface FetchFileRangeOptions {
  /** The source member's admin API, e.g. `http://10.0.0.1:9591`. */
  baseUrl: string;
  /** The binlog file's name (no path). */
  name: string;
  from: number;
  to: number;
  /** The local file: created when missing; its bytes below `from` are kept. */
  destPath: string;
  /** Extra request headers, e.g. `authorization: Bearer …`. */
  headers?: Record<string, string>;
  /** CA certificates an https:// source is verified with (admin-tls.ca); default the system's. */
  ca?: Buffer | undefined;
  signal?: AbortSignal;
  /** How long the whole download may take, retries included. */
  deadlineMs: number;
  /** An attempt that receives nothing for this long is dropped and resumed. Default 30 s. */
  idleTimeoutMs?: number;
  /** Pause between attempts: `initialMs`, doubling up to `maxMs`; reset by an attempt that made progress. */
  backoff?: { initialMs: number; maxMs: number };
  /** Called before each retry (for logging and tests). */
  onRetry?: (retry: TransferRetry) => void;
}

export interface TransferRetry {
  /** The attempt that failed, from 1. */
  attempt: number;
  error: TransferAttemptError;
  /** Where the next attempt starts: the end of the last verified frame. */
  resumeFrom: number;
  delayMs: number;
}

export interface FileRangeFetchStats {
  /** Bytes verified and written (to - from once resolved). */
  bytes: number;
  attempts: number;
  /** Most response bytes held at once (being decoded plus being written), over all attempts. */
  peakBufferedBytes: number;
}

const DEFAULT_BACKOFF = { initialMs: 100, maxMs: 2000 };
const DEFAULT_IDLE_TIMEOUT_MS = 30_000;
/** Answers retrying cannot change: a bad request, missing credentials, or a file the source does
 *  not hold (purged there: the caller tries another source or gives the file up). */
const PERMANENT_STATUSES = new Set([400, 401, 403, 404]);
/** How much of an HTTP error's body is read for its message. */
const ERROR_BODY_LIMIT = 4096;

/**
 * Downloads [from, to) of `name` into `destPath`, fsyncs it and resolves with what it took.
 * Throws SnapshotTransferError: SNAPSHOT_BAD_RANGE (before any request), SNAPSHOT_TRANSFER_ABORTED
 * (the signal), SNAPSHOT_TRANSFER_FAILED (deadline passed or a permanent refusal; `cause` is the last
 * TransferAttemptError). The bytes verified until then stay in the file: a later call can go on from
 * the file's size.
 */
export async function fetchFileRange(options: FetchFileRangeOptions): Promise<FileRangeFetchStats> {
  const { name, from, to, destPath, signal } = options;
  if (!isByteRange(from, to)) throw new SnapshotTransferError('SNAPSHOT_BAD_RANGE', `bad byte range [${from}, ${to}) for ${name}`, { file: name });
  const deadlineAt = performance.now() + options.deadlineMs;
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const dest = await openDestination(destPath, from, name);
  const progress: AttemptProgress = { offset: from, peakBufferedBytes: 0 };
  let attempts = 0;
  let delayMs = backoff.initialMs;
  try {
    for (;;) {
      if (signal?.aborted) throw aborted(options, progress, attempts);
      attempts += 1;
      const startedAt = progress.offset;
      try {
        await runAttempt(options, dest.handle, progress, deadlineAt);
        break;
      } catch (err) {
        if (signal?.aborted) throw aborted(options, progress, attempts);
        const failure = asAttemptError(err, deadlineAt);
        if (progress.offset > startedAt) delayMs = backoff.initialMs;
        if (!failure.retryable || performance.now() + delayMs >= deadlineAt) {
          throw new SnapshotTransferError('SNAPSHOT_TRANSFER_FAILED',
            `fetching ${name} [${from}, ${to}) from ${options.baseUrl}: ${failure.retryable ? `gave up after ${attempts} attempts within the ${options.deadlineMs} ms deadline` : 'refused'}`
              + ` with ${progress.offset - from} bytes verified; last failure (${failure.reason}): ${failure.message}`,
            { file: name, offset: progress.offset, attempts }, { cause: failure });
        }
        options.onRetry?.({ attempt: attempts, error: failure, resumeFrom: progress.offset, delayMs });
        try {
          await sleep(delayMs, undefined, signal ? { signal } : undefined);
        } catch {
          throw aborted(options, progress, attempts);
        }
        delayMs = Math.min(delayMs * 2, backoff.maxMs);
      }
    }
    await dest.handle.sync();
    if (dest.created) await syncDirectory(dirname(destPath));
  } finally {
    await dest.handle.close();
  }
  return { bytes: progress.offset - from, attempts, peakBufferedBytes: progress.peakBufferedBytes };
}

interface AttemptProgress {
  /** End of the last verified and written frame. */
  offset: number;
  peakBufferedBytes: number;
}

/** One request for [progress.offset, to): writes each verified frame and advances the offset. */
async function runAttempt(options: FetchFileRangeOptions, dest: FileHandle, progress: AttemptProgress, deadlineAt: number): Promise<void> {
  const url = new URL(`/internal/binlog/files/${encodeURIComponent(options.name)}`, options.baseUrl);
  url.searchParams.set('from', String(progress.offset));
  url.searchParams.set('to', String(options.to));
  const remainingMs = Math.max(1, Math.ceil(deadlineAt - performance.now()));
  const signals = [AbortSignal.timeout(remainingMs), ...(options.signal ? [options.signal] : [])];
  const exchange = await get(url, options.headers ?? {}, AbortSignal.any(signals), options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS, options.ca);
  const { response } = exchange;
  try {
    if (response.statusCode !== 200) throw await httpFailure(response);
    if (response.headers['content-type'] !== 'application/octet-stream') {
      throw new TransferAttemptError('BAD_FRAME', `expected application/octet-stream, got ${response.headers['content-type'] ?? 'no content-type'}`);
    }
    // Safe to recycle: the writer is done with a frame's bytes before the frame after next is decoded.
    const decoder = new TransferFrameDecoder({ recycleBuffers: true });
    const writer = new RangeWriter(dest, progress);
    let endDigest = 0;
    try {
      for await (const chunk of response as AsyncIterable<Buffer>) {
        decoder.push(chunk);
        progress.peakBufferedBytes = Math.max(progress.peakBufferedBytes, decoder.bufferedBytes + writer.inFlightBytes);
        for (let frame = decoder.next(); frame !== null; frame = decoder.next()) {
          if (frame.kind === 'end') {
            if (writer.received !== options.to) {
              throw new TransferAttemptError('BAD_FRAME', `end frame at offset ${writer.received}, before the range's end ${options.to}`);
            }
            if (frame.crc !== endDigest) throw new TransferAttemptError('BAD_FRAME', 'end frame digest does not match the frames received');
            await writer.settle();
            return;
          }
          if (writer.received + frame.bytes.length > options.to) {
            throw new TransferAttemptError('BAD_FRAME', `frame of ${frame.bytes.length} bytes at ${writer.received} runs past the range's end ${options.to}`);
          }
          await writer.write(frame.bytes);
          endDigest = foldEndDigest(endDigest, frame.crc);
        }
      }
      throw new TransferAttemptError('DISCONNECTED', `response ended at offset ${writer.received} without the end frame`);
    } catch (err) {
      // The write in flight lands (or fails) first, so progress.offset is exact for the retry.
      const writeFailure = await writer.settle().then(() => null, (e: unknown) => e);
      throw writeFailure ?? exchange.failure() ?? err;
    }
  } finally {
    response.destroy();
  }
}

interface Exchange {
  response: IncomingMessage;
  /** Set when the request itself was failed by us (idle timeout): the response then only sees a reset. */
  failure(): TransferAttemptError | null;
}

/** Sends the GET and resolves once the response's headers are in. */
function get(url: URL, headers: Record<string, string>, signal: AbortSignal, idleTimeoutMs: number, ca: Buffer | undefined): Promise<Exchange> {
  const client = url.protocol === 'https:' ? https : http;
  let failure: TransferAttemptError | null = null;
  return new Promise((resolve, reject) => {
    // A fresh connection per attempt: a cut or corrupted one is never reused.
    const request = client.get(url, { headers, signal, agent: false, ...(ca ? { ca } : {}) }, (response) => resolve({ response, failure: () => failure }));
    // Stays attached after the response: a later socket error must not go unhandled.
    request.on('error', reject);
    request.setTimeout(idleTimeoutMs, () => {
      failure = new TransferAttemptError('STALLED', `nothing received for ${idleTimeoutMs} ms`);
      request.destroy(failure);
    });
  });
}

async function httpFailure(response: IncomingMessage): Promise<TransferAttemptError> {
  const status = response.statusCode ?? 0;
  let body = '';
  try {
    for await (const chunk of response as AsyncIterable<Buffer>) {
      body += chunk.toString('utf8');
      if (body.length >= ERROR_BODY_LIMIT) break;
    }
  } catch {
    // The status is the failure; the body only explains it.
  }
  return new TransferAttemptError('HTTP_STATUS', `HTTP ${status}: ${errorMessage(body)}`, !PERMANENT_STATUSES.has(status), { httpStatus: status });
}

/** The admin API's error envelope message, else the start of the body. */
function errorMessage(body: string): string {
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === 'object' && parsed !== null && 'message' in parsed && typeof parsed.message === 'string') return parsed.message;
  } catch {
    // not JSON
  }
  return body.slice(0, 200) || '(no body)';
}

function asAttemptError(err: unknown, deadlineAt: number): TransferAttemptError {
  if (err instanceof TransferAttemptError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (performance.now() >= deadlineAt) return new TransferAttemptError('DISCONNECTED', `deadline passed mid-transfer (${message})`, true, { cause: err });
  return new TransferAttemptError('DISCONNECTED', message, true, { cause: err });
}

function aborted(options: FetchFileRangeOptions, progress: AttemptProgress, attempts: number): SnapshotTransferError {
  return new SnapshotTransferError('SNAPSHOT_TRANSFER_ABORTED', `fetching ${options.name} aborted at offset ${progress.offset}`,
    { file: options.name, offset: progress.offset, attempts }, { cause: options.signal?.reason });
}

/**
 * Writes verified frames at their offsets. One write is in flight while the next frame is being
 * received (so the disk and the network overlap), never more: memory stays at about two frames.
 */
class RangeWriter {
  #inFlight: Promise<void> = Promise.resolve();
  #inFlightBytes = 0;
  #failure: TransferAttemptError | null = null;
  #received: number;

  constructor(
    private readonly file: FileHandle,
    private readonly progress: AttemptProgress,
  ) {
    this.#received = progress.offset;
  }

  /** End of the frames handed over (written or being written). */
  get received(): number {
    return this.#received;
  }

  get inFlightBytes(): number {
    return this.#inFlightBytes;
  }

  /** Waits for the previous write, then starts writing `bytes` after it. */
  async write(bytes: Buffer): Promise<void> {
    await this.settle();
    const at = this.#received;
    this.#received += bytes.length;
    this.#inFlightBytes = bytes.length;
    // Never rejects (a failure is kept for settle()), so no rejection goes unhandled meanwhile.
    this.#inFlight = writeAt(this.file, bytes, at).then(
      () => {
        this.progress.offset = at + bytes.length;
        this.#inFlightBytes = 0;
      },
      (err: unknown) => {
        this.#failure = new TransferAttemptError('LOCAL_WRITE', `writing at ${at}: ${err instanceof Error ? err.message : String(err)}`, false, { cause: err });
      },
    );
  }

  /** Waits for the write in flight; throws if any write failed. */
  async settle(): Promise<void> {
    await this.#inFlight;
    if (this.#failure) throw this.#failure;
  }
}

async function writeAt(file: FileHandle, bytes: Buffer, position: number): Promise<void> {
  for (let done = 0; done < bytes.length;) {
    const { bytesWritten } = await file.write(bytes, done, bytes.length - done, position + done);
    done += bytesWritten;
  }
}

/**
 * Opens the destination for positional writes, creating it when missing. A file shorter than
 * `from` is refused: writing there would leave a hole of zeros that reads as binlog bytes.
 */
async function openDestination(path: string, from: number, name: string): Promise<{ handle: FileHandle; created: boolean }> {
  let handle: FileHandle;
  let created = false;
  try {
    handle = await open(path, constants.O_RDWR);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    handle = await open(path, constants.O_RDWR | constants.O_CREAT, 0o644);
    created = true;
  }
  let stats: Stats;
  try {
    stats = await handle.stat();
  } catch (err) {
    await handle.close();
    throw err;
  }
  if (stats.size < from) {
    await handle.close();
    throw new SnapshotTransferError('SNAPSHOT_BAD_RANGE', `${path} has ${stats.size} bytes: fetching ${name} from ${from} would leave a hole`, { file: name, offset: stats.size });
  }
  return { handle, created };
}
