// The syncer to an upstream that demands TLS: a real MariaDB started with --ssl-cert/--ssl-key and
// a replication account created REQUIRE SSL. With mysql_tls (verifying against the CA) the relay
// syncs; without it the upstream refuses and last_error says so; with the wrong CA the
// certificate check fails. The password comes from mysql_password_file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMariaDb, type MariaDb } from '../../helpers/mariadb.js';
import { openLocalRelay, waitFor, type LocalRelay } from '../../helpers/local-relay.js';
import { makeTestCertificates, type TestCertificates } from '../../helpers/test-certificates.js';
import { Syncer, DEFAULT_SYNCER_OPTIONS } from '../../../src/syncer/syncer.js';
import { syncerStartSchema } from '../../../src/syncer/syncer-settings.js';
import { silentLogger } from '../../../src/logger.js';

let dir: string;
let certs: TestCertificates;
let up: MariaDb;
let passwordFile: string;
const syncers: Syncer[] = [];
const relays: LocalRelay[] = [];

async function startSyncer(extra: Record<string, unknown>): Promise<{ syncer: Syncer; relay: LocalRelay }> {
  const relay = await openLocalRelay(silentLogger);
  relays.push(relay);
  const settings = syncerStartSchema.parse({ mysql_addr: `127.0.0.1:${up.port}`, mysql_user: 'repl', mysql_password_file: passwordFile, ...extra });
  const syncer = new Syncer(settings, relay.relay, relay.commit, silentLogger, { ...DEFAULT_SYNCER_OPTIONS, heartbeatMs: 200 });
  syncers.push(syncer);
  syncer.start();
  return { syncer, relay };
}

async function lastErrorOf(syncer: Syncer): Promise<string> {
  await waitFor('the syncer to report an error', () => syncer.status().last_error !== null, 20_000);
  return syncer.status().last_error!;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'binrelay-upstream-tls-'));
  certs = makeTestCertificates(dir);
  passwordFile = join(dir, 'upstream-password');
  writeFileSync(passwordFile, 'repl-tls-pw\n', { mode: 0o600 });
  up = await startMariaDb({ serverId: 41, args: [`--ssl-cert=${certs.server.cert}`, `--ssl-key=${certs.server.key}`, `--ssl-ca=${certs.ca}`] });
  await up.exec(`CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY 'repl-tls-pw' REQUIRE SSL;
    GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO 'repl'@'127.0.0.1';
    CREATE DATABASE app; CREATE TABLE app.t (id INT PRIMARY KEY); INSERT INTO app.t VALUES (1), (2)`);
});

after(async () => {
  for (const s of syncers) await s.stop();
  for (const r of relays) await r.close();
  await up?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('with mysql_tls verifying against the CA the relay syncs from a REQUIRE SSL account', async () => {
  const { syncer, relay } = await startSyncer({ mysql_tls: { ca: certs.ca } });
  const [row] = await up.query('SELECT @@gtid_binlog_pos AS p');
  await waitFor('the relay to catch up over TLS', () => relay.relay.executedGtids.toString() === String(row!.p), 30_000);
  assert.equal(syncer.status().last_error, null);
  const [sessions] = await up.query("SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE USER = 'repl' AND COMMAND LIKE 'Binlog Dump%'");
  assert.equal(Number(sessions!.n), 1);
});

test('without mysql_tls the upstream refuses the account and last_error says why', async () => {
  const { syncer } = await startSyncer({});
  const error = await lastErrorOf(syncer);
  assert.match(error, /Access denied for user 'repl'/);
  assert.match(error, /mysql_tls/, 'the error points at the setting to fix');
});

test('with a CA that did not sign the upstream certificate the connection fails verification', async () => {
  const { syncer } = await startSyncer({ mysql_tls: { ca: certs.rogue.ca } });
  assert.match(await lastErrorOf(syncer), /certificate/i);
});

test('a missing password file is named in last_error', async () => {
  const { syncer } = await startSyncer({ mysql_password_file: join(dir, 'nope'), mysql_tls: { ca: certs.ca } });
  assert.match(await lastErrorOf(syncer), /mysql_password_file: cannot read .*nope: ENOENT/);
});
