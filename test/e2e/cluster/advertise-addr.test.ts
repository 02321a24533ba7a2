// A node bound to 0.0.0.0 (as in a container) publishes its advertised addresses to the other
// members, never the wildcard: a member that joins sees them, and forwards leader calls there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RelayCluster } from '../../helpers/relay-cluster.js';
import { waitUntil } from '../../helpers/wait-until.js';
import type { MemberView } from '../../../api/backend.js';

const portOf = (addr: string): string => addr.slice(addr.lastIndexOf(':') + 1);

test('a leader bound to 0.0.0.0 with advertise addresses publishes them; a joined follower forwards to its advertised admin address', { timeout: 120_000 }, async () => {
  const env = { BINRELAY_ADMIN_TOKEN: 'admin-token-advertise', BINRELAY_CLUSTER_TOKEN: 'cluster-token-advertise' };
  const cluster = await RelayCluster.start(1, [], env);
  try {
    // n1 restarts on its ports, bound to every interface, advertising the loopback address.
    const n1 = cluster.nodes[0]!;
    await cluster.kill(0, 'SIGTERM');
    cluster.launch(0, [
      '--admin-addr', `0.0.0.0:${portOf(n1.adminAddr)}`, '--peer-addr', `0.0.0.0:${portOf(n1.peerAddr)}`,
      '--advertise-admin-addr', n1.adminAddr, '--advertise-peer-addr', n1.peerAddr,
    ]);
    assert.equal(await cluster.waitForLeader(), 0);

    const n2 = await cluster.addNode();
    const added = await cluster.api(0, 'POST', '/members', { name: cluster.nodes[n2]!.name, peer_url: cluster.nodes[n2]!.peerAddr });
    assert.equal(added.status, 200, JSON.stringify(added.body));
    await cluster.waitUp(n2);

    let seen: MemberView | undefined;
    await waitUntil('n2 knows n1\'s published addresses', async () => {
      const list = (await cluster.api(n2, 'GET', '/members')).body.data as MemberView[];
      seen = list.find((m) => m.name === 'n1');
      return seen?.adminURLs.length === 1;
    }, 30_000);
    assert.deepEqual(seen!.adminURLs, [n1.adminAddr], 'the advertised admin address, not 0.0.0.0');
    assert.deepEqual(seen!.peerURLs, [n1.peerAddr], 'the advertised peer address, not 0.0.0.0');
    const own = ((await cluster.api(0, 'GET', '/members')).body.data as MemberView[]).find((m) => m.name === 'n1')!;
    assert.deepEqual([own.adminURLs, own.peerURLs], [[n1.adminAddr], [n1.peerAddr]]);

    // A leader-only call on the follower reaches the leader at its advertised admin address.
    await waitUntil('n2 is a follower that knows the leader', async () =>
      ((await cluster.api(n2, 'GET', '/healthz')).body.data as { role: string; leader: string | null }).leader === 'n1');
    const stop = await cluster.api(n2, 'PUT', '/binlog/syncer/stop', {});
    assert.equal(stop.status, 200, JSON.stringify(stop.body));
    await waitUntil('the leader audited the forwarded call', async () =>
      cluster.logEvents(0, 'api.audit').some((e) => e.route === '/binlog/syncer/stop' && e.forwarded === true && e.status === 200));
  } finally {
    await cluster.stop();
  }
});
