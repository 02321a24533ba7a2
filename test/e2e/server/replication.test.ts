// Real MariaDB replicas replicating through the relay while the upstream works: one in GTID mode
// (MASTER_USE_GTID=slave_pos), one by file and position (MASTER_USE_GTID=no). The workload has
// DDL, DML, multi-statement transactions, a ~20 MB transaction, a row event over 16 MiB and a
// binlog rotation. At the end both replicas hold exactly the upstream's data and GTID position.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startMariaDb, type MariaDb, type Row } from '../../helpers/mariadb.js';
import { waitFor } from '../../helpers/local-relay.js';
import { startRelayStack, RELAY_PASSWORD, RELAY_USER, RELAY_SERVER_ID, type RelayStack } from './relay-stack.js';

let stack: RelayStack;
let gtidReplica: MariaDb;
let fileReplica: MariaDb;
let upstreamPos = '';

async function slaveStatus(db: MariaDb): Promise<Row> {
  const [row] = await db.query('SHOW SLAVE STATUS');
  assert.ok(row, 'SHOW SLAVE STATUS returned a row');
  return row;
}

async function checksums(db: MariaDb): Promise<Record<string, string>> {
  const tables = await db.query("SELECT CONCAT(TABLE_SCHEMA, '.', TABLE_NAME) AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'app' ORDER BY 1");
  const out: Record<string, string> = {};
  for (const { t } of tables) {
    const [row] = await db.query(`CHECKSUM TABLE ${String(t)}`);
    out[String(t)] = String(row!.Checksum);
  }
  return out;
}

async function follow(replica: MariaDb, useGtid: 'slave_pos' | 'no'): Promise<void> {
  await replica.exec(`CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=${stack.port}, MASTER_USER='${RELAY_USER}',
    MASTER_PASSWORD='${RELAY_PASSWORD}', MASTER_USE_GTID=${useGtid}, MASTER_CONNECT_RETRY=1; START SLAVE`);
}

before(async () => {
  stack = await startRelayStack();
  gtidReplica = await startMariaDb({ serverId: 21, name: 'rg' });
  fileReplica = await startMariaDb({ serverId: 22, name: 'rf' });
  await follow(gtidReplica, 'slave_pos');
  await follow(fileReplica, 'no');

  const up = stack.up;
  await up.exec(`CREATE DATABASE app;
    CREATE TABLE app.t (id INT PRIMARY KEY, v VARCHAR(100), b LONGBLOB) ENGINE=InnoDB;
    CREATE TABLE app.k (k INT PRIMARY KEY AUTO_INCREMENT, note TEXT, at DATETIME(6)) ENGINE=InnoDB;
    INSERT INTO app.t (id, v) VALUES (1, 'a'), (2, 'b'), (3, 'c');
    UPDATE app.t SET v = 'bb' WHERE id = 2;
    DELETE FROM app.t WHERE id = 1;
    BEGIN; INSERT INTO app.k (note, at) VALUES ('one', NOW(6)); INSERT INTO app.k (note, at) VALUES ('two', NOW(6)); UPDATE app.t SET v = 'in-trx' WHERE id = 3; COMMIT;
    ALTER TABLE app.k ADD COLUMN extra INT DEFAULT 7;`);
  // About 20 MB in one transaction (many row events, many relay records).
  await up.exec(`BEGIN; ${Array.from({ length: 20 }, (_, i) => `INSERT INTO app.t (id, b) VALUES (${100 + i}, REPEAT('${String.fromCharCode(97 + i)}', 1000000));`).join(' ')} COMMIT;`);
  await up.exec('FLUSH BINARY LOGS');
  // One row event above 16 MiB: split into several protocol packets on the way to the replica.
  await up.exec(`INSERT INTO app.t (id, b) VALUES (999, REPEAT('q', ${17 * 1024 * 1024}))`);
  await up.exec(`INSERT INTO app.k (note) VALUES ('after the big row'); CREATE TABLE app.late (x INT PRIMARY KEY); INSERT INTO app.late VALUES (1), (2)`);
  upstreamPos = await stack.caughtUp(120_000);
  for (const replica of [gtidReplica, fileReplica]) {
    await waitFor(`replica ${replica.serverId} to reach ${upstreamPos}`, async () => {
      const [row] = await replica.query('SELECT @@gtid_slave_pos AS p');
      return row!.p === upstreamPos;
    }, 120_000);
  }
});

after(async () => {
  for (const r of [gtidReplica, fileReplica]) {
    await r?.exec('STOP SLAVE').catch(() => undefined);
    await r?.stop();
  }
  await stack?.stop();
});

test('a GTID replica (MASTER_USE_GTID=slave_pos) ends with the upstream position and identical tables', async () => {
  const status = await slaveStatus(gtidReplica);
  assert.equal(status.Slave_IO_Running, 'Yes', String(status.Last_IO_Error));
  assert.equal(status.Slave_SQL_Running, 'Yes', String(status.Last_SQL_Error));
  assert.equal(Number(status.Last_IO_Errno), 0);
  assert.equal(Number(status.Last_SQL_Errno), 0);
  assert.equal(status.Using_Gtid, 'Slave_Pos');
  assert.equal(Number(status.Master_Server_Id), RELAY_SERVER_ID);
  const [pos] = await gtidReplica.query('SELECT @@gtid_slave_pos AS p');
  assert.equal(pos!.p, upstreamPos);
  assert.deepEqual(await checksums(gtidReplica), await checksums(stack.up));
});

test('a file/position replica (MASTER_USE_GTID=no) follows the rotation and ends at the upstream coordinates', async () => {
  const status = await slaveStatus(fileReplica);
  assert.equal(status.Slave_IO_Running, 'Yes', String(status.Last_IO_Error));
  assert.equal(status.Slave_SQL_Running, 'Yes', String(status.Last_SQL_Error));
  assert.equal(Number(status.Last_IO_Errno), 0);
  assert.equal(status.Using_Gtid, 'No');
  const [master] = await stack.up.query('SHOW MASTER STATUS');
  assert.equal(status.Master_Log_File, master!.File);
  assert.equal(Number(status.Read_Master_Log_Pos), Number(master!.Position));
  assert.equal(Number(status.Exec_Master_Log_Pos), Number(master!.Position));
  const [pos] = await fileReplica.query('SELECT @@gtid_slave_pos AS p');
  assert.equal(pos!.p, upstreamPos);
  assert.deepEqual(await checksums(fileReplica), await checksums(stack.up));
});

test('both replicas are listed while connected, with their mode and position, and STOP SLAVE removes one', async () => {
  const [master] = await stack.up.query('SHOW MASTER STATUS');
  await waitFor('both replicas listed at the end of the binlog', () => {
    const views = stack.server.replicas();
    return views.length === 2 && views.every((v) => v.file === master!.File && v.position === Number(master!.Position));
  }, 10_000);
  const views = stack.server.replicas().sort((a, b) => a.server_id - b.server_id);
  assert.deepEqual(views.map((v) => [v.server_id, v.mode, v.port]), [[21, 'gtid', gtidReplica.port], [22, 'file', fileReplica.port]]);
  assert.equal(views[0]!.gtid, upstreamPos);
  assert.match(views[0]!.remote_addr, /^127\.0\.0\.1:\d+$/);
  await fileReplica.exec('STOP SLAVE');
  await waitFor('the stopped replica to leave the list', () => stack.server.replicas().length === 1, 10_000);
  assert.equal(stack.server.replicas()[0]!.server_id, 21);
  // And it comes back where it stopped.
  await fileReplica.exec('START SLAVE');
  await stack.up.exec("INSERT INTO app.late VALUES (3)");
  const pos = await stack.caughtUp();
  await waitFor('the restarted replica to catch up', async () => (await fileReplica.query('SELECT @@gtid_slave_pos AS p'))[0]!.p === pos, 30_000);
  assert.equal((await slaveStatus(fileReplica)).Slave_IO_Running, 'Yes');
});
