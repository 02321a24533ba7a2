// One audit line for every admin call that may change something (POST, PUT, DELETE, PATCH),
// answered or refused: who (the client's address, whether it sent a bearer token, whether it was
// forwarded by another node), what (method and route pattern: never the query, body or headers,
// which may carry secrets) and the result (status). `{event: 'api.audit', …}`.
import type { FastifyInstance } from 'fastify';

const MUTATING = new Set(['POST', 'PUT', 'DELETE', 'PATCH']);

export function auditMutatingCalls(app: FastifyInstance): void {
  app.addHook('onResponse', async (request, reply) => {
    if (!MUTATING.has(request.method)) return;
    request.log.info({
      event: 'api.audit',
      remote: request.ip,
      bearer: (request.headers.authorization ?? '').startsWith('Bearer '),
      forwarded: request.headers['x-binrelay-forwarded'] !== undefined,
      method: request.method,
      route: request.routeOptions.url ?? request.url.split('?', 1)[0],
      status: reply.statusCode,
      durationMs: Math.round(reply.elapsedTime),
    }, `${request.method} ${request.routeOptions.url ?? '(no route)'} ${reply.statusCode}`);
  });
}
