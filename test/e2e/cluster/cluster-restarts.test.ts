// Beyond the minority a cluster promises to survive: every node SIGKILLed at once, and two of
// three at once, at seeded moments while the upstream keeps writing. A node left alone must apply
// nothing new (it has no majority); once the others are back the cluster relays again by itself,
// from what its majority had committed, and every node ends with the upstream's files byte for
// byte. Two real replicas (GTID and file/position) read from nodes that die under them; they
// reconnect and end identical to the upstream, also when their node comes back seconds before the
// others, behind what it had served them (it had not yet written its last checkpoint). Then the
// rolling restart README's Upgrade section prescribes, under the same writes. Replay a schedule
// with CRASH_SEED=<seed>.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { freePort, pointReplica, slaveStatus, startMariaDb, type MariaDb } from '../../helpers/mariadb.js';
import type { RelayCluster } from '../../helpers/relay-cluster.js';
import { waitFor } from '../../helpers/local-relay.js';
import { seededRandom } from '../../helpers/seeded-random.js';
import { startChurningRelay, type ChurningRelay } from '../../helpers/churning-relay.js';
import { relayEnd, seqOf, upstreamEnd } from '../../helpers/relay-end.js';
import { assertRelayHoldsUpstream } from '../../helpers/relay-holds-upstream.js';

const SEED = Number(process.env.CRASH_SEED ?? 20261207);
const random = seededRandom(SEED);
const below = (n: number): number => Math.floor(random() * n);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let relay: ChurningRelay;
let up: MariaDb;
let cluster: RelayCluster;
let gtidReplica: MariaDb;
let fileReplica: MariaDb;

before(async () => {
  relay = await startChurningRelay(52);
  ({ up, cluster } = relay);
  gtidReplica = await startMariaDb({ serverId: 53, name: 'r1' });
  fileReplica = await startMariaDb({ serverId: 54, name: 'r2' });
  const ports: number[] = [];
  for (let i = 0; i < 3; i++) {
    ports.push(await freePort());
    const res = await cluster.api(i, 'PUT', '/binlog/server/start', { addr: `127.0.0.1:${ports[i]}`, user: 'repl', password: 'relaypw' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
  }
  await pointReplica(gtidReplica, ports[0]!, 'slave_pos');
  await pointReplica(fileReplica, ports[1]!, 'no');
});

after(async () => {
  await relay?.stop();
  await Promise.all([gtidReplica?.stop(), fileReplica?.stop()]);
});

async function checksum(db: MariaDb): Promise<string> {
  return JSON.stringify(await db.query('CHECKSUM TABLE app.t'));
}

/** Relaying again, with no call to the API: what the upstream holds now reaches every node. */
async function waitRelaying(after: string): Promise<void> {
  const upstreamNow = seqOf((await upstreamEnd(up)).executed_gtid_set);
  for (const i of [0, 1, 2]) {
    await waitFor(`n${i + 1} relays past ${upstreamNow} after ${after}`,
      async () => seqOf((await relayEnd(cluster, i))?.executed_gtid_set) >= upstreamNow, 60_000);
  }
}

/** Stops the writer, then: every node holds the upstream's bytes, both replicas reach its end with
 *  both threads running and its rows, and no relay record was refused. */
async function assertNothingLost(): Promise<void> {
  await relay.stopWriting();
  await assertRelayHoldsUpstream(cluster, up);
  const [end] = await up.query('SELECT @@gtid_binlog_pos AS gtid');
  await waitFor('the GTID replica at the upstream\'s end', async () => String((await gtidReplica.query('SELECT @@gtid_slave_pos AS p'))[0]!.p) === String(end!.gtid), 60_000);
  await waitFor('the file/position replica at the upstream\'s end', async () => {
    const [master] = await up.query('SHOW MASTER STATUS');
    const st = await slaveStatus(fileReplica);
    return st.Relay_Master_Log_File === master!.File && Number(st.Exec_Master_Log_Pos) === Number(master!.Position);
  }, 60_000);
  for (const replica of [gtidReplica, fileReplica]) {
    const st = await slaveStatus(replica);
    assert.equal(st.Slave_SQL_Running, 'Yes', `${String(st.Last_SQL_Error)}`);
    assert.equal(st.Slave_IO_Running, 'Yes', `${String(st.Last_IO_Error)}`);
    assert.equal(await checksum(replica), await checksum(up), 'the replica holds the upstream\'s rows');
  }
  const refusals = [0, 1, 2].flatMap((i) => cluster.logEvents(i, 'relay.refused'));
  assert.deepEqual(refusals, [], 'no relay record was refused');
}

test(`every node killed at once, and two of three at once, during ingest: the cluster relays again by itself, and neither it nor its replicas lose anything (seed ${SEED})`, { timeout: 300_000 }, async () => {
  for (const kind of ['all', 'majority', 'all, n1 back first', 'all', 'majority', 'all, n1 back first'] as const) {
    await sleep(300 + below(900));
    const leader = await cluster.waitForLeader(20_000);
    const victims = kind === 'majority' ? [leader, (leader + 1 + below(2)) % 3] : [0, 1, 2];
    await Promise.all(victims.map((i) => cluster.kill(i)));
    if (kind === 'all, n1 back first') {
      // n1, alone, cannot learn what is committed: the GTID replica reading from it waits past
      // the grace for a position beyond n1's end, rather than stopping on 1236.
      cluster.launch(0);
      await cluster.waitUp(0, 30_000);
      await sleep(4000);
      const st = await slaveStatus(gtidReplica);
      assert.notEqual(st.Slave_IO_Running, 'No', `the GTID replica waits for n1: ${String(st.Last_IO_Error)}`);
      victims.shift(); // n1 is back: below it is the survivor that, alone, applies nothing new
    }
    const survivor = [0, 1, 2].find((i) => !victims.includes(i));
    if (survivor !== undefined) {
      // Past two election timeouts: whatever it had learned was committed is applied by then.
      await sleep(1500);
      const alone = await relayEnd(cluster, survivor);
      await sleep(1000);
      assert.deepEqual(await relayEnd(cluster, survivor), alone, `n${survivor + 1}, alone, applies nothing new`);
    } else {
      await sleep(below(500));
    }
    for (const i of victims) cluster.launch(i);
    for (const i of victims) await cluster.waitUp(i, 30_000);
    await waitRelaying(`the ${kind} kill`);
  }
  await assertNothingLost();
});

test('a rolling restart as the README\'s Upgrade describes (SIGTERM, followers first, the leader last, each node ready before the next): every node exits 0, the relay goes on, nothing is lost', { timeout: 300_000 }, async () => {
  relay.startWriting();
  const leader = await cluster.waitForLeader(20_000);
  for (const i of [...[0, 1, 2].filter((n) => n !== leader), leader]) {
    const exited = cluster.exitCode(i);
    await cluster.kill(i, 'SIGTERM');
    assert.equal(await exited, 0, `n${i + 1} stops cleanly on SIGTERM`);
    cluster.launch(i);
    await waitFor(`n${i + 1} ready`, async () => (await cluster.api(i, 'GET', '/readyz').catch(() => null))?.status === 200, 30_000);
  }
  await waitRelaying('the rolling restart');
  await assertNothingLost();
});
