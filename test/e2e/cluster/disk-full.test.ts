// A follower whose disk fills up while the relay ingests: a real full file system (a small
// tmpfs mounted over its data dir, in a mount namespace of its own), not an injected error. The
// node stops (fail-stop, exit non-zero) with a stderr line that names the full disk; the other
// two keep a leader and relay the upstream to its end. Given room again, the node starts from
// what it had written, catches up, and holds the upstream's files byte for byte.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startMariaDb, type MariaDb } from '../../helpers/mariadb.js';
import { RelayCluster } from '../../helpers/relay-cluster.js';
import { waitFor } from '../../helpers/local-relay.js';
import { relayEnd, serverStatus, upstreamEnd } from '../../helpers/relay-end.js';
import { assertSameBinlogBytes, withUpstreamDump } from '../../helpers/upstream-binlog-reference.js';

/** Room the data dir gets beyond what it holds when mounted: less than the ingest below. */
const ROOM_BYTES = 12 * 1024 * 1024;
/** The upstream writes this many 1 MB rows while the follower's disk is small. */
const ROWS = 40;

// Runs the node (argv after the script's own arguments) with a tmpfs of `size` mounted over its
// data dir, filled first with what the dir held. When the node exits, what it wrote is copied
// out to `<data dir>.after` (the tmpfs goes with the namespace), and its exit code is returned.
// A SIGTERM to the wrapper (the cluster's stop) reaches the node.
const WRAPPER = `
set -eu
dir=$1; size=$2; shift 2
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

function inSmallDisk(dataDir: string, sizeBytes: number): (argv: string[]) => string[] {
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
  up = await startMariaDb({ serverId: 73 });
  await up.exec(`CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY 'replpw';
    GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO 'repl'@'127.0.0.1';
    CREATE DATABASE app; CREATE TABLE app.t (id INT PRIMARY KEY, v LONGTEXT)`);
  cluster = await RelayCluster.start(3);
});

after(async () => {
  await cluster?.stop();
  await up?.stop();
});

test('a follower whose disk fills stops naming the full disk; the others relay on; given room, it catches up byte for byte', { timeout: 120_000 }, async () => {
  const leader = await cluster.waitForLeader();
  const f = [0, 1, 2].find((i) => i !== leader)!;
  const others = [0, 1, 2].filter((i) => i !== f);
  const dataDir = cluster.nodes[f]!.dataDir;
  await cluster.kill(f, 'SIGTERM');
  const size = duBytes(dataDir) + ROOM_BYTES;
  cluster.launch(f, [], inSmallDisk(dataDir, size));
  await cluster.waitUp(f);

  const res = await cluster.api(await cluster.waitForLeader(), 'PUT', '/binlog/syncer/start', { mysql_addr: `127.0.0.1:${up.port}`, mysql_user: 'repl', mysql_password: 'replpw' });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  for (let k = 0; k < ROWS; k++) await up.exec(`INSERT INTO app.t VALUES (${k}, REPEAT('${String.fromCharCode(97 + (k % 26))}', 1000000))`);

  const code = await cluster.exitWithin(f, 30_000);
  assert.ok(code !== null && code !== 0, `the follower with a full disk exits non-zero (got ${String(code)}; ${size} bytes of disk)`);
  const log = readFileSync(cluster.nodes[f]!.logFile, 'utf8');
  assert.match(log, /^binrelay start: node failed: .*(ENOSPC|No space left on device)/m, `its stderr line names the full disk:\n${cluster.logTail(f)}`);

  const end = await upstreamEnd(up);
  for (const i of others) {
    await waitFor(`node ${i} at the upstream's end`, async () => JSON.stringify(await relayEnd(cluster, i)) === JSON.stringify(end), 30_000);
    cluster.assertRunning(i);
  }

  // Room again: the data dir as the node left it on the full disk, on the ordinary file system.
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(`${dataDir}.before`, { recursive: true, force: true });
  renameSync(`${dataDir}.after`, dataDir);
  cluster.launch(f);
  await cluster.waitUp(f);
  await waitFor('the follower at the upstream\'s end', async () => JSON.stringify(await relayEnd(cluster, f)) === JSON.stringify(end), 60_000);
  await withUpstreamDump(up, async (dumpDir) => {
    const files = (await serverStatus(cluster, f))!.binlog_files;
    assert.ok(files.length > 0, 'the follower holds binlog files');
    for (const file of files) {
      assertSameBinlogBytes(readFileSync(join(dataDir, 'binlog', file.name)), readFileSync(join(dumpDir, file.name)), false, `n${f + 1} ${file.name}`);
    }
  });
});
