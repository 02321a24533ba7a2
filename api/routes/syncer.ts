// The cluster's syncer (kingbus shape): answered by the leader from any node.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { BinlogBackend } from '../backend.js';
import { forwardToLeader } from '../forward.js';
import { parseInput, success } from '../server.js';
import { syncerStartSchema } from '../../src/syncer/syncer-settings.js';

const memberBody = z.strictObject({
  id: z.string().regex(/^\d+$/), name: z.string().min(1), peerAddr: z.string(), adminAddr: z.string(),
});

export function registerSyncerRoutes(app: FastifyInstance, backend: BinlogBackend): void {
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
  app.put('/internal/member', async (request, reply) => {
    const member = parseInput(memberBody, request.body);
    if (await forwardToLeader(backend, request, reply)) return reply;
    await backend.publishMember(member);
    return success(null);
  });
}
