// A member the cluster removed stops by itself (exit 0, event node.removed), as an etcd member
// does: left running it would receive nothing more and serve its replicas a stale position
// without an error. Started again on its data dir (a supervisor restarting it), it ends at once
// saying how to join again. A removed leader hands over first, and the members left keep a leader;
// the last voter is not removed (409).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { RelayCluster } from '../../helpers/relay-cluster.js';
import { waitFor } from '../../helpers/local-relay.js';

let cluster: RelayCluster | undefined;

after(async () => {
  await cluster?.stop();
});

async function remove(c: RelayCluster, via: number, i: number): Promise<void> {
  const res = await c.api(via, 'DELETE', '/members', { name: c.nodes[i]!.name });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(await c.exitWithin(i, 10_000), 0, `the removed ${c.nodes[i]!.name} exits 0 by itself`);
  assert.equal(c.logEvents(i, 'node.removed').length, 1, 'it logs why it stopped');
  assert.equal(c.logEvents(i, 'node.stopped').length, 1, 'it stopped cleanly');
}

test('a removed follower, then a removed leader, each stop by themselves; the members left keep a leader; the last voter stays', { timeout: 60_000 }, async () => {
  cluster = await RelayCluster.start(3);
  const c = cluster;
  const leader = await c.waitForLeader();
  const follower = [0, 1, 2].find((i) => i !== leader)!;
  await remove(c, leader, follower);
  c.launch(follower);
  assert.equal(await c.exitWithin(follower, 10_000), 0, 'started again, the removed node ends at once');
  assert.match(c.logTail(follower, 3), /binrelay start: node n\d was removed from its cluster at .*: it does not run again on .*; to join again, delete the data dir/);

  await remove(c, leader, leader);
  const last = [0, 1, 2].find((i) => i !== leader && i !== follower)!;
  await waitFor('the last member leads', async () => (await c.leaderIndex()) === last, 10_000);
  const members = (await c.api(last, 'GET', '/members')).body.data as { name: string }[];
  assert.deepEqual(members.map((m) => m.name), [c.nodes[last]!.name]);

  // The last voter cannot be removed: a 409 that says why, and the node runs on.
  const refused = await c.api(last, 'DELETE', '/members', { name: c.nodes[last]!.name });
  assert.equal(refused.status, 409, JSON.stringify(refused.body));
  assert.equal(refused.body.error?.code, 'CONFLICT');
  assert.match(refused.body.message, /leave no voter/);
  c.assertRunning(last);
});
