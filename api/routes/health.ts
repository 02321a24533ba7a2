// Operations routes: liveness, readiness, Prometheus metrics.
import type { FastifyInstance } from 'fastify';
import type { AdminBackend } from '../backend.js';
import { ApiError } from '../errors.js';
import { success } from '../server.js';

export function registerHealthRoutes(app: FastifyInstance, backend: AdminBackend): void {
  app.get('/healthz', async () => success(backend.health()));
  app.get('/readyz', async () => {
    const r = backend.readiness();
    if (!r.ready) throw new ApiError('UNAVAILABLE', `not ready: ${r.reason ?? 'unknown'}`);
    return success({ ready: true });
  });
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', 'text/plain; version=0.0.4');
    return backend.metrics();
  });
}
