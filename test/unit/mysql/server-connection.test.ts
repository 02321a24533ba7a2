import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type AddressInfo, type Server, createServer } from 'node:net';
import { once } from 'node:events';
import { ServerConnection, type ServerConnectionOptions } from '../../../src/mysql/server-connection.js';
import type { CommandHandler, CommandHandlerFactory } from '../../../src/mysql/command-handler.js';
import { MYSQL_TYPE_LONGLONG } from '../../../src/mysql/column-types.js';
import { CLIENT_DEPRECATE_EOF as SERVER_DEPRECATE_EOF } from '../../../src/mysql/capability-flags.js';
import { flavorDefaults } from '../../../src/mysql/flavor.js';
import {
  CLIENT_DEPRECATE_EOF,
  RAW_CLIENT_FLAGS,
  RawClient,
  type RawPacket,
  buildHandshakeResponse,
  nativeToken,
  parseGreeting,
  sha2Token,
} from '../../e2e/mysql/raw-client.js';

const COM_QUERY = 0x03;
const COM_INIT_DB = 0x02;
const COM_PING = 0x0e;
const COM_QUIT = 0x01;
const COM_BINLOG_DUMP = 0x12;

const servers: Server[] = [];
after(() => {
  for (const s of servers) s.close();
});

interface Harness {
  port: number;
  conns: ServerConnection[];
}

async function startServer(
  handler: CommandHandler | CommandHandlerFactory,
  options: Partial<ServerConnectionOptions> = {},
  users: Record<string, { password: string; plugin?: 'mysql_native_password' | 'caching_sha2_password' }> = {
    repl: { password: 'replpw' },
  },
): Promise<Harness> {
  const conns: ServerConnection[] = [];
  let nextId = 100;
  const server = createServer((socket) => {
    conns.push(
      new ServerConnection(socket, {
        connectionId: nextId++,
        authenticate: (user) => users[user] ?? null,
        handler,
        ...options,
      }),
    );
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: (server.address() as AddressInfo).port, conns };
}

const selectOne: CommandHandler = {
  onQuery(sql, conn) {
    if (sql === 'SELECT 1') conn.sendResultSet([{ name: '1', type: MYSQL_TYPE_LONGLONG }], [[1]]);
    else conn.sendError(1064, `bad: ${sql}`);
  },
};

function query(sql: string): Buffer {
  return Buffer.concat([Buffer.from([COM_QUERY]), Buffer.from(sql)]);
}

async function loggedIn(h: Harness): Promise<RawClient> {
  const c = await RawClient.connect(h.port);
  const { reply } = await c.login('repl', 'replpw');
  assert.equal(reply.payload[0], 0x00, 'login should succeed');
  return c;
}

/** Reads a classic text result set; returns the packets' sequence ids and the row values. */
async function readResultSet(c: RawClient): Promise<{ seqs: number[]; rows: string[][] }> {
  const seqs: number[] = [];
  const first = await c.read();
  seqs.push(first.seq);
  const columns = first.payload[0]!;
  for (let i = 0; i < columns; i++) seqs.push((await c.read()).seq);
  const eof = await c.read();
  assert.equal(eof.payload[0], 0xfe);
  seqs.push(eof.seq);
  const rows: string[][] = [];
  for (;;) {
    const p = await c.read();
    seqs.push(p.seq);
    if (p.payload[0] === 0xfe && p.payload.length < 9) return { seqs, rows };
    const row: string[] = [];
    let o = 0;
    for (let i = 0; i < columns; i++) {
      const len = p.payload[o++]!;
      row.push(p.payload.toString('utf8', o, o + len));
      o += len;
    }
    rows.push(row);
  }
}

function errOf(p: RawPacket): { code: number; state: string; message: string } {
  assert.equal(p.payload[0], 0xff, `expected ERR, got 0x${p.payload[0]?.toString(16)}`);
  return { code: p.payload.readUInt16LE(1), state: p.payload.toString('latin1', 4, 9), message: p.payload.toString('utf8', 9) };
}

describe('ServerConnection handshake', () => {
  it('greets at seq 0 with its connection id and answers a good login with OK at seq 2', async () => {
    const h = await startServer(selectOne);
    const c = await RawClient.connect(h.port);
    const { greeting, reply } = await c.login('repl', 'replpw');
    assert.equal(greeting.protocolVersion, 10);
    assert.equal(greeting.connectionId, 100);
    assert.equal(greeting.authPluginName, 'mysql_native_password');
    assert.equal(reply.seq, 2);
    assert.deepEqual(reply.payload, Buffer.from('00000002000000', 'hex'));
    assert.equal(h.conns[0]!.user, 'repl');
    assert.equal(h.conns[0]!.state, 'command');
    assert.equal(h.conns[0]!.connectAttributes._client_name, 'raw-test-client');
    c.destroy();
  });

  it('answers a wrong password with ERR 1045 28000 at seq 2 and closes', async () => {
    const h = await startServer(selectOne);
    const c = await RawClient.connect(h.port);
    const { reply } = await c.login('repl', 'wrong');
    assert.equal(reply.seq, 2);
    assert.deepEqual(errOf(reply), {
      code: 1045,
      state: '28000',
      message: "Access denied for user 'repl'@'127.0.0.1' (using password: YES)",
    });
    await c.closed;
  });

  it('switches plugins with AuthSwitchRequest at seq 2 and finishes at seq 4 and 5', async () => {
    const h = await startServer(selectOne, {}, { repl: { password: 'replpw', plugin: 'caching_sha2_password' } });
    const c = await RawClient.connect(h.port);
    const { greeting, reply } = await c.login('repl', 'replpw');
    assert.equal(reply.seq, 2);
    assert.equal(reply.payload[0], 0xfe);
    const nameEnd = reply.payload.indexOf(0, 1);
    assert.equal(reply.payload.toString('latin1', 1, nameEnd), 'caching_sha2_password');
    assert.deepEqual(reply.payload.subarray(nameEnd + 1, nameEnd + 21), greeting.scramble);
    c.write(3, sha2Token('replpw', greeting.scramble));
    const more = await c.read();
    assert.equal(more.seq, 4);
    assert.deepEqual(more.payload, Buffer.from([0x01, 0x03]));
    const ok = await c.read();
    assert.equal(ok.seq, 5);
    assert.equal(ok.payload[0], 0x00);
    c.destroy();
  });

  it('denies a wrong password after an auth switch with ERR 1045 at seq 4', async () => {
    const h = await startServer(selectOne, {}, { repl: { password: 'replpw', plugin: 'caching_sha2_password' } });
    const c = await RawClient.connect(h.port);
    const { greeting } = await c.login('repl', 'replpw');
    c.write(3, sha2Token('nope', greeting.scramble));
    const err = await c.read();
    assert.equal(err.seq, 4);
    assert.equal(errOf(err).code, 1045);
  });

  it('answers a caching_sha2 login with 01 03 at seq 2 and OK at seq 3', async () => {
    const h = await startServer(selectOne, { flavor: 'mysql' });
    const c = await RawClient.connect(h.port);
    const { greeting, reply } = await c.login('repl', 'replpw', 'caching_sha2_password');
    assert.equal(greeting.authPluginName, 'caching_sha2_password');
    assert.equal(reply.seq, 2);
    assert.deepEqual(reply.payload, Buffer.from([0x01, 0x03]));
    const ok = await c.read();
    assert.equal(ok.seq, 3);
    assert.equal(ok.payload[0], 0);
    c.destroy();
  });

  it('closes a connection that does not authenticate within handshakeTimeoutMs', async () => {
    const h = await startServer(selectOne, { handshakeTimeoutMs: 100 });
    const c = await RawClient.connect(h.port);
    await c.read(); // greeting; then say nothing
    await c.closed;
    const conn = h.conns[0]!;
    if (conn.state !== 'closed') await once(conn, 'close');
    assert.equal(conn.user, null);
  });

  it('calls a handler factory once per authenticated connection and emits authenticated', async () => {
    const made: number[] = [];
    const h = await startServer((conn: ServerConnection) => {
      made.push(conn.id);
      return selectOne;
    });
    const c = await RawClient.connect(h.port);
    const hello = parseGreeting((await c.read()).payload);
    const authenticated = new Promise<string>((resolve) => h.conns[0]!.once('authenticated', resolve));
    c.write(1, buildHandshakeResponse({ user: 'repl', authResponse: nativeToken('replpw', hello.scramble), pluginName: 'mysql_native_password' }));
    assert.equal(await authenticated, 'repl');
    assert.deepEqual(made, [100]);
    c.destroy();
  });
});

describe('ServerConnection commands', () => {
  it("starts each reply at the client's sequence id + 1 and numbers a result set consecutively", async () => {
    const h = await startServer(selectOne);
    const c = await loggedIn(h);
    c.write(0, Buffer.from([COM_PING]));
    const pong = await c.read();
    assert.equal(pong.seq, 1);
    assert.equal(pong.payload[0], 0);
    c.write(0, query('SELECT 1'));
    const rs = await readResultSet(c);
    assert.deepEqual(rs.seqs, [1, 2, 3, 4, 5]);
    assert.deepEqual(rs.rows, [['1']]);
    c.destroy();
  });

  it('sets the database on COM_INIT_DB and closes without a reply on COM_QUIT', async () => {
    const h = await startServer(selectOne);
    const c = await loggedIn(h);
    c.write(0, Buffer.concat([Buffer.from([COM_INIT_DB]), Buffer.from('binlogs')]));
    assert.equal((await c.read()).payload[0], 0);
    assert.equal(h.conns[0]!.database, 'binlogs');
    c.write(0, Buffer.from([COM_QUIT]));
    await c.closed;
    await assert.rejects(c.read(100), /closed/);
  });

  it('answers a bare ERR 1105 "Unknown error" when a handler throws, keeps the detail for the log, and the session stays usable', async () => {
    const errors: unknown[] = [];
    const h = await startServer({
      onQuery(sql, conn) {
        if (sql === 'boom') throw new RangeError('Maximum call stack size exceeded');
        selectOne.onQuery(sql, conn);
      },
    });
    const c = await loggedIn(h);
    h.conns[0]!.on('handlerError', (e) => errors.push(e));
    c.write(0, query('boom'));
    const err = await c.read();
    assert.equal(err.seq, 1);
    assert.deepEqual(errOf(err), { code: 1105, state: 'HY000', message: 'Unknown error' }, 'internals never reach the client');
    assert.equal(errors.length, 1);
    assert.match((errors[0] as Error).message, /Maximum call stack/, 'the detail goes to the handlerError listener (the log)');
    c.write(0, query('SELECT 1'));
    assert.deepEqual((await readResultSet(c)).rows, [['1']]);
    c.destroy();
  });

  it('answers ERR 1105 for a query the handler left unanswered', async () => {
    const h = await startServer({ onQuery: async () => undefined });
    const c = await loggedIn(h);
    c.write(0, query('anything'));
    assert.equal(errOf(await c.read()).code, 1105);
    c.destroy();
  });

  it('answers ERR 1153 to a packet above maxPacketSize and closes', async () => {
    const h = await startServer(selectOne, { maxPacketSize: 1000 });
    const c = await loggedIn(h);
    c.write(0, query('x'.repeat(2000)));
    const err = errOf(await c.read());
    assert.equal(err.code, 1153);
    assert.equal(err.state, '08S01');
    await c.closed;
  });

  it('passes other commands to onCommand with the command byte and answers 1047 when it declines', async () => {
    const seen: [number, string][] = [];
    const h = await startServer({
      ...selectOne,
      onCommand(command, payload, conn) {
        seen.push([command, payload.toString('hex')]);
        if (command !== 0x15) return false;
        conn.sendOk();
        return true;
      },
    });
    const c = await loggedIn(h);
    c.write(0, Buffer.from('1502000000', 'hex'));
    assert.equal((await c.read()).payload[0], 0);
    c.write(0, Buffer.from([0x1e, 0, 0]));
    const err = errOf(await c.read());
    assert.equal(err.code, 1047);
    assert.deepEqual(seen, [
      [0x15, '1502000000'],
      [0x1e, '1e0000'],
    ]);
    c.destroy();
  });
});

describe('ServerConnection with CLIENT_DEPRECATE_EOF advertised', () => {
  const withDeprecateEof = { capabilities: flavorDefaults('mariadb').capabilities | SERVER_DEPRECATE_EOF };

  it('ends a result set with OK(0xfe) and no column EOF when the client sets the flag too', async () => {
    const h = await startServer(selectOne, withDeprecateEof);
    const c = await RawClient.connect(h.port);
    const { greeting, reply } = await c.login('repl', 'replpw', 'mysql_native_password', RAW_CLIENT_FLAGS | CLIENT_DEPRECATE_EOF);
    assert.ok(greeting.capabilities & CLIENT_DEPRECATE_EOF);
    assert.equal(reply.payload[0], 0);
    assert.equal(h.conns[0]!.deprecateEof, true);
    c.write(0, query('SELECT 1'));
    const packets: RawPacket[] = [];
    for (let i = 0; i < 4; i++) packets.push(await c.read());
    assert.deepEqual(
      packets.map((p) => p.seq),
      [1, 2, 3, 4],
    );
    assert.deepEqual(packets[2]!.payload, Buffer.from('0131', 'hex'));
    assert.deepEqual(packets[3]!.payload, Buffer.from('fe000002000000', 'hex'));
    c.destroy();
  });

  it('keeps classic EOF packets for a client that does not set it', async () => {
    const h = await startServer(selectOne, withDeprecateEof);
    const c = await loggedIn(h);
    assert.equal(h.conns[0]!.deprecateEof, false);
    c.write(0, query('SELECT 1'));
    assert.deepEqual((await readResultSet(c)).seqs, [1, 2, 3, 4, 5]);
    c.destroy();
  });
});

describe('ServerConnection streaming and lifecycle', () => {
  it('splits a 20 MiB payload into 0xFFFFFF packets continuing the sequence', async () => {
    const big = Buffer.alloc(20 * 1024 * 1024, 0x61);
    const h = await startServer({
      ...selectOne,
      onCommand(_command, _payload, conn) {
        conn.writePayload(Buffer.from([0x00, 0x01]));
        conn.writePayload(big);
        conn.sendEof();
        return true;
      },
    });
    const c = await loggedIn(h);
    c.write(0, Buffer.from([COM_BINLOG_DUMP]));
    const packets: RawPacket[] = [];
    for (let i = 0; i < 4; i++) packets.push(await c.read());
    assert.deepEqual(
      packets.map((p) => [p.seq, p.payload.length]),
      [
        [1, 2],
        [2, 0xffffff],
        [3, big.length - 0xffffff],
        [4, 5],
      ],
    );
    assert.ok(Buffer.concat([packets[1]!.payload, packets[2]!.payload]).equals(big));
    c.destroy();
  });

  it('wraps sequence ids modulo 256 over a long stream', async () => {
    const h = await startServer({
      ...selectOne,
      onCommand(_c, _p, conn) {
        for (let i = 0; i < 300; i++) conn.writePayload(Buffer.from([0, i & 0xff]));
        return true;
      },
    });
    const c = await loggedIn(h);
    c.write(0, Buffer.from([COM_BINLOG_DUMP]));
    const seqs: number[] = [];
    for (let i = 0; i < 300; i++) seqs.push((await c.read()).seq);
    assert.deepEqual(seqs, Array.from({ length: 300 }, (_, i) => (i + 1) % 256));
    c.destroy();
  });

  it('reports back-pressure from writePayload and resolves waitForDrain once the client reads', async () => {
    let sawFull = false;
    let written = 0;
    const done = new Promise<void>((resolveDone) => {
      void startServer({
        ...selectOne,
        async onCommand(_c, _p, conn) {
          const chunk = Buffer.alloc(1024 * 1024, 1);
          while (written < 64) {
            written++;
            if (!conn.writePayload(chunk)) {
              sawFull = true;
              break;
            }
          }
          await conn.waitForDrain();
          conn.sendEof();
          resolveDone();
          return true;
        },
      }).then(async (h) => {
        const c = await loggedIn(h);
        c.socket.pause();
        c.write(0, Buffer.from([COM_BINLOG_DUMP]));
        setTimeout(() => c.socket.resume(), 200);
        let last: RawPacket;
        for (;;) {
          last = await c.read();
          if (last.payload.length === 5 && last.payload[0] === 0xfe) break;
        }
        c.destroy();
      });
    });
    await done;
    assert.equal(sawFull, true);
    assert.ok(written < 64, 'the socket buffer should fill before 64 MiB');
  });

  it("emits close once when the client vanishes mid-stream; later writes return false and don't throw", async () => {
    let closes = 0;
    let streaming: ServerConnection | null = null;
    const started = new Promise<void>((resolveStarted) => {
      void startServer({
        ...selectOne,
        onCommand(_c, _p, conn) {
          streaming = conn;
          conn.on('close', () => closes++);
          resolveStarted();
          return new Promise<boolean>((resolve) => conn.once('close', () => resolve(true)));
        },
      }).then(async (h) => {
        const c = await loggedIn(h);
        c.write(0, Buffer.from([COM_BINLOG_DUMP]));
        await started;
        c.socket.end(); // FIN, as a replica's STOP SLAVE does
      });
    });
    await started;
    const conn = streaming as unknown as ServerConnection;
    if (conn.state !== 'closed') await once(conn, 'close');
    conn.destroy();
    conn.close();
    assert.equal(closes, 1);
    assert.equal(conn.writable, false);
    assert.equal(conn.sendOk(), false);
    assert.equal(conn.writePayload(Buffer.alloc(100_000)), false);
    assert.equal(conn.sendResultSet([{ name: 'a' }], [['b']]), false);
    await conn.waitForDrain();
  });
});

describe('ServerConnection limits', () => {
  it('cuts off a client that announces a payload over 64 KiB before logging in, with ERR 1153', async () => {
    const h = await startServer(selectOne);
    const c = await RawClient.connect(h.port);
    await c.read(); // greeting
    c.socket.write(Buffer.from([0xff, 0xff, 0xff, 0x01])); // "16 MiB follow": nothing is buffered for it
    const err = errOf(await c.read());
    assert.equal(err.code, 1153);
    await c.closed;
    assert.equal(h.conns[0]!.user, null);
  });

  it('takes packets up to maxPacketSize once logged in (64 KiB is the pre-login limit only)', async () => {
    const h = await startServer({
      onQuery(sql, conn) {
        conn.sendOk({ affectedRows: sql.length });
      },
    }, { maxPacketSize: 1024 * 1024 });
    const c = await loggedIn(h);
    c.write(0, query('x'.repeat(512 * 1024)));
    const ok = await c.read();
    assert.equal(ok.payload[0], 0x00);
    c.write(0, query('x'.repeat(1024 * 1024)));
    assert.equal(errOf(await c.read()).code, 1153);
    await c.closed;
  });

  it('closes a logged-in connection idle for idleTimeoutMs (wait_timeout), never one busy in a command', async () => {
    const h = await startServer({
      ...selectOne,
      async onCommand(_command, _payload, conn) {
        await new Promise((resolve) => setTimeout(resolve, 600)); // a command that streams for a while
        conn.sendOk();
        return true;
      },
    }, { idleTimeoutMs: 200 });
    const c = await loggedIn(h);
    const conn = h.conns[0]!;
    let idled = 0;
    conn.on('idleTimeout', () => idled++);
    c.write(0, Buffer.from([COM_BINLOG_DUMP]));
    assert.equal((await c.read(2000)).payload[0], 0x00, 'the command outlived the idle timeout');
    assert.equal(idled, 0);
    const quietSince = Date.now();
    await c.closed;
    const quietMs = Date.now() - quietSince;
    assert.equal(idled, 1);
    assert.ok(quietMs >= 150 && quietMs < 2000, `closed after ${quietMs} ms idle`);
  });

  it("emits authFailed with the user's name when a login is refused", async () => {
    const h = await startServer(selectOne);
    const c = await RawClient.connect(h.port);
    const hello = parseGreeting((await c.read()).payload);
    const failed = new Promise<string>((resolve) => h.conns[0]!.once('authFailed', resolve));
    c.write(1, buildHandshakeResponse({ user: 'repl', authResponse: nativeToken('wrong', hello.scramble), pluginName: 'mysql_native_password' }));
    assert.equal(await failed, 'repl');
    assert.equal(errOf(await c.read()).code, 1045);
    await c.closed;
  });
});
