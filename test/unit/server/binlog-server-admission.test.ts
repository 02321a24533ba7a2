// Who gets a connection to the binlog server, and on what terms, before logging in: packet size,
// per-address and total handshake slots with room kept for known replicas, the handshake deadline,
// backoff after failed logins, and no server without a password. Real TCP and a mysql2 client;
// other loopback addresses (127.0.0.2 …) stand for other hosts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import mysql from 'mysql2/promise';
import { BinlogServer, BinlogServerError } from '../../../src/server/binlog-server.js';
import { DEFAULT_BINLOG_SERVER_LIMITS } from '../../../src/server/server-limits.js';
import { silentLogger } from '../../../src/logger.js';
import { serveRelay, errOf } from '../../helpers/binlog-server-on-relay.js';
import { openLocalRelay, waitFor, type LocalRelay } from '../../helpers/local-relay.js';
import { capturedLogger } from '../../helpers/captured-logger.js';
import { RawClient } from '../../e2e/mysql/raw-client.js';

let local: LocalRelay;

before(async () => {
  local = await openLocalRelay();
});

after(async () => {
  await local?.close();
});

/** A mysql2 login from loopback address `from` (mysql2 ignores its own localAddress option). */
function login(server: BinlogServer, from = '127.0.0.1', password = 'pw'): Promise<mysql.Connection> {
  const stream = connect({ port: server.address.port, host: '127.0.0.1', localAddress: from });
  return mysql.createConnection({ stream, user: 'repl', password, connectTimeout: 5000 });
}

/** A client that connects from `from` and reads the greeting, then says nothing. */
async function halfOpen(server: BinlogServer, from: string): Promise<RawClient> {
  const c = await RawClient.connect(server.address.port, from);
  assert.equal((await c.read()).payload[0], 10, 'a greeting');
  return c;
}

test('an unauthenticated socket announcing a giant payload is cut off with ERR 1153, and the server does not buffer it', async () => {
  const server = await serveRelay(local);
  try {
    const c = await RawClient.connect(server.address.port);
    await c.read(); // greeting
    const rssBefore = process.memoryUsage.rss();
    // A "payload" of 96 MiB in 0xFFFFFF-byte packets: the old server kept all of it (1 GiB limit).
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    let closed = false;
    void c.closed.then(() => (closed = true));
    let sent = 0;
    let seq = 1;
    const reply = c.read(10_000);
    while (sent < 96 * 1024 * 1024 && !closed) {
      if (sent % 0xffffff === 0) c.socket.write(Buffer.from([0xff, 0xff, 0xff, seq++]));
      const part = chunk.subarray(0, Math.min(chunk.length, 0xffffff - (sent % 0xffffff)));
      sent += part.length;
      if (!c.socket.write(part)) await Promise.race([once(c.socket, 'drain'), c.closed, new Promise((r) => setTimeout(r, 200))]);
    }
    const err = errOf(await reply);
    assert.equal(err.code, 1153);
    assert.equal(err.message, "Got a packet bigger than 'max_allowed_packet' bytes");
    const growth = (process.memoryUsage.rss() - rssBefore) / 2 ** 20;
    assert.ok(growth < 32, `RSS grew by ${growth.toFixed(0)} MiB`);
    c.destroy();
  } finally {
    await server.stop();
  }
});

test('the handshake-per-address cap refuses connection N+1 from one host with 1040 while a replica from another logs in', async () => {
  const server = await serveRelay(local, { maxHandshakesPerIp: 3 });
  const held: RawClient[] = [];
  try {
    for (let i = 0; i < 3; i++) held.push(await halfOpen(server, '127.0.0.2'));
    const refused = await RawClient.connect(server.address.port, '127.0.0.2');
    assert.deepEqual(errOf(await refused.read()), { code: 1040, message: 'Too many connections' });
    await refused.closed;
    const replica = await login(server);
    const [rows] = await replica.query('SELECT 1 AS one');
    assert.deepEqual(rows, [{ one: 1 }]);
    await replica.end();
  } finally {
    for (const c of held) c.destroy();
    await server.stop();
  }
});

test('handshake slots kept for known replica addresses: a flood from other hosts fills the shared pool, a known replica still logs in', async () => {
  const server = await serveRelay(local, { maxConnections: 20, maxHandshakes: 4, maxHandshakesPerIp: 2, replicaHandshakes: 2 });
  const held: RawClient[] = [];
  try {
    await (await login(server)).end(); // 127.0.0.1 is now a replica's address
    for (const from of ['127.0.0.3', '127.0.0.3', '127.0.0.4', '127.0.0.4']) held.push(await halfOpen(server, from));
    const stranger = await RawClient.connect(server.address.port, '127.0.0.5');
    assert.equal(errOf(await stranger.read()).code, 1040);
    const replica = await login(server);
    await replica.query('SELECT 1');
    await replica.end();
  } finally {
    for (const c of held) c.destroy();
    await server.stop();
  }
});

test('a connection that does not log in within handshake-timeout is closed (default 5 s)', async () => {
  assert.equal(DEFAULT_BINLOG_SERVER_LIMITS.handshakeTimeoutMs, 5000);
  const server = await serveRelay(local, { handshakeTimeoutMs: 300 });
  try {
    const c = await halfOpen(server, '127.0.0.1');
    const started = Date.now();
    await c.closed;
    assert.ok(Date.now() - started < 2000);
  } finally {
    await server.stop();
  }
});

test('failed logins back off per address (1129 before the greeting), are logged rate-limited without secrets, and a login clears them', async () => {
  const log = capturedLogger();
  const server = await serveRelay(local, {}, log.logger);
  try {
    for (let i = 0; i < 4; i++) {
      await assert.rejects(login(server, '127.0.0.2', 'guess-hunter2'), { errno: 1045 });
    }
    const blocked = await RawClient.connect(server.address.port, '127.0.0.2');
    const err = errOf(await blocked.read());
    assert.equal(err.code, 1129);
    assert.match(err.message, /^Host '127\.0\.0\.2' is blocked because of many connection errors; retry in 1 s$/);
    const other = await login(server, '127.0.0.1');
    await other.end();
    await new Promise((r) => setTimeout(r, 1100));
    const back = await login(server, '127.0.0.2');
    await back.end();
    const failed = log.events('server.auth.failed');
    assert.equal(failed.length, 4);
    assert.deepEqual(failed.map((l) => [l.remote, l.user, l.failures]), [1, 2, 3, 4].map((n) => ['127.0.0.2', 'repl', n]));
    assert.equal(failed[3]!.blockedForMs, 1000);
    assert.equal(log.events('server.connect.refused')[0]?.reason, 'blocked after failed logins');
    assert.ok(!JSON.stringify(log.lines).includes('hunter2'), 'no password in the log');
  } finally {
    await server.stop();
  }
});

test('a flood of failed logins from many addresses logs at most 20 lines a minute, then a count', async () => {
  const log = capturedLogger();
  const server = await serveRelay(local, {}, log.logger);
  try {
    for (let i = 0; i < 30; i++) {
      await assert.rejects(login(server, `127.0.1.${i + 1}`, 'nope'), { errno: 1045 });
    }
    await waitFor('all 30 failures counted', () => log.events('server.auth.failed').length === 20, 2000);
  } finally {
    await server.stop();
  }
  await waitFor('the summary line', () => log.events('server.log.suppressed').length === 1, 2000);
  assert.deepEqual(log.events('server.log.suppressed').map((l) => [l.of, l.suppressed]), [['server.auth.failed', 10]]);
});

test('refuses to start with an empty password, saying what to set', async () => {
  await assert.rejects(
    BinlogServer.start({
      settings: { addr: '127.0.0.1:0', user: 'repl', password: '' },
      relay: local.relay, serverId: 1, serverUuid: '5e5e5e5e-0000-4000-8000-000000000004', logger: silentLogger,
    }),
    (err: unknown) => err instanceof BinlogServerError && err.code === 'SERVER_EMPTY_PASSWORD' && /binlog-server\.password/.test(err.message),
  );
});

test('refuses limits that would let handshakes take every connection slot', async () => {
  await assert.rejects(serveRelay(local, { maxConnections: 10 }), (err: unknown) => err instanceof BinlogServerError && err.code === 'SERVER_BAD_LIMITS');
});
