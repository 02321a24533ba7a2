// `binrelay health [HOST:PORT]` (the image's HEALTHCHECK), run as the compiled CLI against small
// listeners: 0 for a 200 from /healthz over HTTP or HTTPS (admin-tls), 1 otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer as createHttp, type Server } from 'node:http';
import { createServer as createHttps } from 'node:https';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../helpers/mariadb.js';
import { makeTestCertificates } from '../../helpers/test-certificates.js';

const CLI = fileURLToPath(new URL('../../../src/cli.js', import.meta.url));

function health(addr: string): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, 'health', addr], (err, _stdout, stderr) => resolve({ code: err ? Number(err.code) : 0, stderr }));
  });
}

async function listening(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `127.0.0.1:${(server.address() as { port: number }).port}`;
}

const answering = (status: number) => (req: { url?: string }, res: { writeHead(s: number): void; end(): void }): void => {
  res.writeHead(req.url === '/healthz' ? status : 404);
  res.end();
};

test('0 when /healthz answers 200, 1 when it answers 503 or nothing listens', async () => {
  const ok = createHttp(answering(200));
  const failed = createHttp(answering(503));
  try {
    assert.equal((await health(await listening(ok))).code, 0);
    const unhealthy = await health(await listening(failed));
    assert.equal(unhealthy.code, 1);
    assert.match(unhealthy.stderr, /GET \/healthz answered 503/);
    const refused = await health(`127.0.0.1:${await freePort()}`);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /ECONNREFUSED/);
  } finally {
    ok.close();
    failed.close();
  }
});

test('an admin API with admin-tls is asked over HTTPS', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'binrelay-health-'));
  const certs = makeTestCertificates(dir);
  const server = createHttps({ cert: readFileSync(certs.server.cert), key: readFileSync(certs.server.key) }, answering(200));
  try {
    assert.equal((await health(await listening(server))).code, 0);
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
