// Logged-in sessions of the binlog server under hostile or broken clients: wait_timeout closes
// idle sessions but never a dump, a failing dump leaves no unhandled rejection behind, internals
// never reach the client, a dump file name past 512 bytes gets 1236, and protocol errors are
// logged under the flood guard. Real TCP on an empty one-node relay.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import mysql from 'mysql2/promise';
import type { BinlogServer } from '../../../src/server/binlog-server.js';
import { DEFAULT_BINLOG_SERVER_LIMITS } from '../../../src/server/server-limits.js';
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

async function rawLogin(server: BinlogServer): Promise<RawClient> {
  const c = await RawClient.connect(server.address.port);
  const { reply } = await c.login('repl', 'pw');
  assert.equal(reply.payload[0], 0x00);
  return c;
}

function dumpCommand(flags: number, serverId: number, file: string): Buffer {
  const p = Buffer.alloc(11 + Buffer.byteLength(file));
  p[0] = 0x12;
  p.writeUInt32LE(4, 1);
  p.writeUInt16LE(flags, 5);
  p.writeUInt32LE(serverId, 7);
  p.write(file, 11);
  return p;
}

test('wait-timeout closes an idle session but never one running a binlog dump (default 28800 s)', async () => {
  assert.equal(DEFAULT_BINLOG_SERVER_LIMITS.waitTimeoutMs, 28_800_000);
  const server = await serveRelay(local, { waitTimeoutMs: 300 });
  try {
    const idle = await rawLogin(server);
    const dumping = await rawLogin(server);
    // A blocking dump on an empty relay: it waits for the first binlog, sending nothing.
    dumping.write(0, dumpCommand(0, 77, ''));
    await waitFor('the dump to run', () => server.replicas().length === 1, 2000);
    const started = Date.now();
    await idle.closed;
    assert.ok(Date.now() - started < 2000);
    await new Promise((r) => setTimeout(r, 900));
    assert.equal(server.replicas().length, 1, 'the dump outlived three idle timeouts');
    assert.ok(!dumping.socket.destroyed);
    dumping.destroy();
  } finally {
    await server.stop();
  }
});

test('a dump whose end fails leaves no unhandled rejection; the session is dropped and the failure logged', async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };
  process.on('unhandledRejection', onUnhandled);
  // A log sink that fails at the dump's last line makes DumpStream.run() reject.
  const log = capturedLogger({
    hooks: {
      logMethod(args, method) {
        const first = args[0] as unknown;
        if (typeof first === 'object' && first !== null && (first as { event?: unknown }).event === 'server.dump.end') throw new Error('log sink failed');
        return method.apply(this, args);
      },
    },
  });
  const server = await serveRelay(local, {}, log.logger);
  try {
    const c = await rawLogin(server);
    c.write(0, dumpCommand(1, 0, '')); // non-blocking: 1236 at once on an empty relay
    assert.equal(errOf(await c.read()).code, 1236);
    await c.closed;
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(unhandled, []);
    await waitFor('the failure logged', () => log.events('server.session.error').length === 1, 2000);
  } finally {
    process.off('unhandledRejection', onUnhandled);
    await server.stop();
  }
});

test('a statement nested 100 000 deep is a syntax error, not "Maximum call stack size exceeded"', async () => {
  const server = await serveRelay(local, {});
  try {
    const client = await mysql.createConnection({ host: '127.0.0.1', port: server.address.port, user: 'repl', password: 'pw' });
    await assert.rejects(client.query(`SELECT ${'('.repeat(100_000)}1${')'.repeat(100_000)}`), (err: { errno?: number; sqlMessage?: string }) => {
      assert.equal(err.errno, 1064);
      assert.doesNotMatch(err.sqlMessage ?? '', /stack/);
      return true;
    });
    const [rows] = await client.query('SELECT 1 AS one');
    assert.deepEqual(rows, [{ one: 1 }]);
    await client.end();
  } finally {
    await server.stop();
  }
});

test('a dump file name over 512 bytes gets 1236 "Could not find first log file name in binary log index file"', async () => {
  const server = await serveRelay(local, {});
  try {
    const c = await rawLogin(server);
    c.write(0, dumpCommand(0, 78, 'x'.repeat(513)));
    assert.deepEqual(errOf(await c.read()), { code: 1236, message: 'Could not find first log file name in binary log index file' });
    c.destroy();
  } finally {
    await server.stop();
  }
});

test('protocol errors from 30 clients are logged at most 20 times a minute, the rest counted', async () => {
  const log = capturedLogger();
  const server = await serveRelay(local, {}, log.logger);
  try {
    for (let i = 0; i < 30; i++) {
      const c = await RawClient.connect(server.address.port);
      await c.read();
      c.socket.write(Buffer.from([0xff, 0xff, 0xff, 0x01]));
      assert.equal(errOf(await c.read()).code, 1153);
      c.destroy();
    }
  } finally {
    await server.stop();
  }
  await waitFor('the summary line', () => log.events('server.log.suppressed').length === 1, 2000);
  assert.equal(log.events('server.protocol.error').length, 20);
  assert.deepEqual(log.events('server.log.suppressed').map((l) => [l.of, l.suppressed]), [['server.protocol.error', 10]]);
});
