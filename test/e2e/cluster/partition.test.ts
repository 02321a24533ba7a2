// A network partition between real processes: every node's peer address is a forwarder the test
// can cut (test/helpers/cuttable-link.ts). Cutting the leader's forwarder cuts it off from what
// the other members send (their answers, votes and heartbeats) while its own messages still
// arrive and it keeps its upstream connection: a leader that only talks. It must step down on its
// own (check quorum) and stop its syncer, the others elect a leader that takes the upstream over
// without a zombie dump kicking it, and once healed the old leader drops the proposals it never
// got committed and ends, like the others, at the upstream's end with its very bytes. A real
// replica of the old leader goes on from where it was, every row once. Then both followers are
// cut off: no node may lead or relay anything without a majority, and once healed the relay
// goes on with nothing lost or doubled.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CuttableLink } from '../../helpers/cuttable-link.js';
import { startFaultInjectableCluster, steadyWriter, type FaultInjectableCluster } from '../../helpers/fault-injectable-cluster.js';
import { waitFor } from '../../helpers/local-relay.js';
import { freePort, pointReplica, slaveStatus, startMariaDb, type MariaDb } from '../../helpers/mariadb.js';
import { relayEnd, upstreamEnd } from '../../helpers/relay-end.js';
import { assertSameBinlogBytes, withUpstreamDump } from '../../helpers/upstream-binlog-reference.js';
import { longestDoubleDumpMs, watchBinlogDumps } from '../../helpers/upstream-dumps.js';

let rig: FaultInjectableCluster;
let replica: MariaDb;
const links: CuttableLink[] = [];

before(async () => {
  rig = await startFaultInjectableCluster({ serverId: 47 });
  const { cluster } = rig;
  // Every node restarts listening on a port of its own, behind a forwarder on the peer address
  // the others know it by.
  for (let i = 0; i < 3; i++) await cluster.kill(i, 'SIGTERM');
  for (let i = 0; i < 3; i++) {
    const node = cluster.nodes[i]!;
    const inner = `127.0.0.1:${await freePort()}`;
    links.push(await CuttableLink.open(node.peerAddr, inner));
    cluster.launch(i, ['--peer-addr', inner, '--advertise-peer-addr', node.peerAddr]);
  }
  for (let i = 0; i < 3; i++) await cluster.waitUp(i);
  replica = await startMariaDb({ serverId: 48, name: 'r1' });
});

after(async () => {
  await replica?.stop();
  await rig?.stop();
  for (const link of links) await link.close();
});

/** Every node ends at the upstream's end with its very bytes, and the replica with every row once. */
async function assertEverythingAtUpstreamEnd(): Promise<void> {
  const { cluster, upstream: up } = rig;
  const end = await upstreamEnd(up);
  for (const i of [0, 1, 2]) {
    await waitFor(`node ${i} at the upstream's end`, async () => JSON.stringify(await relayEnd(cluster, i)) === JSON.stringify(end), 30_000)
      .catch(async (err: Error) => assert.fail(`${err.message}: ${JSON.stringify(await relayEnd(cluster, i))} vs ${JSON.stringify(end)}`));
  }
  // The replica (of the leader the first test cut off) went on from where it was, every row once.
  await waitFor('the replica at the upstream\'s end', async () => String((await replica.query('SELECT @@gtid_slave_pos AS p'))[0]!.p) === end.executed_gtid_set, 30_000)
    .catch(async (err: Error) => assert.fail(`${err.message}: ${JSON.stringify(await slaveStatus(replica))}`));
  const rows = async (db: MariaDb): Promise<unknown> => (await db.query('SELECT COUNT(*) AS n, SUM(id) AS s FROM app.t'))[0];
  assert.deepEqual(await rows(replica), await rows(up), 'the replica holds every row, once');
  const st = await slaveStatus(replica);
  assert.deepEqual([st.Slave_IO_Running, st.Slave_SQL_Running, st.Last_Error], ['Yes', 'Yes', ''], JSON.stringify(st));
  // Every node's files are the upstream's as its dump sends them, byte for byte.
  await withUpstreamDump(up, (dumpDir, reference) => {
    for (const i of [0, 1, 2]) {
      const dir = join(cluster.nodes[i]!.dataDir, 'binlog');
      const held = readdirSync(dir).filter((n) => !n.endsWith('.tmp')).sort();
      assert.deepEqual(held, reference, `node ${i} holds the upstream's files`);
      for (const name of held) {
        assertSameBinlogBytes(readFileSync(join(dir, name)), readFileSync(join(dumpDir, name)), name === reference.at(-1), `node ${i}: ${name}`);
      }
    }
  });
}

async function role(i: number): Promise<string | null> {
  const health = await rig.cluster.api(i, 'GET', '/healthz').catch(() => null);
  return (health?.body.data as { role?: string } | undefined)?.role ?? null;
}

test('a leader that no longer hears its peers steps down and stops its syncer; the new leader relays; healed, every node ends at the upstream\'s bytes', { timeout: 120_000 }, async () => {
  const { cluster, upstream: up } = rig;
  const { leader, writer } = await rig.relayUnderWrites();
  // A real replica of the node about to be cut off: it must only ever get committed transactions.
  const serverPort = await freePort();
  const served = await cluster.api(leader, 'PUT', '/binlog/server/start', { addr: `127.0.0.1:${serverPort}`, user: 'repl', password: 'relaypw' });
  assert.equal(served.status, 200, JSON.stringify(served.body));
  await pointReplica(replica, serverPort, 'slave_pos');
  await waitFor('the replica replicates', async () => Number((await replica.query('SELECT COUNT(*) AS n FROM app.t').catch(() => [{ n: 0 }]))[0]!.n) > 0, 20_000);

  const dumps = watchBinlogDumps(up, 'repl');
  links[leader]!.cut();
  const cutAt = Date.now();
  const others = [0, 1, 2].filter((i) => i !== leader);
  // Check quorum: a leader that heard from no majority within an election timeout (500 ms) steps down.
  await waitFor('the cut-off leader steps down', async () => (await role(leader)) !== 'leader', 5_000);
  const steppedDownMs = Date.now() - cutAt;
  await waitFor('the cut-off node stops its syncer', () => cluster.logEvents(leader, 'syncer.stopped').length > 0, 5_000);
  let newLeader = -1;
  await waitFor('a new leader among the others', async () => {
    for (const i of others) if ((await role(i)) === 'leader') newLeader = i;
    return newLeader >= 0;
  }, 10_000);
  await waitFor('the new leader dumps from the upstream', () => cluster.logEvents(newLeader, 'syncer.dump').length > 0, 15_000);
  // Longer than a zombie syncer's reconnect period (≤ 5 s): the new leader's dump must stay up,
  // and the cut-off node must not take leadership back while it hears nothing.
  await new Promise((r) => setTimeout(r, 6000));
  assert.equal(await role(newLeader), 'leader', 'the new leader kept its role while the old one was cut off');
  assert.notEqual(await role(leader), 'leader', 'the cut-off node did not lead again');

  links[leader]!.heal();
  await new Promise((r) => setTimeout(r, 1000));
  await writer.stop();
  const samples = await dumps.stop();

  await assertEverythingAtUpstreamEnd();
  assert.equal(cluster.logEvents(newLeader, 'syncer.dump').length, 1, 'the new leader\'s dump was never kicked (no second dump)');
  assert.ok(longestDoubleDumpMs(samples) < 1000, `never two relay dumps for long (${longestDoubleDumpMs(samples)} ms)`);
  assert.ok(steppedDownMs < 3000, `stepped down ${steppedDownMs} ms after the cut`);
  const warned = cluster.logEvents(leader, 'syncer.propose.failed').filter((l) => l.level === 40);
  assert.ok(warned.length <= 1, `the proposals the lost leadership failed are one warning: ${JSON.stringify(warned)}`);

});

test('with both followers hearing nobody, no node leads and nothing is relayed; healed, a leader relays again with nothing lost or doubled', { timeout: 120_000 }, async () => {
  const { cluster, upstream: up } = rig;
  const leader = await cluster.waitForLeader();
  const writer = steadyWriter(up, 1_000_000);
  const relaying = (await relayEnd(cluster, leader))?.executed_gtid_set;
  await waitFor('the leader relays the new writes', async () => (await relayEnd(cluster, leader))?.executed_gtid_set !== relaying, 15_000);

  const dumps = watchBinlogDumps(up, 'repl');
  const stopsBefore = cluster.logEvents(leader, 'syncer.stopped').length;
  const followers = [0, 1, 2].filter((i) => i !== leader);
  for (const f of followers) links[f]!.cut();
  await waitFor('the leader, answered by no one, steps down', async () => (await role(leader)) !== 'leader', 5_000);
  await waitFor('it stops its syncer', () => cluster.logEvents(leader, 'syncer.stopped').length > stopsBefore, 5_000);
  // No majority can talk: for 3 s no node leads, and (once what was committed before the cut is
  // applied) no node's relay moves while the upstream goes on writing.
  const ends = (): Promise<unknown[]> => Promise.all([0, 1, 2].map((i) => relayEnd(cluster, i)));
  let frozen: unknown[] = [];
  for (let t = 0; t < 15; t++) {
    for (const i of [0, 1, 2]) assert.notEqual(await role(i), 'leader', `node ${i} leads without a majority`);
    if (t === 4) frozen = await ends();
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.deepEqual(await ends(), frozen, 'nothing was relayed without a majority');

  const dumpsBefore = [0, 1, 2].map((i) => cluster.logEvents(i, 'syncer.dump').length);
  for (const f of followers) links[f]!.heal();
  await waitFor('a leader dumps from the upstream again', () => [0, 1, 2].some((i) => cluster.logEvents(i, 'syncer.dump').length > dumpsBefore[i]!), 20_000);
  await new Promise((r) => setTimeout(r, 1000));
  await writer.stop();
  const samples = await dumps.stop();
  await assertEverythingAtUpstreamEnd();
  assert.ok(longestDoubleDumpMs(samples) < 1000, `never two relay dumps for long (${longestDoubleDumpMs(samples)} ms)`);
});
