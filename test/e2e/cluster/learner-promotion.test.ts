// A member added as a learner is promoted by whichever node leads once it has caught up, not only
// by the leader that took the POST /members: here that leader is killed before the learner could
// catch up (its process is frozen), and the new leader promotes it once it runs again.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { RelayCluster } from '../../helpers/relay-cluster.js';
import { waitFor } from '../../helpers/local-relay.js';

let cluster: RelayCluster | undefined;

after(async () => {
  await cluster?.stop();
});

/** Which of the first three nodes but `dead` reports itself leader (-1: none). */
async function voterLeading(c: RelayCluster, dead: number): Promise<number> {
  for (const i of [0, 1, 2].filter((j) => j !== dead)) {
    const health = await c.api(i, 'GET', '/healthz').catch(() => null);
    if ((health?.body.data as { role?: string } | undefined)?.role === 'leader') return i;
  }
  return -1;
}

test('a learner whose leader died before promoting it is promoted by the next leader', { timeout: 60_000 }, async () => {
  cluster = await RelayCluster.start(3);
  const c = cluster;
  const leader = await c.waitForLeader();
  const n4 = await c.addNode();
  const pid = c.nodes[n4]!.child!.pid!;
  await c.waitUp(n4);
  process.kill(pid, 'SIGSTOP'); // it takes nothing from the leader until SIGCONT
  try {
    const add = await c.api(leader, 'POST', '/members', { name: 'n4', peer_url: c.nodes[n4]!.peerAddr });
    assert.equal(add.status, 200, JSON.stringify(add.body));
    await c.kill(leader, 'SIGKILL');
    // Asked of the two others only: the frozen n4 would not answer.
    await waitFor('a new leader', async () => (await voterLeading(c, leader)) !== -1, 10_000);
  } finally {
    process.kill(pid, 'SIGCONT');
  }
  const newLeader = await voterLeading(c, leader);
  const isLearner = async (): Promise<boolean | undefined> => ((await c.api(newLeader, 'GET', '/members')).body.data as { name: string; isLearner: boolean }[])
    .find((m) => m.name === 'n4')?.isLearner;
  assert.equal(await isLearner(), true, 'n4 joined as a learner');
  await waitFor('n4 promoted to voter', async () => (await isLearner()) === false, 15_000);
  assert.equal(c.logEvents(newLeader, 'member.promoted').length, 1, 'the new leader promoted it');
  assert.equal(c.logEvents(leader, 'member.promoted').length, 0, 'the old leader never did');
});
