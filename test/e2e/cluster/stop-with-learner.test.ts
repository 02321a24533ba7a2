// A leader that holds a learner which never catches up (its process never started) still stops
// promptly on SIGTERM, with exit code 0: waiting to promote the learner must not outlive raft.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { RelayCluster } from '../../helpers/relay-cluster.js';
import { freePort } from '../../helpers/mariadb.js';

let cluster: RelayCluster;

after(async () => {
  await cluster?.stop();
});

test('SIGTERM stops a leader waiting to promote a learner that never answers, in seconds, exit 0', async () => {
  cluster = await RelayCluster.start(3);
  const leader = await cluster.waitForLeader();
  const add = await cluster.api(leader, 'POST', '/members', { name: 'ghost', peer_url: `127.0.0.1:${await freePort()}` });
  assert.equal(add.status, 200, JSON.stringify(add.body));
  await new Promise((r) => setTimeout(r, 500));
  const child = cluster.nodes[leader]!.child!;
  const began = Date.now();
  await cluster.kill(leader, 'SIGTERM');
  const tookMs = Date.now() - began;
  assert.equal(child.exitCode, 0, `exit code ${child.exitCode}, signal ${child.signalCode}`);
  assert.ok(tookMs < 5000, `stopped in ${tookMs} ms`);
});
