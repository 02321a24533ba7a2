// Upstream failover through a real 3-node relay (issue 9, Done when 1 and 2): a primary P and its
// GTID replica R are the syncer's candidates; a GTID replica D and a file/position replica F read
// from two relay followers. P is SIGKILLed under a workload, R is promoted and takes the workload:
// the relay continues from R by GTID in its own next file, and D and F replicate on untouched.
// A re-point to an unrelated server (same server_id, same file names) is refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, listBinlogFiles, mariadbBinlog, pointReplica, slaveStatus, startMariaDb, type MariaDb } from '../../helpers/mariadb.js';
import { RelayCluster } from '../../helpers/relay-cluster.js';
import { waitFor } from '../../helpers/local-relay.js';
import { parseExposition, promtoolCheckMetrics, sampleValue, type Sample } from '../../helpers/prometheus-text.js';

let primary: MariaDb;
let replica: MariaDb;
let gtidDownstream: MariaDb;
let fileDownstream: MariaDb;
let cluster: RelayCluster;
const serverPorts: number[] = [];

interface SyncerStatus {
  status: string;
  current_upstream: string;
  switches: number;
  last_switch_at: string | null;
  candidates: { addr: string; state: string; last_error: string | null }[];
  last_binlog_file: string;
  executed_gtid_set: string;
}

async function pos(db: MariaDb, variable: string): Promise<string> {
  const [row] = await db.query(`SELECT @@${variable} AS p`);
  return String(row!.p);
}

async function metrics(node: number): Promise<{ text: string; samples: Sample[] }> {
  const text = await (await fetch(`http://${cluster.nodes[node]!.adminAddr}/metrics`)).text();
  return { text, samples: parseExposition(text) };
}

async function syncerStatus(): Promise<SyncerStatus> {
  return (await cluster.api(0, 'GET', '/binlog/syncer/status')).body.data as SyncerStatus;
}

before(async () => {
  primary = await startMariaDb({ serverId: 41, args: ['--max-binlog-size=1M'] });
  await primary.exec(`CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY 'replpw';
    GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO 'repl'@'127.0.0.1';
    CREATE DATABASE app; CREATE TABLE app.u (id INT PRIMARY KEY, origin VARCHAR(8))`);
  replica = await startMariaDb({ serverId: 42, name: 'r' });
  await replica.exec(`CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=${primary.port}, MASTER_USER='repl',
    MASTER_PASSWORD='replpw', MASTER_CONNECT_RETRY=1, MASTER_USE_GTID=slave_pos; START SLAVE`);
  gtidDownstream = await startMariaDb({ serverId: 43, name: 'd' });
  fileDownstream = await startMariaDb({ serverId: 44, name: 'f' });
  cluster = await RelayCluster.start(3);
  for (let i = 0; i < 3; i++) {
    serverPorts.push(await freePort());
    const res = await cluster.api(i, 'PUT', '/binlog/server/start', { addr: `127.0.0.1:${serverPorts[i]}`, user: 'repl', password: 'relaypw' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
  }
  const res = await cluster.api(0, 'PUT', '/binlog/syncer/start', {
    mysql_addrs: [`127.0.0.1:${primary.port}`, `127.0.0.1:${replica.port}`], mysql_user: 'repl', mysql_password: 'replpw', failover_after_ms: 1500,
  });
  assert.equal(res.status, 200, JSON.stringify(res.body));
});

after(async () => {
  await cluster?.stop();
  await Promise.all([primary?.stop(), replica?.stop(), gtidDownstream?.stop(), fileDownstream?.stop()]);
});

test('SIGKILL of the primary under a workload: the relay continues from the promoted replica, and both downstream replicas follow', async () => {
  const leader = await cluster.waitForLeader();
  const followers = [0, 1, 2].filter((i) => i !== leader);
  await pointReplica(gtidDownstream, serverPorts[followers[0]!]!, 'slave_pos');
  await pointReplica(fileDownstream, serverPorts[followers[1]!]!, 'no');

  let target: MariaDb = primary;
  let paused = false;
  let writing = true;
  let next = 1;
  const writer = (async () => {
    while (writing) {
      if (paused) {
        await new Promise((r) => setTimeout(r, 5));
        continue;
      }
      await target.exec(`INSERT INTO app.u VALUES (${next}, '${target === primary ? 'P' : 'R'}')`);
      next++;
    }
  })();
  await new Promise((r) => setTimeout(r, 1500));
  // The writer pauses between commits and P dies once R holds all of it: asynchronous
  // replication could lose P's last commit otherwise, and the relay (rightly) refuses a
  // candidate lacking a transaction it already served.
  paused = true;
  await waitFor('R to hold every commit of P', async () => (await pos(replica, 'gtid_binlog_pos')) === (await pos(primary, 'gtid_binlog_pos')));
  await primary.kill('SIGKILL');
  const killedAt = Date.now();
  await replica.exec('STOP SLAVE; RESET SLAVE ALL');
  target = replica;
  paused = false;

  await waitFor('the syncer to continue from R', async () => {
    const s = await syncerStatus();
    return s.current_upstream === `127.0.0.1:${replica.port}` && s.switches === 1 && s.status === 'running';
  }, 10_000);
  const switchedAfter = Date.now() - killedAt;
  assert.ok(switchedAfter < 10_000, `switched ${switchedAfter} ms after P died`);
  await new Promise((r) => setTimeout(r, 1000));
  writing = false;
  await writer;

  // A dropped dump on R after the switch: the syncer reconnects to the same upstream and goes on
  // in the relay's current file (no new file, no second switch).
  const switched = await syncerStatus();
  const { samples: beforeKill } = await metrics(followers[0]!);
  const dumps = await replica.query("SELECT ID FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%' AND USER = 'repl'");
  assert.equal(dumps.length, 1, 'the relay dumps from R');
  await replica.exec(`KILL ${dumps[0]!.ID}`);
  await waitFor('the syncer to dump from R again', async () => {
    const again = await replica.query("SELECT ID FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%' AND USER = 'repl'");
    return again.length === 1 && again[0]!.ID !== dumps[0]!.ID;
  }, 10_000);
  for (let i = 0; i < 3; i++) await replica.exec(`INSERT INTO app.u VALUES (${next++}, 'R')`);

  const end = await pos(replica, 'gtid_binlog_pos');
  await waitFor(`D at ${end}`, async () => (await pos(gtidDownstream, 'gtid_slave_pos')) === end, 30_000);
  await waitFor(`F at ${end}`, async () => (await pos(fileDownstream, 'gtid_slave_pos')) === end, 30_000);
  const expected = JSON.stringify(await replica.query('CHECKSUM TABLE app.u'));
  for (const downstream of [gtidDownstream, fileDownstream]) {
    assert.equal(JSON.stringify(await downstream.query('CHECKSUM TABLE app.u')), expected);
    const s = await slaveStatus(downstream);
    assert.equal(s.Slave_IO_Running, 'Yes', String(s.Last_IO_Error));
    assert.equal(s.Slave_SQL_Running, 'Yes', String(s.Last_SQL_Error));
  }
  // Every insert the writer saw commit is there once (ids are the primary key, 1..next-1).
  const [count] = await replica.query('SELECT COUNT(*) AS n, MAX(id) AS m FROM app.u');
  assert.equal(Number(count!.n), next - 1);
  assert.equal(Number(count!.m), next - 1);
  const status = await syncerStatus();
  assert.equal(status.executed_gtid_set, end);
  assert.ok(status.last_switch_at);
  assert.match(status.last_binlog_file, /^up-bin\.\d{6}$/, 'the relay goes on under its own file names');
  assert.deepEqual(status.candidates.map((c) => c.state), ['unreachable', 'current']);
  assert.equal(status.last_binlog_file, switched.last_binlog_file, 'the reconnect to R continued in the relay file');
  assert.equal(status.switches, 1, 'a reconnect to the same upstream is no switch');

  // /metrics on a follower: the switch (from the replicated UPSTREAM record) and the current upstream.
  const after = await metrics(followers[0]!);
  const check = promtoolCheckMetrics(after.text);
  assert.equal(check.code, 0, check.output);
  assert.equal(sampleValue(after.samples, 'binrelay_relay_files'), sampleValue(beforeKill, 'binrelay_relay_files'), 'no relay file was opened by the reconnect');
  assert.equal(sampleValue(after.samples, 'binrelay_syncer_upstream_switches_total'), 1);
  const switchedAt = sampleValue(after.samples, 'binrelay_syncer_upstream_last_switch_timestamp_seconds')!;
  assert.ok(Math.abs(switchedAt - Date.parse(status.last_switch_at!) / 1000) < 1, `last switch at ${switchedAt}`);
  assert.equal(sampleValue(after.samples, 'binrelay_syncer_upstream_info', { upstream: `127.0.0.1:${replica.port}` }), 1);
  assert.equal(after.samples.filter((s) => s.name === 'binrelay_syncer_upstream_info').length, 1);
  const { samples: onLeader } = await metrics(leader);
  assert.equal(sampleValue(onLeader, 'binrelay_syncer_upstream_candidate_state', { candidate: `127.0.0.1:${replica.port}`, state: 'current' }), 1);
  assert.equal(sampleValue(onLeader, 'binrelay_syncer_upstream_candidate_state', { candidate: `127.0.0.1:${primary.port}`, state: 'unreachable' }), 1);

  // R rotates: its new file opens with a BINLOG_CHECKPOINT naming R's own file, which the relay
  // must rewrite to name one of its files. A row written a while later follows InnoDB's own
  // checkpoint for the rotation.
  await replica.exec('FLUSH BINARY LOGS');
  await new Promise((r) => setTimeout(r, 1500));
  await replica.exec(`INSERT INTO app.u VALUES (${next++}, 'R2')`);
  const rotatedEnd = await pos(replica, 'gtid_binlog_pos');
  await waitFor(`the relay at ${rotatedEnd}`, async () => (await syncerStatus()).executed_gtid_set === rotatedEnd, 10_000);

  // mariadb-binlog -R --raw from a relay node: P's bytes up to the switch, then the relay's next file.
  const primaryFiles = await listBinlogFiles(primary.dataDir);
  const raw = mkdtempSync(join(tmpdir(), 'binrelay-failover-raw-'));
  try {
    await mariadbBinlog(['-R', '--raw', '--to-last-log', '-h127.0.0.1', `-P${serverPorts[followers[0]!]}`, '-urepl', '-prelaypw', `--result-file=${raw}/`, 'up-bin.000001']);
    const names = readdirSync(raw).sort();
    const lastOfPrimary = primaryFiles[primaryFiles.length - 1]!.split('/').pop()!;
    assert.ok(names[names.length - 1]! > lastOfPrimary, `the relay went on after ${lastOfPrimary}: ${names.join(' ')}`);
    for (const path of primaryFiles) {
      const name = path.split('/').pop()!;
      const ours = readFileSync(join(raw, name));
      const theirs = Buffer.from(readFileSync(path).subarray(0, ours.length));
      theirs[21] = theirs[21]! & ~0x01; // the FDE's IN_USE flag, cleared on the wire
      assert.ok(ours.equals(theirs), `${name} differs from P's`);
    }
    // Read back with mariadb-binlog: every checkpoint in the relay's files after the switch names
    // a file the relay serves, never one of R's.
    const checkpoints: string[] = [];
    for (const name of names.filter((n) => n > lastOfPrimary)) {
      const text = await mariadbBinlog([join(raw, name)]);
      for (const m of text.matchAll(/Binlog checkpoint (\S+)/g)) checkpoints.push(m[1]!);
    }
    assert.ok(checkpoints.length > 0, `no BINLOG_CHECKPOINT after the switch in ${names.join(' ')}`);
    for (const named of checkpoints) assert.ok(names.includes(named), `a checkpoint names ${named}, not one of the relay's files (${names.join(' ')})`);
  } finally {
    rmSync(raw, { recursive: true, force: true });
  }
});

test('a re-point to an unrelated server with the same server_id and file names is refused, naming the missing GTIDs', async () => {
  const unrelated = await startMariaDb({ serverId: 41 });
  try {
    await unrelated.exec(`CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY 'replpw';
      GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO 'repl'@'127.0.0.1'; CREATE DATABASE other`);
    const before = await syncerStatus();
    const res = await cluster.api(0, 'PUT', '/binlog/syncer/start', { mysql_addr: `127.0.0.1:${unrelated.port}`, mysql_user: 'repl', mysql_password: 'replpw' });
    assert.equal(res.status, 409, JSON.stringify(res.body));
    assert.match(res.body.message, /lacks the relay's transactions 0-42-\d+ \(candidate at 0-41-\d+ in domain 0\)/);
    const after = await syncerStatus();
    assert.equal(after.current_upstream, before.current_upstream, 'the running syncer stays on its upstream');
    assert.equal(after.status, 'running');
  } finally {
    await unrelated.stop();
  }
});
