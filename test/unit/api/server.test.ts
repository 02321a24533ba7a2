import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAdminServer } from '../../../api/server.js';
import type { AdminBackend, MemberView } from '../../../api/backend.js';
import { silentLogger } from '../../../src/logger.js';

// A backend holding members in memory: the API layer's contract (validation, envelope, auth)
// is what these tests pin; the real node backend is exercised end to end elsewhere.
function memoryBackend(): AdminBackend & { added: string[] } {
  const members: MemberView[] = [
    { id: '1', name: 'n1', peerURLs: ['127.0.0.1:1'], adminURLs: ['127.0.0.1:2'], isLeader: true, isLearner: false },
  ];
  const added: string[] = [];
  return {
    added,
    members: () => members,
    async addMember(name, peerUrl) {
      const m = { id: String(members.length + 1), name, peerURLs: [peerUrl], adminURLs: [], isLeader: false, isLearner: true };
      members.push(m);
      added.push(name);
      return m;
    },
    async removeMember(name) {
      members.splice(members.findIndex((m) => m.name === name), 1);
    },
    async updateMember(name, url) {
      members.find((m) => m.name === name)!.peerURLs = [url];
    },
    health: () => ({ ok: true, name: 'n1', role: 'leader', term: 2, leader: 'n1', commitIndex: 5, appliedIndex: 5 }),
    readiness: () => ({ ready: false, reason: 'catching up' }),
    metrics: () => 'binrelay_up 1\n',
  };
}

test('successes are wrapped in {message: "success", data}', async () => {
  const app = createAdminServer({ backend: memoryBackend(), logger: silentLogger });
  const res = await app.inject({ method: 'GET', url: '/cluster' });
  assert.equal(res.statusCode, 200);
  const body = res.json();
  assert.equal(body.message, 'success');
  assert.equal(body.data[0].name, 'n1');
  assert.equal(body.data[0].isLeader, true);
});

test('malformed JSON is a 400 with code BAD_JSON and the server keeps serving', async () => {
  const app = createAdminServer({ backend: memoryBackend(), logger: silentLogger });
  const bad = await app.inject({ method: 'POST', url: '/members', headers: { 'content-type': 'application/json' }, payload: '{"name": ' });
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.json().error.code, 'BAD_JSON');
  assert.equal((await app.inject({ method: 'GET', url: '/members' })).statusCode, 200);
});

test('a bad field is a 400 that names the field', async () => {
  const backend = memoryBackend();
  const app = createAdminServer({ backend, logger: silentLogger });
  const res = await app.inject({ method: 'POST', url: '/members', payload: { name: 'n2', peer_url: 'not a url' } });
  assert.equal(res.statusCode, 400);
  assert.equal(res.json().error.code, 'BAD_REQUEST');
  assert.equal(res.json().error.field, 'peer_url');
  assert.match(res.json().message, /peer_url/);
  const unknown = await app.inject({ method: 'POST', url: '/members', payload: { name: 'n2', peer_url: '127.0.0.1:5', colour: 1 } });
  assert.equal(unknown.statusCode, 400);
  assert.equal(unknown.json().error.field, 'colour');
  assert.deepEqual(backend.added, []);
});

test('membership calls reach the backend; duplicates and unknown names are refused', async () => {
  const backend = memoryBackend();
  const app = createAdminServer({ backend, logger: silentLogger });
  const add = await app.inject({ method: 'POST', url: '/members', payload: { name: 'n2', peer_url: '127.0.0.1:5' } });
  assert.equal(add.statusCode, 200);
  assert.equal(add.json().data.name, 'n2');
  assert.equal((await app.inject({ method: 'POST', url: '/members', payload: { name: 'n2', peer_url: '127.0.0.1:5' } })).statusCode, 409);
  assert.equal((await app.inject({ method: 'DELETE', url: '/members', payload: { name: 'zz' } })).statusCode, 404);
  assert.equal((await app.inject({ method: 'PUT', url: '/members', payload: { name: 'n2', new_peer_url: '127.0.0.1:6' } })).statusCode, 200);
  assert.deepEqual(backend.members().find((m) => m.name === 'n2')?.peerURLs, ['127.0.0.1:6']);
});

test('with an admin token every route but /healthz needs the bearer token', async () => {
  const app = createAdminServer({ backend: memoryBackend(), logger: silentLogger, adminToken: 's3cret' });
  assert.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
  const denied = await app.inject({ method: 'GET', url: '/cluster' });
  assert.equal(denied.statusCode, 401);
  assert.equal(denied.json().error.code, 'UNAUTHORIZED');
  assert.equal((await app.inject({ method: 'GET', url: '/cluster', headers: { authorization: 'Bearer wrong' } })).statusCode, 401);
  assert.equal((await app.inject({ method: 'GET', url: '/cluster', headers: { authorization: 'Bearer s3cret' } })).statusCode, 200);
});

test('readyz answers 503 with the reason while the node is not ready; unknown routes 404 in the envelope', async () => {
  const app = createAdminServer({ backend: memoryBackend(), logger: silentLogger });
  const res = await app.inject({ method: 'GET', url: '/readyz' });
  assert.equal(res.statusCode, 503);
  assert.match(res.json().message, /catching up/);
  const missing = await app.inject({ method: 'GET', url: '/nope' });
  assert.equal(missing.statusCode, 404);
  assert.equal(missing.json().error.code, 'NOT_FOUND');
});

test('/healthz answers 503 with the node\'s view while the node is not ok', async () => {
  const backend = memoryBackend();
  const app = createAdminServer({ backend: { ...backend, health: () => ({ ...backend.health(), ok: false }) }, logger: silentLogger });
  const res = await app.inject({ method: 'GET', url: '/healthz' });
  assert.equal(res.statusCode, 503);
  assert.equal(res.json().error.code, 'UNAVAILABLE');
  assert.equal(res.json().data.name, 'n1');
});
