// The admin API over HTTPS (admin-tls): every node answers https only, and a follower forwards
// syncer calls to the leader over https, verifying the leader's certificate against admin-tls.ca;
// snapshot file transfers do the same. A cluster told to trust another CA refuses to forward
// rather than send its token to a node it cannot verify.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RelayCluster } from '../../helpers/relay-cluster.js';
import { freePort, mariadbCli } from '../../helpers/mariadb.js';
import { makeTestCertificates, type TestCertificates } from '../../helpers/test-certificates.js';
import { directoryBackend } from '../relaylog/binlog-file-server.js';
import { AdminListener } from '../../../api/admin-listener.js';
import { createAdminServer } from '../../../api/server.js';
import { DEFAULT_HTTP_LIMITS } from '../../../api/http-limits.js';
import { fetchFileRange } from '../../../src/relaylog/snapshot-transfer.js';
import { silentLogger } from '../../../src/logger.js';

const TOKEN = { BINRELAY_ADMIN_TOKEN: 'https-test-token' };
let dir: string;
let certs: TestCertificates;

function adminTlsArgs(ca: string): string[] {
  return ['--admin-tls.cert', certs.server.cert, '--admin-tls.key', certs.server.key, '--admin-tls.ca', ca];
}

async function follower(cluster: RelayCluster): Promise<number> {
  const leader = await cluster.waitForLeader();
  return (leader + 1) % cluster.nodes.length;
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'binrelay-https-'));
  certs = makeTestCertificates(dir);
});

after(() => rmSync(dir, { recursive: true, force: true }));

test('with admin-tls every node answers over https and a follower forwards syncer calls to the leader over https', async () => {
  const cluster = await RelayCluster.start(3, adminTlsArgs(certs.ca), TOKEN, { adminCa: certs.ca });
  try {
    const i = await follower(cluster);
    const health = await cluster.api(i, 'GET', '/healthz');
    assert.equal(health.status, 200);
    await assert.rejects(fetch(`http://${cluster.nodes[i]!.adminAddr}/healthz`, { signal: AbortSignal.timeout(5000) }), 'plain http gets no answer');

    const status = await cluster.api(i, 'GET', '/binlog/syncer/status');
    assert.equal(status.status, 200, JSON.stringify(status.body));
    assert.equal((status.body.data as { status: string }).status, 'stopped');
    const stop = await cluster.api(i, 'PUT', '/binlog/syncer/stop');
    assert.equal(stop.status, 200, JSON.stringify(stop.body));
  } finally {
    await cluster.stop();
  }
});

test('a binlog server started through the API takes binlog-server.tls and require-secure-transport from the node config', async () => {
  const cluster = await RelayCluster.start(1, [
    '--binlog-server.tls.cert', certs.server.cert, '--binlog-server.tls.key', certs.server.key, '--binlog-server.require-secure-transport', 'on',
  ]);
  try {
    const port = await freePort();
    const started = await cluster.api(0, 'PUT', '/binlog/server/start', { addr: `127.0.0.1:${port}`, user: 'relay', password: 'relay-pw' });
    assert.equal(started.status, 200, JSON.stringify(started.body));
    const login = (args: string[]): ReturnType<typeof mariadbCli> =>
      mariadbCli(['-h127.0.0.1', `-P${port}`, '-urelay', '-prelay-pw', ...args, '-e', 'SELECT 1']);
    const secure = await login(['--ssl', `--ssl-ca=${certs.ca}`, '--ssl-verify-server-cert']);
    assert.equal(secure.code, 0, secure.stderr);
    const plain = await login(['--skip-ssl']);
    assert.match(plain.stderr, /ERROR 1045/);
  } finally {
    await cluster.stop();
  }
});

test('a follower that cannot verify the leader certificate refuses to forward', async () => {
  const cluster = await RelayCluster.start(3, adminTlsArgs(certs.rogue.ca), TOKEN, { adminCa: certs.ca });
  try {
    const i = await follower(cluster);
    const status = await cluster.api(i, 'GET', '/binlog/syncer/status');
    assert.equal(status.status, 503);
    assert.equal(status.body.error?.code, 'UNAVAILABLE');
    assert.match(status.body.message, /certificate/i);
  } finally {
    await cluster.stop();
  }
});

test('snapshot file transfers fetch over https, verified with admin-tls.ca', async () => {
  const files = join(dir, 'binlogs');
  const data = randomBytes(300_000);
  mkdirSync(files);
  writeFileSync(join(files, 'up-bin.000001'), data);
  const listener = await AdminListener.bind('127.0.0.1', 0, DEFAULT_HTTP_LIMITS,
    { cert: readFileSync(certs.server.cert), key: readFileSync(certs.server.key) });
  const app = createAdminServer({ backend: directoryBackend(files), logger: silentLogger, listener });
  await app.ready();
  const address = listener.server.address();
  const baseUrl = `https://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  try {
    const dest = join(dir, 'copy.000001');
    await fetchFileRange({ baseUrl, ca: readFileSync(certs.ca), name: 'up-bin.000001', from: 0, to: data.length, destPath: dest, deadlineMs: 10_000 });
    assert.ok(readFileSync(dest).equals(data));
    await assert.rejects(fetchFileRange({
      baseUrl, ca: readFileSync(certs.rogue.ca), name: 'up-bin.000001', from: 0, to: data.length, destPath: join(dir, 'rogue.000001'), deadlineMs: 1500,
    }), /certificate|self-signed|unable to verify/i);
  } finally {
    await app.close();
    await listener.close();
  }
});
