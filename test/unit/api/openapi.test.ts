// The OpenAPI document (api/openapi.ts) against the server that serves it: every route the admin
// API registers is described and nothing else, every example passes the zod schema that
// validates that route's body, and the spec and its page are served without a token.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAdminServer, registeredRoutes } from '../../../api/server.js';
import type { AdminServerOptions } from '../../../api/server.js';
import { ROUTE_DOCS, openApiPath } from '../../../api/openapi.js';
import { silentLogger } from '../../../src/logger.js';

/** A backend with every optional part, so every route registers; no call reaches it here. */
function fullBackend(): AdminServerOptions['backend'] {
  const unused = (): never => assert.fail('not called');
  return {
    members: () => [], addMember: unused, removeMember: unused, updateMember: unused,
    health: () => ({ ok: true, name: 'n1', role: 'leader', term: 1, leader: 'n1', commitIndex: 1, appliedIndex: 1 }),
    readiness: () => ({ ready: true }), metrics: () => '',
    leaderAdminAddr: () => null, syncerStart: unused, syncerStop: unused, syncerStatus: unused,
    serverStart: unused, serverStop: unused, serverStatus: unused, purge: unused, importBinlogs: unused,
    binlogFilePath: () => null, dashboard: unused,
  };
}

test('every route the server registers is in the spec, and the spec names no route the server lacks', async () => {
  const app = createAdminServer({ backend: fullBackend(), logger: silentLogger });
  await app.ready();
  const served = [...registeredRoutes(app)].sort();
  const documented = ROUTE_DOCS.map((r) => `${r.method} ${r.path}`).sort();
  assert.ok(served.length >= 15, `routes seen: ${served.join(', ')}`);
  assert.deepEqual(served, documented);
  const spec = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as { openapi: string; paths: Record<string, Record<string, unknown>> };
  assert.equal(spec.openapi, '3.1.0');
  for (const r of ROUTE_DOCS) assert.ok(spec.paths[openApiPath(r.path)]?.[r.method.toLowerCase()], `${r.method} ${r.path} in /openapi.json`);
  await app.close();
});

test("every example in the spec passes the schema of its route's body, and every body has one", () => {
  let checked = 0;
  for (const r of ROUTE_DOCS) {
    if (!r.body) {
      assert.equal(r.examples, undefined, `${r.method} ${r.path} has examples but no body schema`);
      continue;
    }
    const examples = Object.entries(r.examples ?? {});
    assert.ok(examples.length > 0, `${r.method} ${r.path} has no example`);
    for (const [name, value] of examples) {
      const parsed = r.body.safeParse(value);
      assert.ok(parsed.success, `${r.method} ${r.path} example ${name}: ${parsed.success ? '' : parsed.error.message}`);
      checked++;
    }
  }
  assert.ok(checked >= 8);
});

test("the spec's body schemas say what the route requires", async () => {
  const app = createAdminServer({ backend: fullBackend(), logger: silentLogger });
  const spec = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
  const start = spec.paths['/binlog/syncer/start'].put.requestBody.content['application/json'].schema;
  assert.ok(start.required.includes('mysql_user'));
  assert.equal(start.additionalProperties, false);
  const file = spec.paths['/internal/binlog/files/{name}'].get.parameters as { name: string; in: string }[];
  assert.deepEqual(file.map((p) => `${p.in}:${p.name}`).sort(), ['path:name', 'query:from', 'query:to']);
  await app.close();
});

test('the spec and its page are public; every other route still needs the token', async () => {
  const app = createAdminServer({ backend: fullBackend(), logger: silentLogger, adminToken: 'admin-secret' });
  const spec = await app.inject({ method: 'GET', url: '/openapi.json' });
  assert.equal(spec.statusCode, 200);
  const page = await app.inject({ method: 'GET', url: '/docs' });
  assert.equal(page.statusCode, 200);
  assert.match(page.headers['content-type'] as string, /^text\/html/);
  assert.match(page.body, /PUT \/binlog\/syncer\/start/);
  // Self-contained: nothing is fetched from another origin.
  assert.doesNotMatch(page.body, /(src|href)="(https?:)?\/\//);
  assert.equal((await app.inject({ method: 'GET', url: '/members' })).statusCode, 401);
  assert.equal((await app.inject({ method: 'GET', url: '/openapi.json?x=/members' })).statusCode, 200);
  await app.close();
});
