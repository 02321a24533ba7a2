// A node installing a snapshot still counts for the quorum. A 3-node cluster loses one follower
// while the other one, back after the log was compacted past it, is fetching the snapshot's
// binlog files (held: the members' admin addresses go through links the test cuts). The leader
// and the installing node are a majority: the relay keeps committing what the upstream writes,
// before the install ends. Once the links heal, the install ends and every node holds the
// upstream's files byte for byte. A stop in the middle of an install is a clean stop, and a
// node restarted then installs again and counts for the quorum meanwhile too. With the leader
// killed instead, the other follower leads and relays while the install is held.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { freePort, startMariaDb, type MariaDb } from '../../helpers/mariadb.js';
import { RelayCluster } from '../../helpers/relay-cluster.js';
import { CuttableLink } from '../../helpers/cuttable-link.js';
import { waitFor } from '../../helpers/local-relay.js';
import { serverStatus, relayEnd, upstreamEnd } from '../../helpers/relay-end.js';
import { assertNodesHoldUpstreamFiles } from '../../helpers/upstream-binlog-reference.js';

let up: MariaDb;
let cluster: RelayCluster;
const links: CuttableLink[] = [];

async function writeSome(rounds: number): Promise<void> {
  for (let k = 0; k < rounds; k++) {
    await up.exec(`INSERT INTO app.t (v) VALUES (REPEAT('a', ${2000 + k * 10})), (REPEAT('b', 300))`);
    if (k % 60 === 59) await up.exec('FLUSH BINARY LOGS');
  }
}

async function atUpstreamEnd(i: number): Promise<boolean> {
  const [relay, upstream] = await Promise.all([relayEnd(cluster, i), upstreamEnd(up)]);
  return relay !== null && relay.last_binlog_file === upstream.last_binlog_file && relay.last_file_position === upstream.last_file_position;
}

before(async () => {
  up = await startMariaDb({ serverId: 71, args: ['--max-binlog-size=1M'] });
  await up.exec(`CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY 'replpw';
    GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO 'repl'@'127.0.0.1';
    CREATE DATABASE app; CREATE TABLE app.t (id INT AUTO_INCREMENT PRIMARY KEY, v LONGTEXT)`);
  // Each node advertises its admin address through a link: snapshot files are fetched there.
  const linkPorts = [await freePort(), await freePort(), await freePort()];
  cluster = await RelayCluster.start(3, ['--raft-log-retain.bytes', '256KiB', '--raft-log-retain.entries', '16'], {}, {
    nodeArgs: (i) => ['--advertise-admin-addr', `127.0.0.1:${linkPorts[i]}`],
  });
  for (let i = 0; i < 3; i++) links.push(await CuttableLink.open(`127.0.0.1:${linkPorts[i]}`, cluster.nodes[i]!.adminAddr));
  const res = await cluster.api(await cluster.waitForLeader(), 'PUT', '/binlog/syncer/start', { mysql_addr: `127.0.0.1:${up.port}`, mysql_user: 'repl', mysql_password: 'replpw' });
  assert.equal(res.status, 200, JSON.stringify(res.body));
});

after(async () => {
  await cluster?.stop();
  await Promise.all(links.map((l) => l.close()));
  await up?.stop();
});

/** Events of one kind node i logged so far. */
const eventCount = (i: number, event: string): number => cluster.logEvents(i, event).length;

interface HeldInstall {
  leader: number;
  /** The follower installing a snapshot, and the other one. */
  installing: number;
  other: number;
  /** relay.snapshot.installed events the installing node logged before this install. */
  installsBefore: number;
}

/**
 * Stops a follower, has the upstream write until the leader's log is compacted past it, cuts
 * every member's admin link (no one can hand out files) and starts the follower again: it is
 * installing a snapshot when this returns, held until the links heal.
 */
async function startHeldInstall(): Promise<HeldInstall> {
  const leader = await cluster.waitForLeader();
  const [installing, other] = [0, 1, 2].filter((i) => i !== leader) as [number, number];
  const leftAt = (await serverStatus(cluster, installing))!.applied_index;
  await cluster.kill(installing);
  await writeSome(300);
  await waitFor('a compaction past the stopped node', async () => ((await serverStatus(cluster, leader))?.snapshot_index ?? 0) > leftAt, 60_000);
  for (const l of links) l.cut();
  const failures = eventCount(installing, 'relay.snapshot.fetch_failed');
  const installsBefore = eventCount(installing, 'relay.snapshot.installed');
  cluster.launch(installing);
  await cluster.waitUp(installing, 30_000);
  await waitFor('the node started installing the snapshot', async () => eventCount(installing, 'relay.snapshot.fetch_failed') > failures, 30_000);
  return { leader, installing, other, installsBefore };
}

/** Heals the links and waits until every node is at the upstream's end (`down` is started
 *  again first), then checks the files byte for byte. */
async function healAndCheck(down: number): Promise<void> {
  for (const l of links) l.heal();
  cluster.launch(down);
  await cluster.waitUp(down, 30_000);
  for (const i of [0, 1, 2]) await waitFor(`n${i + 1} at the upstream's end`, () => atUpstreamEnd(i), 60_000);
  await assertNodesHoldUpstreamFiles(up, cluster, [0, 1, 2]);
}

test('while a follower installs a snapshot, it and the leader commit without the third node; the install then completes byte-identical', { timeout: 180_000 }, async () => {
  await writeSome(30);
  for (let i = 0; i < 3; i++) await waitFor(`n${i + 1} at the upstream's end`, () => atUpstreamEnd(i), 60_000);
  const { leader, installing, other, installsBefore } = await startHeldInstall();
  const ready = await cluster.api(installing, 'GET', '/readyz');
  assert.equal(ready.status, 503);
  assert.match(JSON.stringify(ready.body), /installing snapshot \d+/);
  // The third node goes down: the installing node is the leader's only partner for a majority.
  await cluster.kill(other);
  await writeSome(20);
  await waitFor('the leader commits and applies what the upstream wrote since', () => atUpstreamEnd(leader), 30_000);
  assert.equal(eventCount(installing, 'relay.snapshot.installed'), installsBefore, 'those commits came while the install was still under way');
  assert.equal(await cluster.leaderIndex(), leader, 'no election meanwhile');
  await healAndCheck(other);
  assert.equal(eventCount(installing, 'relay.snapshot.installed'), installsBefore + 1);
  assert.equal((await cluster.api(installing, 'GET', '/readyz')).status, 200);
});

test('SIGTERM during a snapshot install is a clean stop (exit 0); restarted, the node installs again and still counts for the quorum meanwhile', { timeout: 180_000 }, async () => {
  const { leader, installing, other, installsBefore } = await startHeldInstall();
  const child = cluster.nodes[installing]!.child!;
  await cluster.kill(installing, 'SIGTERM');
  assert.equal(child.exitCode, 0, `exit code ${child.exitCode}, signal ${child.signalCode}`);
  assert.deepEqual(cluster.logEvents(installing, 'node.failed'), [], 'a stop is not a failure');

  // Restarted with the files still out of reach, it installs again, and meanwhile it is the
  // leader's partner for a majority.
  const failures = eventCount(installing, 'relay.snapshot.fetch_failed');
  cluster.launch(installing);
  await cluster.waitUp(installing, 30_000);
  await waitFor('the restarted node installs the snapshot again', async () => eventCount(installing, 'relay.snapshot.fetch_failed') > failures, 30_000);
  await cluster.kill(other);
  await writeSome(20);
  await waitFor('the leader commits and applies what the upstream wrote since', () => atUpstreamEnd(leader), 30_000);
  assert.equal(eventCount(installing, 'relay.snapshot.installed'), installsBefore, 'those commits came while the install was under way');
  await healAndCheck(other);
});

test('the leader killed while a follower installs a snapshot: the other follower leads and relays, the installing node votes and takes the log', { timeout: 180_000 }, async () => {
  const { leader, installing, other: heir, installsBefore } = await startHeldInstall();
  await cluster.kill(leader);
  // Elected or not, the installing node ends up a follower: it cannot lead before its files are in.
  await waitFor('the other follower leads', async () => (await cluster.leaderIndex()) === heir, 20_000);
  await writeSome(20);
  await waitFor('the new leader relays what the upstream wrote since', () => atUpstreamEnd(heir), 30_000);
  assert.equal(eventCount(installing, 'relay.snapshot.installed'), installsBefore, 'all that while the install was under way');
  await healAndCheck(leader);
});
