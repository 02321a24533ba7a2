// Fuzz surface: the admin API. Every mutating route of api/openapi.ts's ROUTE_DOCS (a test checks
// that it lists every route api/server.ts registers) gets random and mutated JSON bodies (the
// routes' own examples mutated structurally and as bytes, odd types, deep nesting, huge strings,
// __proto__ keys) and non-JSON ones, under several content types, with no token, a wrong or
// malformed one, or the right one; plus mutated raw HTTP requests and odd file requests on the
// snapshot route.
//
// What must not happen for real (the replica the test watches would stop): a call that stops the
// binlog server or the syncer, re-points them, purges, imports, or changes the members. So the
// right token goes only with a request its route refuses before acting: never to the routes
// without a body schema (the two /stop routes act on any body), and to the others only when the
// route's own zod schema rejects the body as fastify would see it (parsed JSON, raw text, or
// absent). Requests that would act are sent with no token or a wrong one (401), so the auth check
// meets them instead.
import { request } from 'node:http';
import type { z } from 'zod';
// api/server.js first, as the node loads it: openapi.js and the route files import each other.
import '../../../api/server.js';
import { ROUTE_DOCS, type RouteDoc } from '../../../api/openapi.js';
import { type Fuzz, type InputLog, withProbe } from './fuzzer.js';

export interface AdminTarget {
  host: string;
  port: number;
  token: string;
  /** Names of binlog files the node holds (for the snapshot route). */
  files: () => readonly string[];
}

export interface AdminAnswer {
  status: number;
  /** The route, method and whether the right token was sent, for the report. */
  what: string;
}

const MUTATING = ROUTE_DOCS.filter((r) => r.method !== 'GET');
const CONTENT_TYPES = [
  'application/json', 'application/json', 'application/json; charset=utf-8', 'application/json; charset=utf-16', 'text/plain',
  'application/x-www-form-urlencoded', 'application/octet-stream', 'multipart/form-data; boundary=x', 'application/jsonx', '',
];
const ODD_VALUES: unknown[] = [
  null, true, 0, -1, 1e308, -0, 2 ** 53 + 1, '', ' ', 'x'.repeat(70_000), '\u0000', '../../../etc/passwd', '127.0.0.1:0',
  '[::1]:3306', 'h'.repeat(300) + ':1', '0.0.0.0:99999', [], {}, [1, 'a'], { nested: { deeper: [null] } },
];

function mutateValue(fuzz: Fuzz, value: unknown, depth = 0): unknown {
  if (depth > 3 || fuzz.chance(0.15)) return fuzz.pick(ODD_VALUES);
  if (typeof value === 'string') return fuzz.chance(0.5) ? fuzz.mutateText(value) : value;
  if (Array.isArray(value)) return value.map((v) => mutateValue(fuzz, v, depth + 1));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (fuzz.chance(0.15)) continue;
      out[fuzz.chance(0.1) ? fuzz.mutateText(k) : k] = mutateValue(fuzz, v, depth + 1);
    }
    if (fuzz.chance(0.2)) out[fuzz.pick(['__proto__', 'constructor', 'extra', 'force', 'semi_sync', 'password', ''])] = fuzz.pick(ODD_VALUES);
    return out;
  }
  return fuzz.chance(0.5) ? fuzz.pick(ODD_VALUES) : value;
}

function body(fuzz: Fuzz, route: RouteDoc): Buffer {
  const examples = Object.values(route.examples ?? {});
  const base = examples.length > 0 ? fuzz.pick(examples) : {};
  const text = fuzz.pick([
    () => JSON.stringify(mutateValue(fuzz, base)),
    () => JSON.stringify(base),
    () => fuzz.mutateText(JSON.stringify(base), 4),
    () => fuzz.bytes(fuzz.size(3000)).toString('latin1'),
    () => '',
    () => {
      // Deep nesting up to the 1 MiB body limit, maybe around a __proto__ key.
      const depth = fuzz.range(10, 500_000);
      return `${'['.repeat(depth)}${fuzz.pick(['1', '{"__proto__": {}}', ''])}${']'.repeat(fuzz.chance(0.8) ? depth : 0)}`;
    },
    () => `{"${'a'.repeat(fuzz.size(1_200_000))}": 1}`,
    () => '{"__proto__": {"polluted": true}, "constructor": {"prototype": {"x": 1}}}',
    () => JSON.stringify(base).slice(0, fuzz.int(JSON.stringify(base).length)),
  ])();
  const bytes = Buffer.from(text, 'utf8');
  return fuzz.chance(0.15) ? fuzz.mutate(bytes) : bytes;
}

/** Whether the route's schema accepts `bytes` as fastify may hand them on (see the header). */
function acts(schema: z.ZodType | undefined, bytes: Buffer): boolean {
  if (!schema) return true;
  const text = bytes.toString('utf8');
  const seen: unknown[] = [text, {}];
  try {
    seen.push(JSON.parse(text));
  } catch {
    // not JSON: fastify answers 400 BAD_JSON, or hands on the text
  }
  return seen.some((v) => schema.safeParse(v).success);
}

function send(target: AdminTarget, method: string, path: string, headers: Record<string, string>, payload: Buffer | null): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: target.host, port: target.port, method, path, headers, agent: false, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(-1));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(-1));
    req.end(payload ?? undefined);
  });
}

/** Percent-encodes the UTF-8 bytes of `text` (a mutated name may hold lone surrogates, which
 *  encodeURIComponent throws on; their bytes are U+FFFD's). */
function percentEncode(text: string): string {
  let out = '';
  for (const b of Buffer.from(text, 'utf8')) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9\-._~]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** One request; the answer's status (-1: no answer). */
export async function adminCase(fuzz: Fuzz, target: AdminTarget, log: InputLog): Promise<AdminAnswer> {
  const kind = fuzz.int(20);
  if (kind === 0) return rawHttp(fuzz, target, log);
  if (kind === 1) {
    const files = target.files();
    const name = fuzz.pick([files[0] ?? 'up-bin.000001', '..%2F..%2Fetc%2Fpasswd', '%00', 'x'.repeat(300), fuzz.mutateText(files[0] ?? 'a')]);
    const path = `/internal/binlog/files/${percentEncode(name).replace(/%25/g, '%')}?from=${fuzz.pick(['4', '-1', 'x', '1e30', String(fuzz.u32())])}&to=${fuzz.pick(['', '8', '0', String(fuzz.u32())])}`;
    log.record(`GET ${path}`);
    const status = await send(target, 'GET', path, { authorization: `Bearer ${target.token}` }, null);
    return { status, what: 'GET /internal/binlog/files/:name' };
  }
  const route = fuzz.pick(MUTATING);
  const payload = body(fuzz, route);
  let auth = fuzz.pick(['none', 'right', 'right', 'wrong', 'malformed'] as const);
  if (auth === 'right' && acts(route.body, payload)) auth = fuzz.pick(['none', 'wrong'] as const);
  const headers: Record<string, string> = {};
  const contentType = fuzz.pick(CONTENT_TYPES);
  if (contentType) headers['content-type'] = contentType;
  if (auth === 'right') headers.authorization = `Bearer ${target.token}`;
  else if (auth === 'wrong') {
    const wrong = fuzz.mutateText(target.token).replace(/[^\x21-\x7e]/g, 'x');
    headers.authorization = `Bearer ${wrong === target.token ? `${wrong}x` : wrong}`;
  }
  else if (auth === 'malformed') headers.authorization = fuzz.pick(['Bearer', 'Bearer ', `Basic ${target.token}`, `bearer ${'t'.repeat(9000)}`, target.token]);
  log.record(`${route.method} ${route.path} auth=${auth} content-type=${contentType || '(none)'}`, payload);
  const status = await send(target, route.method, route.path, headers, fuzz.chance(0.9) ? payload : null);
  return { status, what: `${route.method} ${route.path}${auth === 'right' ? ' (token)' : ''}` };
}

/** A mutated raw HTTP/1.1 request (without the token, so it never acts). */
async function rawHttp(fuzz: Fuzz, target: AdminTarget, log: InputLog): Promise<AdminAnswer> {
  const route = fuzz.pick(MUTATING);
  const json = JSON.stringify(Object.values(route.examples ?? {})[0] ?? {});
  const text = `${route.method} ${route.path} HTTP/1.1\r\nHost: ${target.host}\r\nContent-Type: application/json\r\nContent-Length: ${json.length}\r\n\r\n${json}`;
  const raw = fuzz.mutate(Buffer.from(text, 'latin1'), 6);
  log.record('raw HTTP', raw);
  const answer = await withProbe(target.port, '127.0.0.1', Buffer.alloc(0), (probe) => {
    probe.write(raw);
    return probe.waitFor(12, 1000);
  });
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(answer.toString('latin1'))?.[1];
  return { status: status ? Number(status) : -1, what: 'raw HTTP' };
}
