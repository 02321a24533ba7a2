// The admin API server (fastify). Every success is {"message": "success", "data": …}; every error
// is an HTTP 4xx/5xx with {"message": "…", "error": {"code": "…", …}}. Input is validated with zod
// in the routes; a bad field is answered 400 naming the field.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyError } from 'fastify';
import { timingSafeEqual, createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { z } from 'zod';
import { ApiError } from './errors.js';
import type { AdminBackend, BinlogBackend, DashboardBackend, SnapshotBackend } from './backend.js';
import type { AdminListener } from './admin-listener.js';
import { leaderForwarder } from './forward.js';
import { auditMutatingCalls } from './audit-log.js';
import { acceptEmptyJsonBodies } from './empty-json-body.js';
import type { AdminClient } from './admin-client.js';
import { applyHttpLimits, DEFAULT_HTTP_LIMITS, type HttpLimits } from './http-limits.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerMemberRoutes } from './routes/members.js';
import { registerSyncerRoutes } from './routes/syncer.js';
import { registerBinlogServerRoutes } from './routes/binlog-server.js';
import { registerPurgeRoutes } from './routes/binlog-purge.js';
import { registerImportRoutes } from './routes/import.js';
import { registerSnapshotRoutes } from './routes/snapshot.js';
import { registerOpenApiRoutes } from './routes/openapi.js';
import { registerDashboardRoutes } from './routes/dashboard.js';
import { ROUTE_DOCS } from './openapi.js';

/** Routes answered without the admin token (they reveal nothing). */
const PUBLIC_PATHS = new Set(ROUTE_DOCS.filter((r) => r.public).map((r) => r.path));
const REGISTERED_ROUTES = new WeakMap<FastifyInstance, string[]>();

/** `METHOD /path` of every route `app` registered (HEAD twins left out), for the spec's test. */
export function registeredRoutes(app: FastifyInstance): readonly string[] {
  return REGISTERED_ROUTES.get(app) ?? [];
}

export interface AdminServerOptions {
  backend: AdminBackend & Partial<BinlogBackend> & Partial<SnapshotBackend> & Partial<DashboardBackend>;
  logger: Logger;
  /** When set, every route but /healthz needs `Authorization: Bearer <token>`; calls forwarded
   *  to the leader carry this node's token (never the client's Authorization header). */
  adminToken?: string;
  /** Request, idle and connection limits of the HTTP server (default: DEFAULT_HTTP_LIMITS). */
  limits?: HttpLimits;
  /** A socket bound already (the node binds it before starting raft); its limits are set. The
   *  app is attached to it once ready. Without it, call app.listen(). */
  listener?: AdminListener;
  /** How calls to other nodes go out: http, or https verified with admin-tls.ca. Default http. */
  adminClient?: AdminClient;
}

export function success<T>(data: T): { message: 'success'; data: T } {
  return { message: 'success', data };
}

/** Parses `input` with `schema` or throws a 400 naming the first bad field. */
export function parseInput<T>(schema: z.ZodType<T>, input: unknown): T {
  const parsed = schema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const unknown = issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : undefined;
  const field = [...issue.path.map(String), ...(unknown ? [unknown] : [])].join('.') || '(body)';
  throw new ApiError('BAD_REQUEST', `${field}: ${unknown ? 'unknown field' : issue.message}`, { field });
}

function sameSecret(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

export function createAdminServer(options: AdminServerOptions): FastifyInstance {
  const limits = options.limits ?? DEFAULT_HTTP_LIMITS;
  const listener = options.listener;
  let listenerHandler: ((request: IncomingMessage, response: ServerResponse) => void) | null = null;
  const app = Fastify({
    loggerInstance: options.logger.child({ component: 'api' }) as FastifyBaseLogger,
    // Request lines off (the audit hook logs the calls that change something); through the
    // log controller, as the top-level option is deprecated (FSTDEP023, printed at every start).
    logController: new LogController({ disableRequestLogging: true }),
    // A binlog file name in a URL (routes/snapshot.ts) may be 255 bytes, percent-encoded up to 765.
    routerOptions: { maxParamLength: 1024 },
    requestTimeout: limits.requestTimeoutMs,
    connectionTimeout: limits.connectionTimeoutMs,
    keepAliveTimeout: limits.connectionTimeoutMs,
    ...(listener ? {
      serverFactory: (handler: (request: IncomingMessage, response: ServerResponse) => void) => {
        listenerHandler = handler;
        return listener.server;
      },
    } : {}),
  });
  if (listener) {
    app.addHook('onReady', async () => {
      if (listenerHandler) listener.attach(listenerHandler);
    });
  } else {
    applyHttpLimits(app.server, limits);
  }

  app.setErrorHandler((err: FastifyError | ApiError, request, reply) => {
    if (err instanceof ApiError) {
      return reply.status(err.status).send({ message: err.message, error: { code: err.code, ...err.details } });
    }
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const code = err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || err.code?.startsWith('FST_ERR_CTP') || err instanceof SyntaxError
        ? 'BAD_JSON' : 'BAD_REQUEST';
      return reply.status(status).send({ message: err.message, error: { code } });
    }
    request.log.error({ event: 'api.error', url: request.url, err }, 'admin API error');
    return reply.status(500).send({ message: 'internal error', error: { code: 'INTERNAL' } });
  });
  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send({ message: `no route ${request.method} ${request.url}`, error: { code: 'NOT_FOUND' } });
  });

  acceptEmptyJsonBodies(app);
  auditMutatingCalls(app);
  if (options.adminToken) {
    const token = options.adminToken;
    app.addHook('onRequest', async (request) => {
      if (PUBLIC_PATHS.has(request.url.split('?', 1)[0]!)) return;
      const header = request.headers.authorization ?? '';
      const given = header.startsWith('Bearer ') ? header.slice(7) : '';
      if (!given || !sameSecret(given, token)) {
        throw new ApiError('UNAUTHORIZED', 'missing or wrong bearer token');
      }
    });
  }

  const routes: string[] = [];
  REGISTERED_ROUTES.set(app, routes);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) if (method !== 'HEAD') routes.push(`${method} ${route.url}`);
  });
  registerOpenApiRoutes(app);
  registerHealthRoutes(app, options.backend);
  const forward = leaderForwarder(options.adminToken ?? null, options.adminClient);
  const backend = options.backend;
  registerMemberRoutes(app, backend, isBinlogBackend(backend) ? (request, reply) => forward(backend, request, reply) : null);
  if (isBinlogBackend(options.backend)) {
    registerSyncerRoutes(app, options.backend, forward);
    registerBinlogServerRoutes(app, options.backend);
    registerPurgeRoutes(app, options.backend, forward);
    registerImportRoutes(app, options.backend, forward);
  }
  if (isSnapshotBackend(options.backend)) registerSnapshotRoutes(app, options.backend);
  if (isDashboardBackend(options.backend)) registerDashboardRoutes(app, options.backend);
  return app;
}

function isBinlogBackend(backend: Partial<BinlogBackend>): backend is BinlogBackend {
  return typeof backend.syncerStatus === 'function' && typeof backend.serverStatus === 'function';
}

function isDashboardBackend(backend: Partial<DashboardBackend>): backend is DashboardBackend {
  return typeof backend.dashboard === 'function';
}

function isSnapshotBackend(backend: Partial<SnapshotBackend>): backend is SnapshotBackend {
  return typeof backend.binlogFilePath === 'function';
}
