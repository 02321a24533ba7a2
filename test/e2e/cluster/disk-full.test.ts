// A node whose disk fills up: a real full file system (a small tmpfs mounted over its data dir,
// in a mount namespace of its own), not an injected error.
// - A follower's disk fills while the relay ingests. It stops (fail-stop, exit non-zero) with a
//   stderr line that names the full disk; the other two keep a leader and relay the upstream to
//   its end. Given room again, it starts from what it had written and catches up.
// - A new member's disk is too small for the snapshot it must install. The install fails at once
//   and so does the node, naming the full disk (it does not ask every member for the files again
//   and again); it stays a learner, and the voters relay on. Given room, it installs, is promoted
//   and catches up.
// Either way the node ends holding the upstream's files byte for byte.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startMariaDb, type MariaDb } from '../../helpers/mariadb.js';
import { RelayCluster } from '../../helpers/relay-cluster.js';
import { waitFor } from '../../helpers/local-relay.js';
import { relayEnd, upstreamEnd } from '../../helpers/relay-end.js';
import { assertNodesHoldUpstreamFiles } from '../../helpers/upstream-binlog-reference.js';

/** Room the follower's data dir gets beyond what it holds when mounted: less than the ingest. */
const ROOM_BYTES = 12 * 1024 * 1024;
/** The upstream writes this many 1 MB rows while the follower's disk is small. */
const ROWS = 40;
/** The new member's disk: far less than the binlog files of its snapshot. */
const NEW_MEMBER_DISK_BYTES = 4 * 1024 * 1024;

// Runs the node (argv after the script's own arguments) with a tmpfs of `size` mounted over its
// data dir, filled first with what the dir held. When the node exits, what it wrote is copied
// out to `<data dir>.after` (the tmpfs goes with the namespace), and its exit code is returned.
// A SIGTERM to the wrapper (the cluster's stop) reaches the node.
const WRAPPER = `
set -eu
dir=$1; size=$2; shift 2
mkdir -p "$dir"
cp -a "$dir" "$dir.before"
mount -t tmpfs -o "size=$size" tmpfs "$dir"
cp -a "$dir.before/." "$dir/"
set +e
"$@" & pid=$!
trap 'kill -TERM "$pid" 2>/dev/null' TERM INT
wait "$pid"; code=$?
while kill -0 "$pid" 2>/dev/null; do wait "$pid"; code=$?; done
mkdir "$dir.after" && cp -a "$dir/." "$dir.after/"
exit "$code"
`;

function onSmallDisk(dataDir: string, sizeBytes: number): (argv: string[]) => string[] {
  return (argv) => ['unshare', '--user', '--map-root-user', '--mount', 'sh', '-c', WRAPPER, 'sh', dataDir, String(sizeBytes), ...argv];
}

function duBytes(dir: string): number {
  const du = spawnSync('du', ['-sb', dir], { encoding: 'utf8' });
  assert.equal(du.status, 0, du.stderr);
  return Number(du.stdout.split('\t')[0]);
}

let up: MariaDb;
let cluster: RelayCluster;

before(async () => {
  const probe = spawnSync('unshare', ['--user', '--map-root-user', '--mount', 'sh', '-c', 'mount -t tmpfs tmpfs /mnt'], { encoding: 'utf8' });
  assert.equal(probe.status, 0, `this test mounts a small tmpfs in a user and mount namespace: it needs unshare (Debian package util-linux) and user namespaces ` +
    `(run as root, or allow them: sysctl kernel.unprivileged_userns_clone=1): ${probe.error?.message ?? probe.stderr}`);
  up = await startMariaDb({ serverId: 73, args: ['--max-binlog-size=8M'] });
  await up.exec(`CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY 'replpw';
    GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO 'repl'@'127.0.0.1';
    CREATE DATABASE app; CREATE TABLE app.t (id INT PRIMARY KEY, v LONGTEXT)`);
  // A short raft log: a node that comes back, or joins, installs a snapshot of the files.
  cluster = await RelayCluster.start(3, ['--raft-log-retain.bytes', '1MiB', '--raft-log-retain.entries', '16']);
  const res = await cluster.api(await cluster.waitForLeader(), 'PUT', '/binlog/syncer/start', { mysql_addr: `127.0.0.1:${up.port}`, mysql_user: 'repl', mysql_password: 'replpw' });
  assert.equal(res.status, 200, JSON.stringify(res.body));
});

after(async () => {
  await cluster?.stop();
  await up?.stop();
});

async function atUpstreamEnd(i: number): Promise<boolean> {
  return JSON.stringify(await relayEnd(cluster, i)) === JSON.stringify(await upstreamEnd(up));
}

/** Node i exits non-zero on its own, its stderr line naming the full disk. */
async function assertStopsOnFullDisk(i: number, what: string): Promise<void> {
  const code = await cluster.exitWithin(i, 30_000);
  assert.ok(code !== null && code !== 0, `${what} exits non-zero (got ${String(code)})`);
  assert.match(readFileSync(cluster.nodes[i]!.logFile, 'utf8'), /^binrelay start: node failed: .*(ENOSPC|No space left on device)/m,
    `its stderr line names the full disk:\n${cluster.logTail(i)}`);
}

/** Node i's data dir as the node left it on its full disk, back on the ordinary file system. */
function giveRoom(i: number): void {
  const dataDir = cluster.nodes[i]!.dataDir;
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(`${dataDir}.before`, { recursive: true, force: true });
  renameSync(`${dataDir}.after`, dataDir);
}

test('a follower whose disk fills stops naming the full disk; the others relay on; given room, it catches up byte for byte', { timeout: 120_000 }, async () => {
  const leader = await cluster.waitForLeader();
  const f = [0, 1, 2].find((i) => i !== leader)!;
  const others = [0, 1, 2].filter((i) => i !== f);
  await cluster.kill(f, 'SIGTERM');
  cluster.launch(f, [], onSmallDisk(cluster.nodes[f]!.dataDir, duBytes(cluster.nodes[f]!.dataDir) + ROOM_BYTES));
  await cluster.waitUp(f);

  for (let k = 0; k < ROWS; k++) await up.exec(`INSERT INTO app.t VALUES (${k}, REPEAT('${String.fromCharCode(97 + (k % 26))}', 1000000))`);
  await assertStopsOnFullDisk(f, 'the follower with a full disk');
  for (const i of others) {
    await waitFor(`node ${i} at the upstream's end`, () => atUpstreamEnd(i), 30_000);
    cluster.assertRunning(i);
  }

  giveRoom(f);
  cluster.launch(f);
  await cluster.waitUp(f);
  await waitFor('the follower at the upstream\'s end', () => atUpstreamEnd(f), 60_000);
  await assertNodesHoldUpstreamFiles(up, cluster, [f]);
});

test('a new member whose disk cannot hold the snapshot stops naming the full disk, stays a learner; given room, it is promoted and catches up', { timeout: 120_000 }, async () => {
  const leader = await cluster.waitForLeader();
  const n4 = await cluster.addNode([], onSmallDisk(join(cluster.baseDir, 'n4'), NEW_MEMBER_DISK_BYTES));
  const add = await cluster.api(leader, 'POST', '/members', { name: 'n4', peer_url: cluster.nodes[n4]!.peerAddr });
  assert.equal(add.status, 200, JSON.stringify(add.body));
  await assertStopsOnFullDisk(n4, 'the new member with a small disk');
  assert.ok(cluster.logEvents(n4, 'relay.snapshot.fetch_failed').length === 0,
    'a failed write to its own disk is not taken for a member\'s failure (no member is asked again)');

  const learner = async (): Promise<boolean | undefined> => ((await cluster.api(leader, 'GET', '/members')).body.data as { name: string; isLearner: boolean }[])
    .find((m) => m.name === 'n4')?.isLearner;
  assert.equal(await learner(), true, 'n4 is still a learner');
  await up.exec(`INSERT INTO app.t VALUES (${ROWS}, 'written while n4 is down')`);
  for (const i of [0, 1, 2]) await waitFor(`node ${i} at the upstream's end`, () => atUpstreamEnd(i), 30_000);

  giveRoom(n4);
  cluster.launch(n4, ['--initial-cluster-state', 'existing']);
  await cluster.waitUp(n4, 60_000);
  await waitFor('n4 promoted to voter', async () => (await learner()) === false, 60_000);
  await waitFor('n4 at the upstream\'s end', () => atUpstreamEnd(n4), 60_000);
  await assertNodesHoldUpstreamFiles(up, cluster, [n4]);
});
