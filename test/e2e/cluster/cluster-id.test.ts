// Clusters told apart (issue 9, finding 5), with real node processes: two clusters with the same
// member names and the same cluster token never accept each other's raft traffic, a node started
// on another cluster's data dir refuses to start, and a member name whose 32-bit id collides with
// an existing member's is refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { RelayCluster } from '../../helpers/relay-cluster.js';
import { waitFor } from '../../helpers/local-relay.js';
import { COLLIDING_WITH_N1 } from '../../helpers/colliding-member-names.js';

const TOKENS = { BINRELAY_CLUSTER_TOKEN: 'one-token-for-both-clusters' };
let a: RelayCluster;
let b: RelayCluster;

interface Health { role: string; term: number; leader: string | null; commitIndex: number }
const health = async (c: RelayCluster, i: number): Promise<Health> => (await c.api(i, 'GET', '/healthz')).body.data as Health;
const memberNames = async (c: RelayCluster, i: number): Promise<string[]> =>
  ((await c.api(i, 'GET', '/members')).body.data as { name: string }[]).map((m) => m.name).sort();

before(async () => {
  [a, b] = await Promise.all([RelayCluster.start(3, [], TOKENS), RelayCluster.start(1, [], TOKENS)]);
});

after(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
});

test('a member name whose 32-bit id collides with an existing member\'s is refused with 409', async () => {
  const leader = await a.waitForLeader();
  const res = await a.api(leader, 'POST', '/members', { name: COLLIDING_WITH_N1, peer_url: '127.0.0.1:9' });
  assert.equal(res.status, 409, JSON.stringify(res.body));
  assert.match(res.body.message, new RegExp(`${COLLIDING_WITH_N1} has the same member id \\d+ as member n1`));
  assert.deepEqual(await memberNames(a, leader), ['n1', 'n2', 'n3']);
});

test('a node of one cluster pointed at a peer of another with the same names and token is refused; neither cluster changes', { timeout: 60_000 }, async () => {
  const aLeader = await a.waitForLeader();
  const aBefore = await Promise.all([0, 1, 2].map((i) => health(a, i)));
  const bBefore = await health(b, 0);
  // Cluster b's only node is n1, like a's n1; a wrong address makes it add "n2" at a's n2.
  const add = await b.api(0, 'POST', '/members', { name: 'n2', peer_url: a.nodes[1]!.peerAddr });
  assert.equal(add.status, 200, JSON.stringify(add.body));
  await waitFor('a\'s n2 refuses b\'s n1', () => a.logEvents(1, 'transport.auth.refused').some((l) => /cluster id mismatch/.test(String(l.reason))));
  await waitFor('b\'s n1 is told why', () => b.logEvents(0, 'transport.peer.refused').some((l) => l.reason === 'cluster'));
  await new Promise((r) => setTimeout(r, 1500)); // many heartbeat rounds of b's leader

  const aAfter = await Promise.all([0, 1, 2].map((i) => health(a, i)));
  assert.equal(await a.leaderIndex(), aLeader, 'a keeps its leader');
  assert.deepEqual(aAfter.map((h) => h.term), aBefore.map((h) => h.term), 'no term change in a');
  for (const i of [0, 1, 2]) assert.deepEqual(await memberNames(a, i), ['n1', 'n2', 'n3']);
  const bAfter = await health(b, 0);
  assert.equal(bAfter.role, 'leader');
  assert.equal(bAfter.term, bBefore.term, 'no term change in b');
  const bMembers = (await b.api(0, 'GET', '/members')).body.data as { name: string; isLearner: boolean }[];
  assert.ok(bMembers.some((m) => m.name === 'n2' && m.isLearner), 'b\'s n2 never caught up: still a learner');
  // Remove the learner again (node-backend's promotion loop would otherwise keep b's process alive
  // past SIGTERM, waiting for it).
  assert.equal((await b.api(0, 'DELETE', '/members', { name: 'n2' })).status, 200);
});

test('a node started on another cluster\'s data dir exits non-zero, naming the cluster the data dir belongs to', { timeout: 60_000 }, async () => {
  await a.kill(0, 'SIGTERM');
  await b.kill(0, 'SIGTERM');
  const bNode = b.nodes[0]!;
  const ownDir = bNode.dataDir;
  bNode.dataDir = a.nodes[0]!.dataDir; // b's n1, same name, started on a's n1 data dir
  try {
    b.launch(0);
    assert.equal(await b.exitCode(0), 1);
    const failed = b.logEvents(0, 'node.start_failed').at(-1);
    assert.ok(failed, `node.start_failed logged (${bNode.logFile})`);
    assert.match(String(failed.msg), /data dir .* belongs to cluster [0-9a-f]{16} \(initial-cluster n1=.*n2=.*n3=.*\), not to cluster [0-9a-f]{16} \(initial-cluster n1=/);
    assert.match(readFileSync(bNode.logFile, 'utf8'), /binrelay start: node failed: data dir .* belongs to cluster/);
  } finally {
    bNode.dataDir = ownDir;
  }
  // Its own data dir still starts.
  b.launch(0);
  await b.waitUp(0);
});
