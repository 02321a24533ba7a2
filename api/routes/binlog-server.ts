// This node's binlog server: start, stop, status (with the connected replicas).
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { BinlogBackend } from '../backend.js';
import { parseInput, success } from '../server.js';
import { listenAddrSchema } from '../../src/host-port.js';

export const serverStartBody = z.strictObject({
  addr: listenAddrSchema,
  user: z.string().min(1),
  password: z.string(),
});

export function registerBinlogServerRoutes(app: FastifyInstance, backend: BinlogBackend): void {
  app.put('/binlog/server/start', async (request) => success(await backend.serverStart(parseInput(serverStartBody, request.body))));
  app.put('/binlog/server/stop', async () => success(await backend.serverStop()));
  app.get('/binlog/server/status', async () => success(backend.serverStatus()));
}
