import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { createAdminServer, type AdminServerOptions } from '../../../api/server.js';
import { parsePurgeBefore } from '../../../api/routes/binlog-purge.js';
import { PurgeError, type PurgeRequest, type PurgeResult } from '../../../src/relaylog/purge.js';
import { silentLogger } from '../../../src/logger.js';

type Backend = AdminServerOptions['backend'] & { asked: PurgeRequest[] };

/** A node's backend for the purge route: leader (null) or follower of `leader`; purge answers
 *  `outcome` (or throws it). */
function backend(leader: string | null, outcome: PurgeResult | Error = { purged: ['up-bin.000001'], heldBack: [] }): Backend {
  const asked: PurgeRequest[] = [];
  const unused = (): never => assert.fail('not called by these tests');
  return {
    asked,
    members: () => [],
    addMember: unused,
    removeMember: unused,
    updateMember: unused,
    health: () => ({ ok: true, name: 'n1', role: 'leader', term: 1, leader: 'n1', commitIndex: 1, appliedIndex: 1 }),
    readiness: () => ({ ready: true }),
    metrics: () => '',
    leaderAdminAddr: () => leader,
    syncerStatus: unused,
    serverStatus: unused,
    async purge(request) {
      asked.push(request);
      if (outcome instanceof Error) throw outcome;
      return outcome;
    },
  };
}

async function put(app: FastifyInstance, payload: unknown): Promise<{ status: number; body: { message: string; data?: unknown; error?: { code: string; field?: string } } }> {
  const res = await app.inject({ method: 'PUT', url: '/binlog/purge', payload: payload as Record<string, unknown> });
  return { status: res.statusCode, body: res.json() };
}

describe('PUT /binlog/purge', () => {
  it('purges TO a file and answers {purged, held_back}', async () => {
    const b = backend(null, { purged: ['up-bin.000001', 'up-bin.000002'], heldBack: ['up-bin.000002'] });
    const res = await put(createAdminServer({ backend: b, logger: silentLogger }), { to: 'up-bin.000003' });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { message: 'success', data: { purged: ['up-bin.000001', 'up-bin.000002'], held_back: ['up-bin.000002'] } });
    assert.deepEqual(b.asked, [{ to: 'up-bin.000003' }]);
  });

  it('purges BEFORE an ISO-8601 or SQL datetime (UTC unless an offset is given)', async () => {
    const b = backend(null);
    const app = createAdminServer({ backend: b, logger: silentLogger });
    for (const before of ['2026-12-04 10:00:00', '2026-12-04T10:00:00Z', '2026-12-04T11:00:00+01:00', '2026-12-04T10:00']) {
      assert.equal((await put(app, { before })).status, 200, before);
    }
    assert.deepEqual(b.asked.map((r) => ('before' in r ? r.before.toISOString() : r.to)), Array(4).fill('2026-12-04T10:00:00.000Z'));
  });

  it('answers 400 naming the field for a bad or missing target, before forwarding anything', async () => {
    const b = backend('127.0.0.1:1');
    const app = createAdminServer({ backend: b, logger: silentLogger });
    const cases: [unknown, string][] = [
      [{}, 'to'],
      [{ to: 'up-bin.000002', before: '2026-12-04 10:00:00' }, 'before'],
      [{ to: '' }, 'to'],
      [{ to: 7 }, 'to'],
      [{ before: 'last tuesday' }, 'before'],
      [{ before: '2026-02-30 10:00:00' }, 'before'],
      [{ before: '2026-12-04 24:00:00' }, 'before'],
      [{ to: 'up-bin.000002', keep: 1 }, 'keep'],
    ];
    for (const [payload, field] of cases) {
      const res = await put(app, payload);
      assert.equal(res.status, 400, JSON.stringify(payload));
      assert.equal(res.body.error?.code, 'BAD_REQUEST');
      assert.equal(res.body.error?.field, field, JSON.stringify(payload));
      assert.match(res.body.message, new RegExp(`^${field}: `));
    }
    assert.deepEqual(b.asked, []);
  });

  it('maps refusals: an unknown file is 404 PURGE_TARGET_NOT_FOUND; not leader, unavailable are 503', async () => {
    const cases: [PurgeError, number, string][] = [
      [new PurgeError('PURGE_TARGET_NOT_FOUND', 'up-bin.000099 is not in the binlog index'), 404, 'PURGE_TARGET_NOT_FOUND'],
      [new PurgeError('PURGE_NOT_LEADER', 'this node is not the leader'), 503, 'NOT_LEADER'],
      [new PurgeError('PURGE_UNAVAILABLE', 'the relay cannot purge'), 503, 'PURGE_UNAVAILABLE'],
    ];
    for (const [err, status, code] of cases) {
      const res = await put(createAdminServer({ backend: backend(null, err), logger: silentLogger }), { to: 'up-bin.000099' });
      assert.equal(res.status, status, err.code);
      assert.equal(res.body.error?.code, code);
      assert.equal(res.body.message, err.message);
    }
  });

  describe('on a follower', () => {
    const apps: FastifyInstance[] = [];
    after(async () => {
      for (const app of apps) await app.close();
    });

    it('forwards to the leader and returns its answer unchanged, 404s included', async () => {
      const leader = backend(null, new PurgeError('PURGE_TARGET_NOT_FOUND', 'up-bin.000099 is not in the binlog index'));
      const leaderApp = createAdminServer({ backend: leader, logger: silentLogger });
      apps.push(leaderApp);
      await leaderApp.listen({ host: '127.0.0.1', port: 0 });
      const address = leaderApp.server.address();
      assert.ok(address && typeof address === 'object');
      const follower = backend(`127.0.0.1:${address.port}`);
      const res = await put(createAdminServer({ backend: follower, logger: silentLogger }), { to: 'up-bin.000099' });
      assert.equal(res.status, 404);
      assert.equal(res.body.error?.code, 'PURGE_TARGET_NOT_FOUND');
      assert.deepEqual(leader.asked, [{ to: 'up-bin.000099' }]);
      assert.deepEqual(follower.asked, []);
    });

    it('answers 503 NO_LEADER while no leader is known', async () => {
      const res = await put(createAdminServer({ backend: backend(''), logger: silentLogger }), { before: '2026-12-04' });
      assert.equal(res.status, 503);
      assert.equal(res.body.error?.code, 'NO_LEADER');
    });
  });
});

describe('purge times', () => {
  it('read date-only, minutes, seconds, fractions, Z and ±hh[:mm] offsets', () => {
    const iso = (text: string): string | undefined => parsePurgeBefore(text)?.toISOString();
    assert.equal(iso('2026-12-04'), '2026-12-04T00:00:00.000Z');
    assert.equal(iso('2026-12-04 10:00:00.123456'), '2026-12-04T10:00:00.123Z');
    assert.equal(iso('2026-12-04T10:00:00-0230'), '2026-12-04T12:30:00.000Z');
    assert.equal(iso('2026-12-04T10:00:00+05'), '2026-12-04T05:00:00.000Z');
    for (const bad of ['', '2026-12-4', '04/12/2026', '2026-12-04T10', '2026-12-04T10:00:00+15:00', '2026-12-04Z', 'now']) {
      assert.equal(parsePurgeBefore(bad), null, bad);
    }
  });
});
