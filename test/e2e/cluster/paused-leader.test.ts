// A paused leader (issue 9, done-when 5): the leader is SIGSTOPped for 3× the election timeout
// under a write workload, then SIGCONTinued. Its syncer stays fenced: it starts no dump again and
// runs in no later term, the upstream never holds two relay dumps for long, and the new leader's
// dump is never kicked. Downstream nothing is doubled or lost: every node ends at the upstream's
// GTID position and exact file and position, and a real replica on a node has the upstream's
// CHECKSUM TABLE with both replication threads running.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { freePort, pointReplica, slaveStatus, startMariaDb, type MariaDb } from '../../helpers/mariadb.js';
import { RelayCluster } from '../../helpers/relay-cluster.js';
import { waitFor } from '../../helpers/local-relay.js';
import { relayEnd, upstreamEnd } from '../../helpers/relay-end.js';
import { longestDoubleDumpMs, watchBinlogDumps } from '../../helpers/upstream-dumps.js';

const ELECTION_TIMEOUT_MS = 500; // RelayCluster's --election-timeout
let up: MariaDb;
let replica: MariaDb;
let cluster: RelayCluster;
const serverPorts: number[] = [];

before(async () => {
  [up, replica] = await Promise.all([startMariaDb({ serverId: 51 }), startMariaDb({ serverId: 52, name: 'r1' })]);
  await up.exec(`CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY 'replpw';
    GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO 'repl'@'127.0.0.1';
    CREATE DATABASE app; CREATE TABLE app.t (id INT PRIMARY KEY, v VARCHAR(64), n INT)`);
  cluster = await RelayCluster.start(3);
  for (let i = 0; i < 3; i++) {
    serverPorts.push(await freePort());
    const res = await cluster.api(i, 'PUT', '/binlog/server/start', { addr: `127.0.0.1:${serverPorts[i]}`, user: 'repl', password: 'relaypw' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
  }
});

after(async () => {
  await cluster?.stop();
  await Promise.all([up?.stop(), replica?.stop()]);
});

test('a leader paused for 3× the election timeout stays fenced on resume; nothing is doubled or lost downstream', { timeout: 60_000 }, async () => {
  const leader = await cluster.waitForLeader();
  const followers = [0, 1, 2].filter((i) => i !== leader);
  const started = await cluster.api(leader, 'PUT', '/binlog/syncer/start', { mysql_addr: `127.0.0.1:${up.port}`, mysql_user: 'repl', mysql_password: 'replpw' });
  assert.equal(started.status, 200, JSON.stringify(started.body));
  await pointReplica(replica, serverPorts[followers[0]!]!, 'slave_pos');

  let writing = true;
  let next = 1;
  const writer = (async () => {
    while (writing) {
      await up.exec(`BEGIN; INSERT INTO app.t VALUES (${next}, 'row ${next}', 0); UPDATE app.t SET n = n + 1 WHERE id = ${Math.ceil(next / 2)}; COMMIT`);
      next++;
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  await waitFor('the leader dumps from the upstream', () => cluster.logEvents(leader, 'syncer.dump').length === 1, 10_000);
  await new Promise((r) => setTimeout(r, 500));
  const oldTerm = (cluster.logEvents(leader, 'syncer.started').at(-1)!.term as number);

  const dumps = watchBinlogDumps(up, 'repl');
  const child = cluster.nodes[leader]!.child!;
  child.kill('SIGSTOP');
  let roles: string[] = [];
  const pausedAt = Date.now();
  try {
    await new Promise((r) => setTimeout(r, 3 * ELECTION_TIMEOUT_MS));
    // Only the followers are asked: the paused node would not answer. On a loaded machine the
    // election may take longer: the pause then lasts until a follower leads (5 s at most).
    while (!roles.includes('leader') && Date.now() - pausedAt < 5000) {
      roles = await Promise.all(followers.map(async (i) => ((await cluster.api(i, 'GET', '/healthz')).body.data as { role: string }).role));
      if (!roles.includes('leader')) await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    child.kill('SIGCONT');
  }
  assert.ok(roles.includes('leader'), `a follower took over while the leader was paused (${roles.join(', ')})`);
  const newLeader = followers[roles.indexOf('leader')]!;
  await waitFor('the new leader dumps from the upstream', () => cluster.logEvents(newLeader, 'syncer.dump').length > 0, 10_000);
  // Longer than the old syncer's reconnect period (≤ 5 s): a zombie would have kicked the dump.
  await new Promise((r) => setTimeout(r, 6000));
  writing = false;
  await writer;
  const samples = await dumps.stop();

  const end = await upstreamEnd(up);
  for (let i = 0; i < 3; i++) {
    await waitFor(`node ${i} at the upstream's end`, async () => JSON.stringify(await relayEnd(cluster, i)) === JSON.stringify(end), 20_000)
      .catch(async (err: Error) => assert.fail(`${err.message}: ${JSON.stringify(await relayEnd(cluster, i))} vs ${JSON.stringify(end)}`));
  }
  await waitFor('the replica at the upstream\'s position', async () => {
    const [row] = await replica.query('SELECT @@gtid_slave_pos AS p');
    return String(row!.p) === end.executed_gtid_set;
  }, 20_000);
  const status = await slaveStatus(replica);
  assert.equal(status.Slave_IO_Running, 'Yes');
  assert.equal(status.Slave_SQL_Running, 'Yes', String(status.Last_SQL_Error));
  assert.equal(JSON.stringify(await replica.query('CHECKSUM TABLE app.t')), JSON.stringify(await up.query('CHECKSUM TABLE app.t')));

  // Fencing: the old leader's syncer never dumped again nor ran in a later term.
  assert.equal(cluster.logEvents(leader, 'syncer.dump').length, 1, 'the old leader started no second dump');
  assert.ok(cluster.logEvents(leader, 'syncer.started').every((l) => (l.term as number) === oldTerm), 'no syncer of the old leader in a new term');
  assert.equal(cluster.logEvents(newLeader, 'syncer.dump').length, 1, 'the new leader\'s dump was never kicked');
  assert.ok(longestDoubleDumpMs(samples) < 1000, `never two relay dumps for long (${longestDoubleDumpMs(samples)} ms)`);
  assert.equal(samples.at(-1)!.dumps, 1, 'one dump at the end');
});
