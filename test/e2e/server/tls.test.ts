// TLS on the binlog server, with real MariaDB peers: a replica configured with MASTER_SSL=1 and
// MASTER_SSL_VERIFY_SERVER_CERT=1 replicates through the relay, the `mariadb` client logs in with
// --ssl-verify-server-cert, a client that trusts another CA refuses our certificate, and with
// require-secure-transport a plaintext login gets MariaDB's own answer (1045). With
// require-client-cert (an account's REQUIRE X509) only clients with a certificate our CA signed
// get in: a replica with MASTER_SSL_CERT replicates, the others are refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mariadbCli, startMariaDb, type MariaDb } from '../../helpers/mariadb.js';
import { waitFor } from '../../helpers/local-relay.js';
import { makeTestCertificates, type TestCertificates } from '../../helpers/test-certificates.js';
import { BinlogServer } from '../../../src/server/binlog-server.js';
import { startRelayStack, RELAY_PASSWORD, RELAY_USER, RELAY_SERVER_ID, type RelayStack } from './relay-stack.js';

let certDir: string;
let certs: TestCertificates;
let stack: RelayStack;
/** A second server on the same relay that refuses plaintext logins. */
let strict: BinlogServer;
/** A third one that wants a client certificate signed by the CA. */
let x509: BinlogServer;
let replica: MariaDb;

function login(port: number, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return mariadbCli(['-h127.0.0.1', `-P${port}`, `-u${RELAY_USER}`, `-p${RELAY_PASSWORD}`, '--batch', '--skip-column-names', ...args]);
}

before(async () => {
  certDir = mkdtempSync(join(tmpdir(), 'binrelay-tls-'));
  certs = makeTestCertificates(certDir);
  const tls = { cert: certs.server.cert, key: certs.server.key, ca: certs.ca };
  stack = await startRelayStack({}, { tls });
  strict = await BinlogServer.start({
    settings: { addr: '127.0.0.1:0', user: RELAY_USER, password: RELAY_PASSWORD, tls, requireSecureTransport: true },
    relay: stack.local.relay, serverId: RELAY_SERVER_ID, serverUuid: '00000000-0000-4000-8000-00000000b1a8', logger: stack.logger,
  });
  x509 = await BinlogServer.start({
    settings: { addr: '127.0.0.1:0', user: RELAY_USER, password: RELAY_PASSWORD, tls, requireClientCert: true },
    relay: stack.local.relay, serverId: RELAY_SERVER_ID, serverUuid: '00000000-0000-4000-8000-00000000b1a9', logger: stack.logger,
  });
  replica = await startMariaDb({ serverId: 31, name: 'rt' });
});

after(async () => {
  await replica?.stop();
  await x509?.stop();
  await strict?.stop();
  await stack?.stop();
  if (certDir) rmSync(certDir, { recursive: true, force: true });
});

test('a MariaDB replica with MASTER_SSL_VERIFY_SERVER_CERT=1 replicates through the relay over TLS', async () => {
  await stack.up.exec(`CREATE DATABASE app; CREATE TABLE app.t (id INT PRIMARY KEY, v VARCHAR(20));
    INSERT INTO app.t VALUES (1, 'over'), (2, 'tls')`);
  await stack.caughtUp();
  // Through the server that refuses plaintext: the replica can only be in over TLS.
  await replica.exec(`CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=${strict.address.port}, MASTER_USER='${RELAY_USER}',
    MASTER_PASSWORD='${RELAY_PASSWORD}', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1,
    MASTER_SSL=1, MASTER_SSL_CA='${certs.ca}', MASTER_SSL_VERIFY_SERVER_CERT=1; START SLAVE`);
  await waitFor('the replica to hold app.t', async () => {
    const rows = await replica.query("SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'app' AND TABLE_NAME = 't'");
    return Number(rows[0]!.n) === 1 && Number((await replica.query('SELECT COUNT(*) AS n FROM app.t'))[0]!.n) === 2;
  }, 30_000);
  await stack.up.exec("INSERT INTO app.t VALUES (3, 'later')");
  const pos = await stack.caughtUp();
  await waitFor('the replica to reach the upstream position', async () => String((await replica.query('SELECT @@gtid_slave_pos AS p'))[0]!.p) === pos, 30_000);
  const [status] = await replica.query('SHOW SLAVE STATUS');
  assert.equal(status!.Slave_IO_Running, 'Yes');
  assert.equal(status!.Master_SSL_Allowed, 'Yes');
  assert.equal(status!.Master_SSL_Verify_Server_Cert, 'Yes');
  assert.equal(status!.Last_IO_Errno, 0);
});

test('the mariadb client logs in with --ssl-verify-server-cert and runs a query', async () => {
  const result = await login(strict.address.port, ['--ssl', `--ssl-ca=${certs.ca}`, '--ssl-verify-server-cert', '-e', 'SELECT @@server_id']);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout.trim(), String(RELAY_SERVER_ID));
});

test('with require-secure-transport a plaintext login is refused with 1045, as MariaDB does', async () => {
  const result = await login(strict.address.port, ['--skip-ssl', '-e', 'SELECT 1']);
  assert.notEqual(result.code, 0);
  assert.match(result.stderr, /ERROR 1045 \(28000\): Access denied for user 'relay_repl'@'127\.0\.0\.1' \(using password: YES\)/);
});

test('without require-secure-transport a plaintext login is still allowed', async () => {
  const result = await login(stack.port, ['--skip-ssl', '-e', 'SELECT 1']);
  assert.equal(result.code, 0, result.stderr);
});

test('a client that trusts another CA refuses the relay certificate', async () => {
  const result = await login(stack.port, ['--ssl', `--ssl-ca=${certs.rogue.ca}`, '--ssl-verify-server-cert', '-e', 'SELECT 1']);
  assert.notEqual(result.code, 0);
  assert.match(result.stderr, /ERROR 2026 .*certificate/i);
  // The server is unharmed: a client with the right CA still gets in.
  const good = await login(stack.port, ['--ssl', `--ssl-ca=${certs.ca}`, '--ssl-verify-server-cert', '-e', 'SELECT 1']);
  assert.equal(good.code, 0, good.stderr);
});

test('with require-client-cert a replica presenting a certificate our CA signed replicates; clients without one, with a foreign one, or in plaintext are refused', async () => {
  const plain = await login(x509.address.port, ['--skip-ssl', '-e', 'SELECT 1']);
  assert.notEqual(plain.code, 0);
  assert.match(plain.stderr, /ERROR 1045 /, 'plaintext: access denied, as for require-secure-transport');
  const noCert = await login(x509.address.port, ['--ssl', `--ssl-ca=${certs.ca}`, '-e', 'SELECT 1']);
  assert.notEqual(noCert.code, 0, 'TLS without a client certificate');
  const foreign = await login(x509.address.port, ['--ssl', `--ssl-ca=${certs.ca}`, `--ssl-cert=${certs.rogue.cert}`, `--ssl-key=${certs.rogue.key}`, '-e', 'SELECT 1']);
  assert.notEqual(foreign.code, 0, 'a certificate another CA signed');
  const good = await login(x509.address.port, ['--ssl', `--ssl-ca=${certs.ca}`, `--ssl-cert=${certs.client.cert}`, `--ssl-key=${certs.client.key}`, '-e', 'SELECT @@server_id']);
  assert.equal(good.code, 0, good.stderr);

  // A real replica with its certificate, from where the first test's replica stands.
  await replica.exec('STOP SLAVE');
  await replica.exec(`CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=${x509.address.port}, MASTER_SSL=1, MASTER_SSL_CA='${certs.ca}',
    MASTER_SSL_CERT='${certs.client.cert}', MASTER_SSL_KEY='${certs.client.key}', MASTER_SSL_VERIFY_SERVER_CERT=1; START SLAVE`);
  await stack.up.exec("INSERT INTO app.t VALUES (4, 'x509')");
  const pos = await stack.caughtUp();
  await waitFor('the replica to reach the upstream position over the x509 server', async () => String((await replica.query('SELECT @@gtid_slave_pos AS p'))[0]!.p) === pos, 30_000);
  const [status] = await replica.query('SHOW SLAVE STATUS');
  assert.equal(status!.Slave_IO_Running, 'Yes');
  assert.equal(status!.Last_IO_Errno, 0);
  assert.equal(status!.Master_Port, x509.address.port);
});
