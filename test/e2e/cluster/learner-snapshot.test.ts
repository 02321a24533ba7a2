// A 4th node joins a cluster whose raft log was compacted past everything it would need: it gets
// the relay state and the binlog files as a snapshot (streamed from another member) while it is a
// learner, is promoted once they are in, serves files byte-identical to the upstream's, and a real replica
// attached to it replicates.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, startMariaDb, type MariaDb } from '../../helpers/mariadb.js';
import { RelayCluster } from '../../helpers/relay-cluster.js';
import type { ServerStatusView } from '../../../api/backend.js';
import { waitFor } from '../../helpers/local-relay.js';
import { assertSameBinlogBytes, withUpstreamDump } from '../../helpers/upstream-binlog-reference.js';

let up: MariaDb;
let replica: MariaDb;
let cluster: RelayCluster;


async function status(i: number): Promise<ServerStatusView | null> {
  try {
    return (await cluster.api(i, 'GET', '/binlog/server/status')).body.data as ServerStatusView;
  } catch {
    return null;
  }
}

async function upstreamEnd(): Promise<{ file: string; pos: number }> {
  const [row] = await up.query('SHOW MASTER STATUS');
  return { file: String(row!.File), pos: Number(row!.Position) };
}

async function waitCaughtUp(i: number): Promise<void> {
  await waitFor(`n${i + 1} at the upstream's end`, async () => {
    // Read on every poll: after a rotation MariaDB still appends a BINLOG_CHECKPOINT.
    const end = await upstreamEnd();
    const s = await status(i);
    return s?.last_binlog_file === end.file && s.last_file_position === end.pos;
  }, 60_000);
}

async function writeSome(rounds: number): Promise<void> {
  for (let k = 0; k < rounds; k++) {
    await up.exec(`INSERT INTO app.t (v) VALUES (REPEAT('a', ${2000 + k * 10})), (REPEAT('b', 300))`);
    if (k % 60 === 59) await up.exec('FLUSH BINARY LOGS');
  }
  await up.exec(`INSERT INTO app.t (v) VALUES (REPEAT('L', ${1_200_000}))`);
}

before(async () => {
  up = await startMariaDb({ serverId: 61, args: ['--max-binlog-size=1M'] });
  await up.exec(`CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY 'replpw';
    GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO 'repl'@'127.0.0.1';
    CREATE DATABASE app; CREATE TABLE app.t (id INT AUTO_INCREMENT PRIMARY KEY, v LONGTEXT)`);
  replica = await startMariaDb({ serverId: 62, name: 'r1' });
  cluster = await RelayCluster.start(3, ['--raft-log-retain.bytes', '256KiB', '--raft-log-retain.entries', '16']);
  const res = await cluster.api(await cluster.waitForLeader(), 'PUT', '/binlog/syncer/start', { mysql_addr: `127.0.0.1:${up.port}`, mysql_user: 'repl', mysql_password: 'replpw' });
  assert.equal(res.status, 200, JSON.stringify(res.body));
});

after(async () => {
  await cluster?.stop();
  await Promise.all([up?.stop(), replica?.stop()]);
});

test('a member added after the whole log was compacted catches up through a snapshot, is promoted, and serves a real replica', { timeout: 180_000 }, async () => {
  await writeSome(300);
  for (let i = 0; i < 3; i++) await waitCaughtUp(i);
  const leader = await cluster.waitForLeader();
  const before = (await status(leader))!;
  // Entries holding binlog bytes are gone from the raft log (the first few hold membership and the
  // syncer's settings; how many transactions share an entry depends on batching).
  assert.ok(before.snapshot_index > 10, `the leader compacted its log (snapshot at ${before.snapshot_index})`);
  assert.ok(before.binlog_files.length >= 3);

  const n4 = await cluster.addNode();
  const add = await cluster.api(leader, 'POST', '/members', { name: 'n4', peer_url: cluster.nodes[n4]!.peerAddr });
  assert.equal(add.status, 200, JSON.stringify(add.body));
  await cluster.waitUp(n4, 60_000);
  await waitFor('n4 promoted to voter', async () => {
    const members = (await cluster.api(leader, 'GET', '/members')).body.data as { name: string; isLearner: boolean }[];
    return members.some((m) => m.name === 'n4' && !m.isLearner);
  }, 60_000);
  await waitCaughtUp(n4);
  assert.ok(cluster.logEvents(n4, 'relay.snapshot.installed').length >= 1, 'n4 installed a snapshot');
  // A learner acknowledges its snapshot once its files are in: it is promoted only then.
  const installedAt = Date.parse(String(cluster.logEvents(n4, 'relay.snapshot.installed')[0]!.time));
  const promotedAt = Date.parse(String(cluster.logEvents(leader, 'member.promoted')[0]?.time));
  assert.ok(installedAt <= promotedAt, `n4 promoted at ${promotedAt}, its snapshot installed at ${installedAt}`);
  assert.ok(cluster.logEvents(n4, 'relay.snapshot.file_fetched').length >= 1, 'n4 fetched binlog files from a member');

  // Its files are the upstream's, byte for byte, and the same set as the leader's.
  await withUpstreamDump(up, async (dumpDir) => {
    const s4 = (await status(n4))!;
    assert.deepEqual(s4.binlog_files.map((f) => f.name), (await status(leader))!.binlog_files.map((f) => f.name));
    const dir = join(cluster.nodes[n4]!.dataDir, 'binlog');
    assert.deepEqual(readdirSync(dir).sort(), s4.binlog_files.map((f) => f.name));
    // Every file whole, the newest too: nothing is written upstream while n4 is compared.
    for (const f of s4.binlog_files) assertSameBinlogBytes(readFileSync(join(dir, f.name)), readFileSync(join(dumpDir, f.name)), false, `n4 ${f.name}`);
  });

  // A real replica on n4 replicates what was written before and after the join.
  const port = await freePort();
  const started = await cluster.api(n4, 'PUT', '/binlog/server/start', { addr: `127.0.0.1:${port}`, user: 'repl', password: 'relaypw' });
  assert.equal(started.status, 200, JSON.stringify(started.body));
  // The relay holds every file from the upstream's first (compaction drops raft entries, not
  // binlog files): an empty replica replicates the whole history from n4.
  await replica.exec(`CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=${port}, MASTER_USER='repl', MASTER_PASSWORD='relaypw',
    MASTER_CONNECT_RETRY=1, MASTER_USE_GTID=slave_pos; START SLAVE`);
  await writeSome(20);
  const [after] = await up.query('SELECT @@gtid_binlog_pos AS p');
  await waitFor('the replica on n4 reaches the upstream', async () => {
    const [row] = await replica.query('SELECT @@gtid_slave_pos AS p');
    return String(row!.p) === String(after!.p);
  }, 60_000);
  const [st] = await replica.query('SHOW SLAVE STATUS');
  assert.equal(st!.Slave_IO_Running, 'Yes');
  assert.equal(st!.Slave_SQL_Running, 'Yes', String(st!.Last_SQL_Error));
  assert.deepEqual(await replica.query('CHECKSUM TABLE app.t'), await up.query('CHECKSUM TABLE app.t'));
});
