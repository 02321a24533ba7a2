// The cluster's syncer (kingbus shape): answered by the leader from any node. (Members publish
// their own attributes over the authenticated peer transport, not through this API: see
// src/member-announcement.ts.)
import type { FastifyInstance } from 'fastify';
import type { BinlogBackend } from '../backend.js';
import type { LeaderForwarder } from '../forward.js';
import { parseInput, success } from '../server.js';
import { syncerStartSchema } from '../../src/syncer/syncer-settings.js';

export function registerSyncerRoutes(app: FastifyInstance, backend: BinlogBackend, forwardToLeader: LeaderForwarder): void {
  app.put('/binlog/syncer/start', async (request, reply) => {
    const settings = parseInput(syncerStartSchema, request.body);
    if (await forwardToLeader(backend, request, reply)) return reply;
    return success(await backend.syncerStart(settings));
  });
  app.put('/binlog/syncer/stop', async (request, reply) => {
    if (await forwardToLeader(backend, request, reply)) return reply;
    return success(await backend.syncerStop());
  });
  app.get('/binlog/syncer/status', async (request, reply) => {
    if (await forwardToLeader(backend, request, reply)) return reply;
    return success(backend.syncerStatus());
  });
}
