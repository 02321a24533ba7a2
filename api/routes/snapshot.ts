// GET /internal/binlog/files/:name?from=N&to=M — bytes [from, to) of one of this node's binlog
// files, framed and checksummed (src/relaylog/transfer-frame.ts), streamed for a member that
// installs a snapshot (src/relaylog/snapshot-transfer.ts). Answered by any node: every node holds the
// same bytes below a file's recorded end. Covered by the admin bearer token like every route.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { SnapshotBackend } from '../backend.js';
import { ApiError } from '../errors.js';
import { parseInput } from '../server.js';
import { openFileRangeStream, type FileRangeStream } from '../../src/relaylog/file-range-stream.js';
import { SnapshotTransferError } from '../../src/relaylog/snapshot-transfer-error.js';

/** A plain file name: it must never reach outside the binlog directory. */
const fileName = z.string()
  .min(1)
  .refine((name) => Buffer.byteLength(name, 'utf8') <= 255, 'expected at most 255 bytes')
  .refine((name) => !/[/\\\0]/.test(name) && !name.includes('..'), 'expected a plain file name (no slash, no "..")');

const offset = z.string()
  .regex(/^\d{1,16}$/, 'expected a non-negative integer')
  .transform(Number)
  .refine((n) => Number.isSafeInteger(n), 'expected a safe integer');

export const fileParams = z.strictObject({ name: fileName });
export const rangeQuery = z.strictObject({ from: offset, to: offset })
  .refine((q) => q.from <= q.to, { path: ['to'], message: 'expected to ≥ from' });

export function registerSnapshotRoutes(app: FastifyInstance, backend: SnapshotBackend): void {
  app.get('/internal/binlog/files/:name', async (request, reply) => {
    const { name } = parseInput(fileParams, request.params);
    const { from, to } = parseInput(rangeQuery, request.query);
    const path = backend.binlogFilePath(name);
    if (path === null) throw new ApiError('NOT_FOUND', `no binlog file ${name}`, { file: name });
    let range: FileRangeStream;
    try {
      range = await openFileRangeStream(path, from, to);
    } catch (err) {
      throw asApiError(err, name, to);
    }
    // A file that shrinks mid-stream fails the stream; fastify then aborts the response, which the
    // client sees as a cut transfer (no end frame) and retries.
    return reply
      .header('content-type', 'application/octet-stream')
      .header('content-length', String(range.contentLength))
      .header('cache-control', 'no-store')
      .send(range.stream);
  });
}

function asApiError(err: unknown, name: string, to: number): unknown {
  if (!(err instanceof SnapshotTransferError)) return err;
  switch (err.code) {
    case 'SNAPSHOT_FILE_MISSING':
      return new ApiError('NOT_FOUND', `no binlog file ${name}`, { file: name });
    case 'SNAPSHOT_FILE_SHORT':
      // Retryable for the client: a member behind the leader may still be appending this file.
      return new ApiError('CONFLICT', `binlog file ${name} has ${err.details.offset} bytes; the range ends at ${to}`, { file: name, size: err.details.offset, to });
    case 'SNAPSHOT_BAD_RANGE':
      return new ApiError('BAD_REQUEST', err.message, { field: 'to' });
    default:
      return err;
  }
}
