// The admin API described as OpenAPI 3.1, built from the same zod schemas that validate the
// requests, so the spec cannot drift from what a route accepts. One entry per route: a test checks
// that every route the server registers is here and that every example passes its schema.
import { z } from 'zod';
import { syncerStartSchema } from '../src/syncer/syncer-settings.js';
import { addMemberBody, removeMemberBody, updateMemberBody } from './routes/members.js';
import { serverStartBody } from './routes/binlog-server.js';
import { importBody } from './routes/import.js';
import { purgeBody } from './routes/binlog-purge.js';
import { fileParams, rangeQuery } from './routes/snapshot.js';

export interface RouteDoc {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  /** Fastify's form (`:name` for a path parameter). */
  path: string;
  summary: string;
  tag: 'operations' | 'members' | 'syncer' | 'binlog server' | 'binlog files' | 'internal';
  body?: z.ZodType;
  /** Request bodies that the body schema accepts, shown in the spec. */
  examples?: Record<string, unknown>;
  params?: z.ZodType;
  query?: z.ZodType;
  /** Answered by the leader: a follower forwards the call. */
  leader?: boolean;
  /** Not JSON: the media type of a 200 answer. */
  produces?: string;
  /** Answered without the admin token. */
  public?: boolean;
}

export const ROUTE_DOCS: readonly RouteDoc[] = [
  { method: 'GET', path: '/healthz', tag: 'operations', public: true, summary: 'Liveness: 200 while raft, storage and apply are healthy, else 503 with the same view' },
  { method: 'GET', path: '/readyz', tag: 'operations', summary: 'Readiness: a leader is known and what was committed at start is applied' },
  { method: 'GET', path: '/metrics', tag: 'operations', produces: 'text/plain', summary: 'Prometheus metrics' },
  { method: 'GET', path: '/openapi.json', tag: 'operations', public: true, summary: 'This document' },
  { method: 'GET', path: '/docs', tag: 'operations', public: true, produces: 'text/html', summary: 'This document as a page' },
  { method: 'GET', path: '/', tag: 'operations', public: true, produces: 'text/html', summary: 'The dashboard: members, syncer, replicas and their lag, throughput, binlog files, recent errors' },
  { method: 'GET', path: '/dashboard.json', tag: 'operations', summary: "What the dashboard shows of this node (the syncer's part comes from /binlog/syncer/status)" },
  { method: 'GET', path: '/cluster', tag: 'members', summary: 'The members (kingbus name)' },
  { method: 'GET', path: '/members', tag: 'members', summary: 'The members, their roles and the leader' },
  {
    method: 'POST', path: '/members', tag: 'members', body: addMemberBody,
    summary: 'Adds a member as a learner; it is promoted to voter once caught up',
    examples: { add: { name: 'n4', peer_url: '10.0.0.4:7000' } },
  },
  { method: 'DELETE', path: '/members', tag: 'members', body: removeMemberBody, summary: 'Removes a member', examples: { remove: { name: 'n4' } } },
  {
    method: 'PUT', path: '/members', tag: 'members', body: updateMemberBody, summary: "Changes a member's peer address",
    examples: { move: { name: 'n4', new_peer_url: '10.0.0.5:7000' } },
  },
  {
    method: 'PUT', path: '/binlog/syncer/start', tag: 'syncer', body: syncerStartSchema, leader: true,
    summary: 'Starts (or re-points) the cluster syncer: the leader pulls the upstream binlog into raft',
    examples: {
      gtid: { mysql_addr: '10.0.0.10:3306', mysql_user: 'repl', mysql_password: 'secret', semi_sync: true },
      from_gtid: { mysql_addr: '10.0.0.10:3306', mysql_user: 'repl', mysql_password: 'secret', start_gtid: '0-1-100' },
      failover: {
        mysql_addrs: ['10.0.0.10:3306', '10.0.0.11:3306'], mysql_user: 'repl', mysql_password_file: '/etc/binrelay/upstream.pw',
        failover_after_ms: 5000, mysql_tls: { ca: '/etc/binrelay/upstream-ca.pem' },
      },
    },
  },
  { method: 'PUT', path: '/binlog/syncer/stop', tag: 'syncer', leader: true, summary: 'Stops the cluster syncer (a body is optional)' },
  { method: 'GET', path: '/binlog/syncer/status', tag: 'syncer', leader: true, summary: "The syncer's upstream, state, position, lag and last error" },
  {
    method: 'PUT', path: '/binlog/server/start', tag: 'binlog server', body: serverStartBody,
    summary: "Starts this node's binlog server (replicas connect with CHANGE MASTER TO)",
    examples: { start: { addr: '0.0.0.0:3307', user: 'repl', password: 'relaypw' } },
  },
  { method: 'PUT', path: '/binlog/server/stop', tag: 'binlog server', summary: "Stops this node's binlog server" },
  { method: 'GET', path: '/binlog/server/status', tag: 'binlog server', summary: "This node's binlog files, executed GTIDs and connected replicas" },
  {
    method: 'PUT', path: '/binlog/purge', tag: 'binlog files', body: purgeBody, leader: true,
    summary: 'Purges binlog files before a file or a time on every node (as PURGE BINARY LOGS)',
    examples: { to: { to: 'mysql-bin.000042' }, before: { before: '2026-12-01 00:00:00' } },
  },
  {
    method: 'PUT', path: '/binlog/import', tag: 'binlog files', body: importBody, leader: true,
    summary: "Seeds the relay from a directory of the upstream's binlog files, read on the leader",
    examples: { import: { dir: '/var/lib/mysql-binlogs' } },
  },
  {
    method: 'GET', path: '/internal/binlog/files/:name', tag: 'internal', params: fileParams, query: rangeQuery,
    produces: 'application/octet-stream', summary: "A byte range of one of this node's binlog files, framed, for a member installing a snapshot",
  },
];

/** `/internal/binlog/files/:name` → `/internal/binlog/files/{name}`. */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z_]+)/g, '{$1}');
}

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  // The input side: what a client sends (transforms and refinements are not representable).
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

/** Object-schema properties as OpenAPI parameters. */
function parametersOf(schema: z.ZodType | undefined, where: 'path' | 'query'): Record<string, unknown>[] {
  if (!schema) return [];
  const s = jsonSchema(schema) as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(s.properties ?? {}).map(([name, prop]) => ({
    name, in: where, required: where === 'path' || (s.required ?? []).includes(name), schema: prop,
  }));
}

const ENVELOPE_OK = {
  type: 'object', required: ['message', 'data'],
  properties: { message: { const: 'success' }, data: {} },
};
const ENVELOPE_ERROR = {
  type: 'object', required: ['message', 'error'],
  properties: { message: { type: 'string' }, error: { type: 'object', required: ['code'], properties: { code: { type: 'string' } } } },
};

export function openApiDocument(version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of ROUTE_DOCS) {
    const operation: Record<string, unknown> = {
      summary: r.summary,
      tags: [r.tag],
      ...(r.leader ? { description: 'Answered by the leader; a follower forwards the call and relays the answer.' } : {}),
      ...(r.public ? { security: [] } : {}),
      parameters: [...parametersOf(r.params, 'path'), ...parametersOf(r.query, 'query')],
      responses: {
        200: r.produces
          ? { description: 'OK', content: { [r.produces]: { schema: { type: 'string' } } } }
          : { description: 'OK', content: { 'application/json': { schema: ENVELOPE_OK } } },
        default: { description: 'An error, with a machine-readable code', content: { 'application/json': { schema: ENVELOPE_ERROR } } },
      },
    };
    if (r.body) {
      const examples = Object.fromEntries(Object.entries(r.examples ?? {}).map(([k, value]) => [k, { value }]));
      operation.requestBody = { required: true, content: { 'application/json': { schema: jsonSchema(r.body), examples } } };
    }
    (paths[openApiPath(r.path)] ??= {})[r.method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'binrelay admin API',
      version,
      description: 'Every success is {"message": "success", "data": …}; every error is a 4xx/5xx with {"message", "error": {"code", …}}.',
    },
    components: { securitySchemes: { adminToken: { type: 'http', scheme: 'bearer' } } },
    security: [{ adminToken: [] }],
    paths,
  };
}
