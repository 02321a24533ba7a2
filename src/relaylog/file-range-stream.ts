// Server half of a snapshot file transfer: the frames of transfer-frame.ts for bytes [from, to) of
// one file, as a Readable to pipe into an HTTP response. The file is read with an fs stream, one
// frame at a time: the response's back-pressure pauses the reads, so a transfer holds a few frames
// at most, and each step (one read in the thread pool, one CRC of ≤ 1 MiB) is short enough that the
// raft heartbeats sent from the same event loop are not delayed.
import { open, type FileHandle } from 'node:fs/promises';
import { Readable, Transform, pipeline, type TransformCallback } from 'node:stream';
import { SnapshotTransferError } from './snapshot-transfer-error.js';
import { MAX_FRAME_BYTES, crc32, encodeFrameHeader, foldEndDigest, framedLength, isByteRange } from './transfer-frame.js';

export interface FileRangeStream {
  /** The framed body; it fails (and the response must be aborted) if the file turns out short. */
  stream: Readable;
  /** Exact body length, for the content-length header. */
  contentLength: number;
}

/**
 * Opens `path` and checks that it holds [from, to) before anything is sent, so a missing or short
 * file is answered as an HTTP error rather than a cut body. Throws SnapshotTransferError
 * (SNAPSHOT_BAD_RANGE, SNAPSHOT_FILE_MISSING, SNAPSHOT_FILE_SHORT).
 */
export async function openFileRangeStream(path: string, from: number, to: number, frameBytes = MAX_FRAME_BYTES): Promise<FileRangeStream> {
  if (!isByteRange(from, to)) throw new SnapshotTransferError('SNAPSHOT_BAD_RANGE', `bad byte range [${from}, ${to})`);
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new SnapshotTransferError('SNAPSHOT_FILE_MISSING', `no file ${path}`, { file: path }, { cause: err });
    }
    throw err;
  }
  let size: number;
  try {
    size = (await handle.stat()).size;
  } catch (err) {
    await handle.close();
    throw err;
  }
  if (size < to) {
    await handle.close();
    throw new SnapshotTransferError('SNAPSHOT_FILE_SHORT', `${path} has ${size} bytes; the range ends at ${to}`, { file: path, offset: size });
  }
  const contentLength = framedLength(to - from, frameBytes);
  if (from === to) {
    await handle.close();
    return { stream: Readable.from([encodeFrameHeader(0, 0)], { objectMode: false }), contentLength };
  }
  // The read stream owns the handle from here: it closes it on end, error or destroy.
  const reads = handle.createReadStream({ start: from, end: to - 1, highWaterMark: frameBytes });
  const framer = new RangeFramer(path, to - from, frameBytes);
  // Destroying the framer (the client went away) destroys the reads too; errors surface on the framer.
  pipeline(reads, framer, () => undefined);
  return { stream: framer, contentLength };
}

/** Re-blocks file chunks into frames of exactly `frameBytes` (the last shorter) and ends the range. */
class RangeFramer extends Transform {
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #sent = 0;
  #endDigest = 0;

  constructor(
    private readonly path: string,
    private readonly expected: number,
    private readonly frameBytes: number,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.#pending.push(chunk);
    this.#pendingBytes += chunk.length;
    while (this.#pendingBytes >= this.frameBytes) this.#sendFrame(this.#takePending(this.frameBytes));
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.#pendingBytes > 0) this.#sendFrame(this.#takePending(this.#pendingBytes));
    if (this.#sent !== this.expected) {
      // The file shrank under us: never end the body as if the range were whole.
      done(new SnapshotTransferError('SNAPSHOT_FILE_SHORT', `${this.path} ended after ${this.#sent} of ${this.expected} bytes`, { file: this.path }));
      return;
    }
    this.push(encodeFrameHeader(0, this.#endDigest));
    done();
  }

  #sendFrame(bytes: Buffer): void {
    const crc = crc32(bytes);
    this.#endDigest = foldEndDigest(this.#endDigest, crc);
    this.#sent += bytes.length;
    this.push(encodeFrameHeader(bytes.length, crc));
    this.push(bytes);
  }

  /** The next `n` pending bytes; no copy in the usual case of one read of exactly one frame. */
  #takePending(n: number): Buffer {
    const joined = this.#pending.length === 1 ? this.#pending[0] : Buffer.concat(this.#pending);
    this.#pending = joined.length > n ? [joined.subarray(n)] : [];
    this.#pendingBytes -= n;
    return joined.subarray(0, n);
  }
}
