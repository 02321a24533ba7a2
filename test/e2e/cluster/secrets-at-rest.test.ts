// Secrets at rest on a real node: the data dir is 0700 and nothing in it is readable by group or
// others; with mysql_password_file the upstream password is nowhere in the data dir (the raft log
// holds the file's path), and the binlog server's password is kept only as its hashes, yet
// replicas still log in, also after a restart from the persisted settings.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, mariadbCli, startMariaDb, type MariaDb } from '../../helpers/mariadb.js';
import { waitFor } from '../../helpers/local-relay.js';
import { RelayCluster } from '../../helpers/relay-cluster.js';

const UPSTREAM_PASSWORD = 'upstream-Secret-9f3kQ';
const RELAY_PASSWORD = 'relay-Secret-7hq2Z';
let up: MariaDb;
let cluster: RelayCluster;
let passwordFile: string;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true }).map((e) => join(e.parentPath, e.name));
}

function filesHolding(dir: string, needle: string): string[] {
  const bytes = Buffer.from(needle);
  return filesUnder(dir).filter((f) => statSync(f).isFile() && readFileSync(f).includes(bytes));
}

async function relayLogin(port: number): Promise<{ code: number; stderr: string }> {
  return mariadbCli(['-h127.0.0.1', `-P${port}`, '-urelay', `-p${RELAY_PASSWORD}`, '--skip-ssl', '-e', 'SELECT 1']);
}

before(async () => {
  up = await startMariaDb({ serverId: 51 });
  // Kept out of the upstream's binlog: MariaDB logs CREATE USER … IDENTIFIED BY with the password.
  await up.exec(`SET SESSION sql_log_bin = 0; CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY '${UPSTREAM_PASSWORD}';
    GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO 'repl'@'127.0.0.1'; SET SESSION sql_log_bin = 1;
    CREATE DATABASE app; CREATE TABLE app.t (id INT PRIMARY KEY); INSERT INTO app.t VALUES (1)`);
  cluster = await RelayCluster.start(1);
  passwordFile = join(cluster.baseDir, 'upstream-password');
  writeFileSync(passwordFile, `${UPSTREAM_PASSWORD}\n`, { mode: 0o600 });
});

after(async () => {
  await cluster?.stop();
  await up?.stop();
});

test('the upstream password given as mysql_password_file and the relay password never reach the data dir', async () => {
  const start = await cluster.api(0, 'PUT', '/binlog/syncer/start', {
    mysql_addr: `127.0.0.1:${up.port}`, mysql_user: 'repl', mysql_password_file: passwordFile,
  });
  assert.equal(start.status, 200, JSON.stringify(start.body));
  const [row] = await up.query('SELECT @@gtid_binlog_pos AS p');
  await waitFor('the relay to catch up', async () => {
    const status = await cluster.api(0, 'GET', '/binlog/syncer/status');
    return (status.body.data as { executed_gtid_set: string }).executed_gtid_set === String(row!.p);
  }, 30_000);
  const port = await freePort();
  const server = await cluster.api(0, 'PUT', '/binlog/server/start', { addr: `127.0.0.1:${port}`, user: 'relay', password: RELAY_PASSWORD });
  assert.equal(server.status, 200, JSON.stringify(server.body));
  assert.equal((await relayLogin(port)).code, 0, 'a replica logs in against the stored hashes');

  const dataDir = cluster.nodes[0]!.dataDir;
  assert.deepEqual(filesHolding(dataDir, passwordFile).length > 0, true, 'the scan sees the raft log (it holds the file path)');
  assert.deepEqual(filesHolding(dataDir, UPSTREAM_PASSWORD), []);
  assert.deepEqual(filesHolding(dataDir, RELAY_PASSWORD), []);

  // A restart serves again from the persisted settings, which hold only the hashes.
  await cluster.kill(0, 'SIGTERM');
  assert.deepEqual(filesHolding(dataDir, RELAY_PASSWORD), []);
  cluster.launch(0);
  await cluster.waitUp(0);
  await waitFor('the restarted binlog server to accept the password', async () => (await relayLogin(port)).code === 0, 20_000);
});

test('the data dir is 0700 and nothing in it is readable by group or others', () => {
  const dataDir = cluster.nodes[0]!.dataDir;
  assert.equal(statSync(dataDir).mode & 0o777, 0o700);
  const shared = filesUnder(dataDir).filter((f) => (statSync(f).mode & 0o077) !== 0);
  assert.deepEqual(shared, []);
});
