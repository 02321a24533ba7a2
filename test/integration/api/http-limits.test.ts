// The admin API's HTTP limits on a real socket: no client can hold a connection open by dripping
// a body or idling, nor open more than max-connections; a slow handler is never cut off.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { createAdminServer } from '../../../api/server.js';
import type { AdminBackend, MemberView } from '../../../api/backend.js';
import type { HttpLimits } from '../../../api/http-limits.js';
import { silentLogger } from '../../../src/logger.js';

function backend(addMemberDelayMs = 0): AdminBackend {
  const members: MemberView[] = [];
  return {
    members: () => members,
    async addMember(name, peerUrl) {
      await new Promise((r) => setTimeout(r, addMemberDelayMs));
      const m = { id: String(members.length + 1), name, peerURLs: [peerUrl], adminURLs: [], isLeader: false, isLearner: true };
      members.push(m);
      return m;
    },
    async removeMember() {},
    async updateMember() {},
    health: () => ({ ok: true, name: 'n1', role: 'leader', term: 1, leader: 'n1', commitIndex: 1, appliedIndex: 1 }),
    readiness: () => ({ ready: true }),
    metrics: () => '',
  };
}

async function serve(limits: HttpLimits, addMemberDelayMs = 0): Promise<{ app: FastifyInstance; port: number }> {
  const app = createAdminServer({ backend: backend(addMemberDelayMs), logger: silentLogger, limits });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, port: (app.server.address() as { port: number }).port };
}

interface Client {
  socket: Socket;
  received: () => string;
  closedAt: Promise<number>;
}

async function client(port: number): Promise<Client> {
  const socket = connect({ host: '127.0.0.1', port });
  let received = '';
  socket.on('data', (b: Buffer) => (received += b.toString()));
  socket.on('error', () => undefined);
  const closedAt = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return { socket, received: () => received, closedAt };
}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms))),
  ]);
}

test('a body dripped 1 byte per second is cut off within the request timeout', { timeout: 30_000 }, async () => {
  const { app, port } = await serve({ requestTimeoutMs: 2000, connectionTimeoutMs: 60_000, maxConnections: 16 });
  try {
    const c = await client(port);
    const body = JSON.stringify({ name: 'n2', peer_url: '127.0.0.1:5' });
    const began = Date.now();
    c.socket.write(`POST /members HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`);
    let i = 0;
    const drip = setInterval(() => {
      if (!c.socket.destroyed && i < body.length - 1) c.socket.write(body[i++]!);
    }, 1000);
    try {
      const closed = await within(c.closedAt, 4000, 'the dripping connection closed');
      assert.ok(closed - began >= 1500, `cut off after ${closed - began} ms: not before the limit`);
      assert.match(c.received(), /^HTTP\/1\.1 408/, 'answered 408 Request Timeout');
    } finally {
      clearInterval(drip);
    }
  } finally {
    await app.close();
  }
});

test('an idle connection is closed after the connection timeout', { timeout: 30_000 }, async () => {
  const { app, port } = await serve({ requestTimeoutMs: 30_000, connectionTimeoutMs: 1000, maxConnections: 16 });
  try {
    const c = await client(port);
    c.socket.write('GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n');
    const began = Date.now();
    await within(c.closedAt, 3000, 'the idle keep-alive connection closed');
    assert.match(c.received(), /^HTTP\/1\.1 200/);
    assert.ok(Date.now() - began >= 900);
  } finally {
    await app.close();
  }
});

test('a request still being handled is answered even when it takes longer than the idle timeout', { timeout: 30_000 }, async () => {
  const { app, port } = await serve({ requestTimeoutMs: 30_000, connectionTimeoutMs: 500, maxConnections: 16 }, 2000);
  try {
    const res = await fetch(`http://127.0.0.1:${port}/members`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'n2', peer_url: '127.0.0.1:5' }),
    });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { data: { name: string } }).data.name, 'n2');
  } finally {
    await app.close();
  }
});

test('connections beyond max-connections are closed at once; the others are served', { timeout: 30_000 }, async () => {
  const { app, port } = await serve({ requestTimeoutMs: 30_000, connectionTimeoutMs: 60_000, maxConnections: 4 });
  try {
    const held = await Promise.all([0, 1, 2, 3].map(() => client(port)));
    await new Promise((r) => setTimeout(r, 100));
    const extra = await client(port);
    await within(extra.closedAt, 2000, 'the fifth connection closed');
    assert.equal(extra.received(), '');
    held[0]!.socket.write('GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
    await within(held[0]!.closedAt, 2000, 'a held connection answered');
    assert.match(held[0]!.received(), /^HTTP\/1\.1 200/);
    for (const c of held) c.socket.destroy();
  } finally {
    await app.close();
  }
});
