// Seeding the relay from a directory of the upstream's binlog files (src/syncer/binlog-import.ts):
// a cluster-wide call, answered by the leader from any node. The directory is read on the leader.
import { isAbsolute } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { BinlogBackend } from '../backend.js';
import { ApiError } from '../errors.js';
import type { LeaderForwarder } from '../forward.js';
import { parseInput, success } from '../server.js';
import { BinlogImportError } from '../../src/syncer/binlog-import-error.js';

export const importBody = z.strictObject({
  dir: z.string().min(1).refine((dir) => isAbsolute(dir), 'expected an absolute path'),
});

export function registerImportRoutes(app: FastifyInstance, backend: BinlogBackend, forwardToLeader: LeaderForwarder): void {
  app.put('/binlog/import', async (request, reply) => {
    const body = parseInput(importBody, request.body);
    if (await forwardToLeader(backend, request, reply)) return reply;
    try {
      return success(await backend.importBinlogs(body));
    } catch (err) {
      throw asApiError(err);
    }
  });
}

/** A refused import names what is wrong with the directory; a failed proposal is the cluster's. */
function asApiError(err: unknown): unknown {
  if (!(err instanceof BinlogImportError)) return err;
  const details = { field: 'dir', import_code: err.code, file: err.file, offset: err.offset };
  return new ApiError(err.code === 'IMPORT_PROPOSE_FAILED' ? 'UNAVAILABLE' : 'BAD_REQUEST', err.message, details);
}
