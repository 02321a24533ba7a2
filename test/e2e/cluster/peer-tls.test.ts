// Mutual TLS between nodes (issue 10, "Peers"), with real node processes and certificates made by
// `openssl`: a TLS cluster elects and replicates, a member added with an https:// peer URL joins
// over TLS and learns the cluster id, and a plain http:// peer URL is refused on a TLS cluster.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RelayCluster } from '../../helpers/relay-cluster.js';
import { waitFor } from '../../helpers/local-relay.js';
import { makeTestCertificates } from '../../helpers/test-certificates.js';

const certDir = mkdtempSync(join(tmpdir(), 'binrelay-peer-tls-e2e-'));
let cluster: RelayCluster;

interface Health { role: string; term: number; leader: string | null; commitIndex: number; appliedIndex: number }
const health = async (i: number): Promise<Health> => (await cluster.api(i, 'GET', '/healthz')).body.data as Health;

before(async () => {
  const certs = makeTestCertificates(certDir);
  cluster = await RelayCluster.start(3, ['--peer-tls.cert', certs.server.cert, '--peer-tls.key', certs.server.key, '--peer-tls.ca', certs.ca]);
});

after(async () => {
  await cluster?.stop();
  rmSync(certDir, { recursive: true, force: true });
});

test('a cluster with peer TLS elects a leader and replicates to every node', { timeout: 60_000 }, async () => {
  const leader = await cluster.waitForLeader();
  for (let i = 0; i < 3; i++) {
    assert.ok(cluster.logEvents(i, 'transport.listening').some((l) => l.tls === true), `n${i + 1} listens with TLS`);
  }
  // Each member's record (its admin address, announced to the leader) goes through the log.
  await waitFor('every member\'s record committed', async () =>
    ((await cluster.api(leader, 'GET', '/members')).body.data as { adminURLs: string[] }[]).every((m) => m.adminURLs.length === 1));
  const target = (await health(leader)).commitIndex;
  assert.ok(target > 3, `commit index ${target}`);
  await waitFor('every node applied the leader\'s commit', async () => (await Promise.all([0, 1, 2].map(health))).every((h) => h.appliedIndex >= target));
});

test('a member added with an https:// peer URL joins over TLS; an http:// peer URL is refused', { timeout: 60_000 }, async () => {
  const leader = await cluster.waitForLeader();
  const plain = await cluster.api(leader, 'POST', '/members', { name: 'n9', peer_url: 'http://127.0.0.1:9' });
  assert.equal(plain.status, 400, JSON.stringify(plain.body));
  assert.match(plain.body.message, /peers use TLS/);

  const n4 = await cluster.addNode();
  const add = await cluster.api(leader, 'POST', '/members', { name: 'n4', peer_url: `https://${cluster.nodes[n4]!.peerAddr}` });
  assert.equal(add.status, 200, JSON.stringify(add.body));
  await cluster.waitUp(n4);
  await waitFor('n4 promoted to voter', async () => {
    const members = (await cluster.api(leader, 'GET', '/members')).body.data as { name: string; isLearner: boolean }[];
    return members.some((m) => m.name === 'n4' && !m.isLearner);
  });
  assert.equal(cluster.logEvents(n4, 'transport.cluster_id.learned').length, 1, 'n4 learned the cluster id once');
  const target = (await health(leader)).commitIndex;
  await waitFor('n4 applied the leader\'s commit', async () => (await health(n4)).appliedIndex >= target);
});

test('after a restart an original member and the joined one keep the same cluster id and rejoin', { timeout: 60_000 }, async () => {
  const n4 = cluster.nodes.findIndex((n) => n.name === 'n4');
  const leaderBefore = await cluster.waitForLeader();
  const original = [0, 1, 2].find((i) => i !== leaderBefore)!; // an original member, not the leader
  const ids = (i: number): string[] => cluster.logEvents(i, 'node.cluster_id').map((l) => String(l.clusterId));
  const clusterId = ids(0)[0]!;
  assert.match(clusterId, /^[0-9a-f]{16}$/);
  // n4 restarts as any member does, without initial-cluster-state existing.
  for (const i of [original, n4]) {
    await cluster.kill(i, 'SIGTERM');
    cluster.launch(i);
    await cluster.waitUp(i);
  }
  assert.deepEqual(ids(original), [clusterId, clusterId]);
  assert.equal(ids(n4).at(-1), clusterId, 'n4 starts with the id it learned and persisted');
  const leader = await cluster.waitForLeader();
  const target = (await health(leader)).commitIndex;
  await waitFor('both restarted members caught up', async () => (await health(original)).appliedIndex >= target && (await health(n4)).appliedIndex >= target);
});
