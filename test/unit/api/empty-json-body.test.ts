// kingbus's calls with `Content-Type: application/json` and no body (api/empty-json-body.ts):
// accepted whether the client sends Content-Length: 0 or a chunked empty body; malformed JSON is
// still a 400 BAD_JSON and a prototype-poisoning body still refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { createAdminServer } from '../../../api/server.js';
import type { AdminServerOptions, } from '../../../api/server.js';
import { silentLogger } from '../../../src/logger.js';

function app() {
  let stops = 0;
  const unused = (): never => assert.fail('not called');
  const status = { status: 'stopped' };
  const backend = {
    members: () => [], addMember: unused, removeMember: unused, updateMember: unused,
    health: () => ({ ok: true, name: 'n1', role: 'leader', term: 1, leader: 'n1', commitIndex: 1, appliedIndex: 1 }),
    readiness: () => ({ ready: true }), metrics: () => '',
    leaderAdminAddr: () => null,
    syncerStart: unused, syncerStatus: unused, serverStart: unused, serverStop: unused, serverStatus: unused, purge: unused, importBinlogs: unused,
    syncerStop: async () => {
      stops++;
      return status;
    },
  } as unknown as AdminServerOptions['backend'];
  return { server: createAdminServer({ backend, logger: silentLogger }), stops: () => stops };
}

test('PUT /binlog/syncer/stop with Content-Type json and Content-Length 0 is accepted', async () => {
  const { server, stops } = app();
  const res = await server.inject({ method: 'PUT', url: '/binlog/syncer/stop', headers: { 'content-type': 'application/json' }, payload: '' });
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(stops(), 1);
});

test('a chunked empty JSON body over a real socket is accepted too', async () => {
  const { server, stops } = app();
  await server.listen({ port: 0, host: '127.0.0.1' });
  try {
    const { port } = server.server.address() as { port: number };
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method: 'PUT', path: '/binlog/syncer/stop',
        headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode!));
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(status, 200);
    assert.equal(stops(), 1);
  } finally {
    await server.close();
  }
});

test('malformed JSON is still BAD_JSON, and __proto__ in a body is still refused', async () => {
  const { server } = app();
  const bad = await server.inject({ method: 'PUT', url: '/binlog/syncer/stop', headers: { 'content-type': 'application/json' }, payload: '{"a":' });
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.json().error.code, 'BAD_JSON');
  const poisoned = await server.inject({ method: 'PUT', url: '/binlog/syncer/stop', headers: { 'content-type': 'application/json' }, payload: '{"__proto__": {"x": 1}}' });
  assert.equal(poisoned.statusCode, 400);
});
