// Cluster-wide calls on a leader that loses its quorum before they commit: both followers are
// SIGSTOPped, then the leader is asked to purge (admin API and SQL PURGE BINARY LOGS), to stop
// and to start the syncer. Each answers "retry" (HTTP 503, MySQL error 1105 with the reason), not
// 500 "internal error" or a dropped connection, and the cluster carries on once the followers
// resume.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import mysql from 'mysql2/promise';
import { freePort, startMariaDb, type MariaDb } from '../../helpers/mariadb.js';
import { RelayCluster, type ApiAnswer } from '../../helpers/relay-cluster.js';
import { waitFor } from '../../helpers/local-relay.js';

let up: MariaDb;
let cluster: RelayCluster;
const serverPorts: number[] = [];
/** The relay's four binlog files: each purge goes further (one that got 503 may still commit). */
let files: string[] = [];

before(async () => {
  up = await startMariaDb({ serverId: 61 });
  await up.exec(`CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY 'replpw';
    GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO 'repl'@'127.0.0.1';
    CREATE DATABASE app; CREATE TABLE app.t (id INT PRIMARY KEY)`);
  cluster = await RelayCluster.start(3);
  for (let i = 0; i < 3; i++) {
    serverPorts.push(await freePort());
    const res = await cluster.api(i, 'PUT', '/binlog/server/start', { addr: `127.0.0.1:${serverPorts[i]}`, user: 'repl', password: 'relaypw' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
  }
  const leader = await cluster.waitForLeader();
  const started = await cluster.api(leader, 'PUT', '/binlog/syncer/start', { mysql_addr: `127.0.0.1:${up.port}`, mysql_user: 'repl', mysql_password: 'replpw' });
  assert.equal(started.status, 200, JSON.stringify(started.body));
  for (let i = 1; i <= 3; i++) await up.exec(`INSERT INTO app.t VALUES (${i}); FLUSH BINARY LOGS`);
  await waitFor('every node holds the upstream\'s four files', async () => {
    const lists = await Promise.all([0, 1, 2].map(async (i) => ((await cluster.api(i, 'GET', '/binlog/server/status')).body.data as { binlog_files: { name: string }[] }).binlog_files));
    files = lists[0]!.map((f) => f.name);
    return lists.every((files) => files.length === 4);
  }, 30_000);
});

after(async () => {
  await cluster?.stop();
  await up?.stop();
});

/** Runs `call` on the leader while both followers are stopped, then resumes them. */
async function withoutQuorum<T>(call: (leader: number) => Promise<T>): Promise<T> {
  const leader = await cluster.waitForLeader();
  const followers = [0, 1, 2].filter((i) => i !== leader);
  for (const f of followers) cluster.nodes[f]!.child!.kill('SIGSTOP');
  try {
    return await call(leader);
  } finally {
    for (const f of followers) cluster.nodes[f]!.child!.kill('SIGCONT');
  }
}

function assertRetry(answer: ApiAnswer, what: string): void {
  assert.equal(answer.status, 503, `${what}: ${JSON.stringify(answer.body)}`);
  assert.match(String(answer.body.message), /did not go through/, what);
}

test('PUT /binlog/purge on a leader that loses its quorum answers 503', { timeout: 60_000 }, async () => {
  const answer = await withoutQuorum((leader) => cluster.api(leader, 'PUT', '/binlog/purge', { to: files[1] }));
  assertRetry(answer, 'purge');
  assert.equal((answer.body.error as { code: string }).code, 'NOT_LEADER');
});

test('SQL PURGE BINARY LOGS on a leader that loses its quorum gets error 1105 naming why, on a live connection', { timeout: 60_000 }, async () => {
  const leader = await cluster.waitForLeader();
  const conn = await mysql.createConnection({ host: '127.0.0.1', port: serverPorts[leader]!, user: 'repl', password: 'relaypw' });
  try {
    const failure = await withoutQuorum(() => conn.query(`PURGE BINARY LOGS TO '${files[2]}'`).then(() => null, (err: unknown) => err as { errno: number; sqlMessage: string }));
    assert.ok(failure, 'the purge failed');
    assert.equal(failure.errno, 1105, failure.sqlMessage);
    assert.match(failure.sqlMessage, /did not go through/);
    const [rows] = await conn.query('SELECT 1 AS one');
    assert.deepEqual(rows, [{ one: 1 }], 'the connection is still usable');
  } finally {
    await conn.end();
  }
});

test('PUT /binlog/syncer/stop and /start on a leader that loses its quorum answer 503; the cluster carries on', { timeout: 90_000 }, async () => {
  assertRetry(await withoutQuorum((leader) => cluster.api(leader, 'PUT', '/binlog/syncer/stop')), 'syncer stop');
  // Whether the stop was committed by the next leader is for the status to tell: stop for sure.
  const leader = await cluster.waitForLeader();
  const stopped = await cluster.api(leader, 'PUT', '/binlog/syncer/stop');
  assert.equal(stopped.status, 200, JSON.stringify(stopped.body));
  assertRetry(await withoutQuorum((l) => cluster.api(l, 'PUT', '/binlog/syncer/start', { mysql_addr: `127.0.0.1:${up.port}`, mysql_user: 'repl', mysql_password: 'replpw' })), 'syncer start');
  const next = await cluster.waitForLeader();
  const started = await cluster.api(next, 'PUT', '/binlog/syncer/start', { mysql_addr: `127.0.0.1:${up.port}`, mysql_user: 'repl', mysql_password: 'replpw' });
  assert.equal(started.status, 200, JSON.stringify(started.body));
  await up.exec('INSERT INTO app.t VALUES (100)');
  const [pos] = await up.query('SELECT @@gtid_binlog_pos AS p');
  await waitFor(`every node at ${String(pos!.p)}`, async () => {
    const sets = await Promise.all([0, 1, 2].map(async (i) => ((await cluster.api(i, 'GET', '/binlog/server/status')).body.data as { executed_gtid_set: string }).executed_gtid_set));
    return sets.every((s) => s === pos!.p);
  }, 30_000);
});
