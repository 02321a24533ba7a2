// A follower forwarding a cluster-wide call to the leader's admin API (api/forward.ts), against a
// real HTTP listener standing in for the leader: what it sends, and what it relays back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createAdminServer, type AdminServerOptions } from '../../../api/server.js';
import { silentLogger } from '../../../src/logger.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A listener at the "leader's" address answering `status` with `body`; records every request. */
async function fakeLeader(status: number, body: string, contentType = 'application/json'): Promise<{ addr: string; seen: Seen[]; server: Server }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (b: Buffer) => (text += b.toString()));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body: text });
      res.writeHead(status, { 'content-type': contentType });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { addr: `127.0.0.1:${(server.address() as { port: number }).port}`, seen, server };
}

function follower(leaderAddr: string | (() => string), adminToken?: string) {
  const unused = (): never => assert.fail('a follower forwards: not called');
  const backend: AdminServerOptions['backend'] = {
    members: () => [],
    addMember: unused, removeMember: unused, updateMember: unused,
    health: () => ({ ok: true, name: 'n2', role: 'follower', term: 1, leader: 'n1', commitIndex: 1, appliedIndex: 1 }),
    readiness: () => ({ ready: true }),
    metrics: () => '',
    leaderAdminAddr: typeof leaderAddr === 'function' ? leaderAddr : () => leaderAddr,
    syncerStart: unused, syncerStop: unused, syncerStatus: unused,
    serverStart: unused, serverStop: unused, serverStatus: unused,
    purge: unused, importBinlogs: unused,
  };
  return createAdminServer({ backend, logger: silentLogger, ...(adminToken ? { adminToken } : {}) });
}

const START = { mysql_addr: '127.0.0.1:3306', mysql_user: 'repl', mysql_password: 'upstream-pw' };

test("a forward never carries the client's Authorization header", async () => {
  const leader = await fakeLeader(200, JSON.stringify({ message: 'success', data: { status: 'running' } }));
  try {
    const res = await follower(leader.addr).inject({
      method: 'PUT', url: '/binlog/syncer/start', headers: { authorization: 'Bearer client-secret' }, payload: START,
    });
    assert.equal(res.statusCode, 200);
    assert.equal(leader.seen.length, 1);
    assert.equal(leader.seen[0]!.headers.authorization, undefined);
    assert.equal(leader.seen[0]!.headers['x-binrelay-forwarded'], '1');
  } finally {
    leader.server.close();
  }
});

test("a follower with an admin token forwards with its own token", async () => {
  const leader = await fakeLeader(200, JSON.stringify({ message: 'success', data: { status: 'stopped' } }));
  try {
    const res = await follower(leader.addr, 'node-token').inject({
      method: 'GET', url: '/binlog/syncer/status', headers: { authorization: 'Bearer node-token' },
    });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { message: 'success', data: { status: 'stopped' } });
    assert.equal(leader.seen[0]!.headers.authorization, 'Bearer node-token');
  } finally {
    leader.server.close();
  }
});

test("an answer that is not the admin API's envelope is a 502, never relayed", async () => {
  for (const [status, body, type] of [
    [200, '<html><body>some other server</body></html>', 'text/html'],
    [200, JSON.stringify({ hello: 'world' }), 'application/json'],
    [302, '', 'text/plain'],
  ] as const) {
    const leader = await fakeLeader(status, body, type);
    try {
      const res = await follower(leader.addr).inject({ method: 'GET', url: '/binlog/syncer/status' });
      assert.equal(res.statusCode, 502, body);
      assert.equal(res.json().error.code, 'LEADER_ANSWER_INVALID');
      assert.doesNotMatch(res.body, /some other server|world/);
    } finally {
      leader.server.close();
    }
  }
});

test("the leader's error envelope is relayed with its status", async () => {
  const leader = await fakeLeader(409, JSON.stringify({ message: 'stop the syncer first', error: { code: 'CONFLICT', field: 'dir' } }));
  try {
    const res = await follower(leader.addr).inject({ method: 'PUT', url: '/binlog/import', payload: { dir: '/x' } });
    assert.equal(res.statusCode, 409);
    assert.equal(res.json().error.code, 'CONFLICT');
  } finally {
    leader.server.close();
  }
});

test("a forward waits for a just-elected leader's address to arrive instead of answering 503 at once", async () => {
  const leader = await fakeLeader(200, JSON.stringify({ message: 'success', data: { status: 'running' } }));
  const known = Date.now() + 300;
  try {
    const res = await follower(() => (Date.now() < known ? '' : leader.addr)).inject({ method: 'PUT', url: '/binlog/syncer/start', payload: START });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(leader.seen.length, 1);
  } finally {
    leader.server.close();
  }
});
