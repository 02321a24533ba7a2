// The audit line of every mutating admin call (api/audit-log.ts): who, what, the result, and no
// secret; reads are not audited.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAdminServer } from '../../../api/server.js';
import type { AdminBackend } from '../../../api/backend.js';
import { capturedLogger } from '../../helpers/captured-logger.js';

function backend(): AdminBackend {
  return {
    members: () => [{ id: '1', name: 'n1', peerURLs: ['127.0.0.1:1'], adminURLs: [], isLeader: true, isLearner: false }],
    addMember: async (name, peerUrl) => ({ id: '2', name, peerURLs: [peerUrl], adminURLs: [], isLeader: false, isLearner: true }),
    removeMember: async () => undefined,
    updateMember: async () => undefined,
    health: () => ({ ok: true, name: 'n1', role: 'leader', term: 1, leader: 'n1', commitIndex: 1, appliedIndex: 1 }),
    readiness: () => ({ ready: true }),
    metrics: () => '',
  };
}

test('a mutating call logs who, what and the result; a read logs nothing', async () => {
  const log = capturedLogger();
  const app = createAdminServer({ backend: backend(), logger: log.logger, adminToken: 'tok-secret' });
  const auth = { authorization: 'Bearer tok-secret' };
  await app.inject({ method: 'POST', url: '/members?x=1', headers: auth, payload: { name: 'n2', peer_url: '127.0.0.1:5' } });
  await app.inject({ method: 'DELETE', url: '/members', payload: { name: 'n2' } });
  await app.inject({ method: 'GET', url: '/members', headers: auth });
  const lines = log.events('api.audit');
  assert.equal(lines.length, 2);
  assert.deepEqual(
    lines.map(({ method, route, status, bearer, forwarded }) => ({ method, route, status, bearer, forwarded })),
    [
      { method: 'POST', route: '/members', status: 200, bearer: true, forwarded: false },
      { method: 'DELETE', route: '/members', status: 401, bearer: false, forwarded: false },
    ],
  );
  assert.equal(lines[0]!.remote, '127.0.0.1');
  assert.ok(!JSON.stringify(log.lines).includes('tok-secret'), 'the token never reaches the log');
});

test('a body with a password is never part of the audit line', async () => {
  const log = capturedLogger();
  const app = createAdminServer({ backend: backend(), logger: log.logger });
  await app.inject({ method: 'POST', url: '/members', payload: { name: 'n2', peer_url: '127.0.0.1:5', password: 'pw-secret' } });
  const [line] = log.events('api.audit');
  assert.equal(line!.status, 400);
  assert.ok(!JSON.stringify(log.lines).includes('pw-secret'));
});
