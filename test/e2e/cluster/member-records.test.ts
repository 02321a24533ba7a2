// Member records on real 3-node clusters: members announce their own attributes over the
// authenticated peer transport, nobody can rewrite them through the admin API, and a follower's
// forward of a syncer start (bearer token, upstream password) never reaches an address an
// outsider supplied.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { RelayCluster } from '../../helpers/relay-cluster.js';
import { waitUntil } from '../../helpers/wait-until.js';
import type { MemberView } from '../../../api/backend.js';

async function members(cluster: RelayCluster, i: number): Promise<MemberView[]> {
  return (await cluster.api(i, 'GET', '/members')).body.data as MemberView[];
}

/** Every member's admin address is known on node i (the followers' came by announcement). */
async function allAdminAddrsKnown(cluster: RelayCluster, i: number): Promise<boolean> {
  const list = await members(cluster, i);
  return list.length === cluster.nodes.length
    && list.every((m) => m.adminURLs[0] === cluster.nodes.find((n) => n.name === m.name)?.adminAddr);
}

/** An HTTP listener that records whatever reaches it (the outsider's). */
async function foreignListener(): Promise<{ addr: string; requests: string[]; server: Server }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (b: Buffer) => (body += b.toString()));
    req.on('end', () => {
      requests.push(`${req.method} ${req.url} ${JSON.stringify(req.headers)} ${body}`);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: 'success', data: { status: 'running', stolen: true } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { addr: `127.0.0.1:${(server.address() as { port: number }).port}`, requests, server };
}

test('an unauthenticated member record cannot redirect a follower\'s forwarded syncer start to a foreign listener', { timeout: 120_000 }, async () => {
  const foreign = await foreignListener();
  const cluster = await RelayCluster.start(3);
  try {
    const leader = await cluster.waitForLeader();
    const follower = leader === 0 ? 1 : 0;
    await waitUntil('every admin address recorded', () => allAdminAddrsKnown(cluster, follower));
    const leaderView = (await members(cluster, follower)).find((m) => m.isLeader)!;

    // The probe of the review: set the leader's admin address, without credentials, on any node.
    for (let i = 0; i < 3; i++) {
      const res = await cluster.api(i, 'PUT', '/internal/member', {
        id: leaderView.id, name: leaderView.name, peerAddr: leaderView.peerURLs[0], adminAddr: foreign.addr,
      });
      assert.equal(res.status, 404, `node ${i}: ${JSON.stringify(res.body)}`);
    }
    // 300 fake members are refused.
    for (let k = 0; k < 300; k++) {
      const res = await cluster.api(k % 3, 'PUT', '/internal/member', { id: String(1000 + k), name: `fake${k}`, peerAddr: `10.0.0.1:${k + 1}`, adminAddr: foreign.addr });
      assert.equal(res.status, 404);
    }
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await members(cluster, leader)).length, 3);
    assert.ok(await allAdminAddrsKnown(cluster, follower), 'the recorded admin addresses are the real ones');

    // An operator starts the syncer through the follower, with a bearer token and the upstream
    // password: it reaches the leader, and nothing reaches the foreign listener.
    const res = await fetch(`http://${cluster.nodes[follower]!.adminAddr}/binlog/syncer/start`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: 'Bearer operator-secret' },
      body: JSON.stringify({ mysql_addr: '127.0.0.1:1', mysql_user: 'repl', mysql_password: 'upstream-secret' }),
    });
    const body = (await res.json()) as { data?: { stolen?: boolean; mysql_addr?: string } };
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.equal(body.data?.stolen, undefined);
    assert.equal(body.data?.mysql_addr, '127.0.0.1:1');
    const status = await cluster.api(follower, 'GET', '/binlog/syncer/status');
    assert.equal((status.body.data as { stolen?: boolean }).stolen, undefined);
    assert.deepEqual(foreign.requests, []);
    await cluster.api(follower, 'PUT', '/binlog/syncer/stop');
  } finally {
    await cluster.stop();
    foreign.server.close();
  }
});

test('with tokens, members announce over the authenticated transport and followers forward with their own token', { timeout: 120_000 }, async () => {
  const env = { BINRELAY_ADMIN_TOKEN: 'admin-token-e2e', BINRELAY_CLUSTER_TOKEN: 'cluster-token-e2e' };
  const cluster = await RelayCluster.start(3, [], env);
  try {
    const leader = await cluster.waitForLeader();
    for (let i = 0; i < 3; i++) await waitUntil(`admin addresses known on node ${i}`, () => allAdminAddrsKnown(cluster, i));
    const follower = leader === 0 ? 1 : 0;
    const status = await cluster.api(follower, 'GET', '/binlog/syncer/status');
    assert.equal(status.status, 200, JSON.stringify(status.body));
    const unauthenticated = await fetch(`http://${cluster.nodes[follower]!.adminAddr}/binlog/syncer/status`);
    assert.equal(unauthenticated.status, 401);
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(cluster.logEvents(i, 'member.announcement.refused'), []);
      const log = readFileSync(cluster.nodes[i]!.logFile, 'utf8');
      assert.ok(!log.includes(env.BINRELAY_ADMIN_TOKEN) && !log.includes(env.BINRELAY_CLUSTER_TOKEN), 'a token reached a log');
    }
  } finally {
    await cluster.stop();
  }
});
