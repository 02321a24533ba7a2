// A member that moves to a new peer address (PUT /members {name, new_peer_url}, then started
// there) is reached at it by every node: it follows the leader again, counts for the quorum with
// the third node down, and can lead. Before, the record changed but raft kept the old address.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { freePort } from '../../helpers/mariadb.js';
import { RelayCluster } from '../../helpers/relay-cluster.js';
import { waitFor } from '../../helpers/local-relay.js';

let cluster: RelayCluster | undefined;

after(async () => {
  await cluster?.stop();
});

interface Health { role: string; leader: string | null; commitIndex: number }

test('a member moved to a new peer address follows, counts for the quorum and can lead', { timeout: 60_000 }, async () => {
  cluster = await RelayCluster.start(3);
  const c = cluster;
  const health = async (i: number): Promise<Health> => (await c.api(i, 'GET', '/healthz')).body.data as Health;
  const leader = await c.waitForLeader();
  const [moved, other] = [0, 1, 2].filter((i) => i !== leader) as [number, number];

  await c.kill(moved, 'SIGTERM');
  const newAddr = `127.0.0.1:${await freePort()}`;
  const put = await c.api(leader, 'PUT', '/members', { name: c.nodes[moved]!.name, new_peer_url: newAddr });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  c.launch(moved, ['--peer-addr', newAddr]);
  await c.waitUp(moved);
  await waitFor('the moved member follows the leader again', async () => {
    const [m, l] = [await health(moved), await health(leader)];
    return m.role === 'follower' && m.leader === c.nodes[leader]!.name && m.commitIndex === l.commitIndex;
  }, 15_000);

  // With the third node down, the leader and the moved member are the majority: a proposal commits.
  await c.kill(other, 'SIGKILL');
  const again = await c.api(leader, 'PUT', '/members', { name: c.nodes[moved]!.name, new_peer_url: newAddr });
  assert.equal(again.status, 200, `a proposal commits with the moved member's vote: ${JSON.stringify(again.body)}`);

  // With the leader down too and the third back, the moved member can be elected.
  await c.kill(leader, 'SIGKILL');
  c.launch(other);
  await c.waitUp(other);
  await waitFor('a leader among the moved member and the third', async () => [moved, other].includes(await c.leaderIndex()), 15_000);
});
