// Semi-sync: with semi_sync on, the syncer registers as a semi-sync replica of a real MariaDB and
// acknowledges a transaction only once the record holding it is committed, so the upstream's
// COMMIT waits for the relay's commit (DESIGN invariant 2).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startMariaDb, type MariaDb } from '../../helpers/mariadb.js';
import { openLocalRelay, waitFor, type LocalRelay } from '../../helpers/local-relay.js';
import { Syncer, DEFAULT_SYNCER_OPTIONS } from '../../../src/syncer/syncer.js';
import { syncerStartSchema } from '../../../src/syncer/syncer-settings.js';
import { silentLogger } from '../../../src/logger.js';

let up: MariaDb;
let local: LocalRelay;
let syncer: Syncer;
let gate: Promise<void> = Promise.resolve();

async function status(name: string): Promise<number> {
  const [row] = await up.query(`SHOW GLOBAL STATUS LIKE '${name}'`);
  return Number(row?.Value ?? -1);
}

before(async () => {
  up = await startMariaDb({ serverId: 41, args: ['--rpl-semi-sync-master-timeout=20000'] });
  // Semi-sync goes on once the schema is in: with it on and no semi-sync replica yet, the first
  // commit would wait out the whole timeout.
  await up.exec(`CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY 'replpw';
    GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO 'repl'@'127.0.0.1'; CREATE DATABASE app; CREATE TABLE app.t (id INT PRIMARY KEY);
    SET GLOBAL rpl_semi_sync_master_enabled = ON`);
  local = await openLocalRelay();
  const settings = syncerStartSchema.parse({ mysql_addr: `127.0.0.1:${up.port}`, mysql_user: 'repl', mysql_password: 'replpw', semi_sync: true });
  const gatedCommit = async (data: Uint8Array): Promise<number> => {
    await gate;
    return local.commit(data);
  };
  syncer = new Syncer(settings, local.relay, gatedCommit, silentLogger, { ...DEFAULT_SYNCER_OPTIONS, heartbeatMs: 200 });
  syncer.start();
  await waitFor('the upstream to count a semi-sync client', async () => (await status('Rpl_semi_sync_master_clients')) === 1, 20_000);
});

after(async () => {
  await syncer?.stop();
  await local?.close();
  await up?.stop();
});

test('the upstream commit returns only after the relay committed the transaction', async () => {
  // Statements before the syncer registered were asynchronous; count from here.
  const yesBefore = await status('Rpl_semi_sync_master_yes_tx');
  const noBefore = await status('Rpl_semi_sync_master_no_tx');
  await up.exec('INSERT INTO app.t VALUES (1)');
  let release!: () => void;
  gate = new Promise((r) => (release = r));
  let returned = false;
  const insert = up.exec('INSERT INTO app.t VALUES (2)').then(() => (returned = true));
  await new Promise((r) => setTimeout(r, 800));
  assert.equal(returned, false, 'the upstream COMMIT waits while the relay has not committed');
  release();
  await insert;
  const [row] = await up.query('SELECT @@gtid_binlog_pos AS p');
  await waitFor('the relay at the upstream position', () => local.relay.executedGtids.toString() === String(row!.p));
  assert.equal((await status('Rpl_semi_sync_master_yes_tx')) - yesBefore, 2, 'both transactions were acknowledged');
  assert.equal(await status('Rpl_semi_sync_master_no_tx'), noBefore, 'no transaction fell back to asynchronous');
});
