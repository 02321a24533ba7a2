// Operations routes: liveness, readiness, Prometheus metrics.
import type { FastifyInstance } from 'fastify';
import type { AdminBackend } from '../backend.js';
import { ApiError } from '../errors.js';
import { success } from '../server.js';

export function registerHealthRoutes(app: FastifyInstance, backend: AdminBackend): void {
  // 503 while the node is not ok (raft, storage or apply failed: it is about to exit), with the
  // same view, so a supervisor or load balancer sees it without parsing the body.
  app.get('/healthz', async (_request, reply) => {
    const health = backend.health();
    if (health.ok) return success(health);
    return reply.status(503).send({ message: 'node not healthy', data: health, error: { code: 'UNAVAILABLE' } });
  });
  app.get('/readyz', async () => {
    const r = backend.readiness();
    if (!r.ready) throw new ApiError('UNAVAILABLE', `not ready: ${r.reason ?? 'unknown'}`);
    return success({ ready: true });
  });
  app.get('/metrics', async (_request, reply) => {
    const text = await backend.metrics();
    return reply.header('content-type', 'text/plain; version=0.0.4; charset=utf-8').send(text);
  });
}
