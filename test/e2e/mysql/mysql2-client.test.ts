// mysql2 (the Node client the syncer uses) against servers built from src/mysql/, in both
// flavors and both authentication plugins, including AuthSwitch in each direction.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import mysql from 'mysql2/promise';
import { type SampleServer, startSampleServer } from './sample-server.js';

interface ServerError {
  errno: number;
  sqlState: string;
  message: string;
}

function serverError(e: unknown): ServerError {
  if (typeof e !== 'object' || e === null || !('errno' in e)) throw new Error(`not a server error: ${String(e)}`);
  const { errno, sqlState, message } = e as { errno: unknown; sqlState: unknown; message: unknown };
  return { errno: Number(errno), sqlState: String(sqlState), message: String(message) };
}

function connect(port: number, user = 'repl', password = 'replpw'): Promise<mysql.Connection> {
  return mysql.createConnection({ host: '127.0.0.1', port, user, password });
}

describe('mysql2 against a MariaDB-flavored server (mysql_native_password)', () => {
  let s: SampleServer;
  before(async () => {
    // max_allowed_packet above the 16 MiB default, for the 20 MB query below.
    s = await startSampleServer({ maxPacketSize: 64 * 1024 * 1024 });
  });
  after(() => s.close());

  it('connects, sees our connection id, and reads a result set with NULL', async () => {
    const c = await connect(s.port);
    try {
      assert.equal(s.server.getConnection(c.threadId)?.user, 'repl');
      const [rows] = await c.query('SELECT id, name, note FROM fruits');
      assert.deepEqual(rows, [
        { id: 1, name: 'apple', note: null },
        { id: 2, name: 'banana', note: 'yellow' },
        { id: 3, name: 'cherry', note: 'red, small' },
      ]);
    } finally {
      await c.end();
    }
  });

  it('rejects a wrong password with errno 1045 and SQLSTATE 28000', async () => {
    await assert.rejects(connect(s.port, 'repl', 'nope'), (e: unknown) => {
      assert.deepEqual(serverError(e), {
        errno: 1045,
        sqlState: '28000',
        message: "Access denied for user 'repl'@'127.0.0.1' (using password: YES)",
      });
      return true;
    });
  });

  it('rejects an unknown statement with errno 1064, then answers on the same connection', async () => {
    const c = await connect(s.port);
    try {
      await assert.rejects(c.query('BOGUS STATEMENT'), (e: unknown) => {
        const err = serverError(e);
        assert.equal(err.errno, 1064);
        assert.equal(err.sqlState, '42000');
        assert.match(err.message, /near 'BOGUS STATEMENT' at line 1$/);
        return true;
      });
      const [rows] = await c.query('SELECT 1');
      assert.deepEqual(rows, [{ 1: 1 }]);
      assert.deepEqual(s.queries.get(c.threadId), ['BOGUS STATEMENT', 'SELECT 1']);
    } finally {
      await c.end();
    }
  });

  it('answers a ping', async () => {
    const c = await connect(s.port);
    try {
      await c.ping();
      await c.ping();
    } finally {
      await c.end();
    }
  });

  it('logs in a user with an empty password', async () => {
    const c = await connect(s.port, 'empty', '');
    await c.end();
  });

  it('reassembles a 20 MB query that mysql2 split into 0xFFFFFF packets', async () => {
    const c = await connect(s.port);
    try {
      const body = 'y'.repeat(20 * 1024 * 1024);
      const [rows] = await c.query(`SELECT LENGTH('${body}')`);
      assert.deepEqual(rows, [{ len: body.length }]);
    } finally {
      await c.end();
    }
  });

  it('sends a 17 MB value that mysql2 reassembles from split packets', async () => {
    const c = await connect(s.port);
    try {
      const [rows] = await c.query("SELECT REPEAT('x', 17000000)");
      const value = (rows as { big: string }[])[0]!.big;
      assert.equal(value.length, 17_000_000);
      assert.ok(/^x+$/.test(value));
    } finally {
      await c.end();
    }
  });

  it('switches an account that uses caching_sha2_password with AuthSwitchRequest', async () => {
    const sw = await startSampleServer({ users: { repl: { password: 'replpw', plugin: 'caching_sha2_password' } } });
    try {
      const c = await connect(sw.port);
      assert.equal(sw.server.getConnection(c.threadId)?.authPlugin, 'caching_sha2_password');
      await c.query('SELECT 1');
      await c.end();
      await assert.rejects(connect(sw.port, 'repl', 'bad'), (e: unknown) => serverError(e).errno === 1045);
    } finally {
      await sw.close();
    }
  });

  it('refuses a connection over maxConnections with errno 1040', async () => {
    const small = await startSampleServer({ maxConnections: 1 });
    try {
      const first = await connect(small.port);
      await assert.rejects(connect(small.port), (e: unknown) => serverError(e).errno === 1040);
      await first.end();
    } finally {
      await small.close();
    }
  });
});

describe('mysql2 against a MySQL-flavored server (caching_sha2_password fast path)', () => {
  let s: SampleServer;
  before(async () => {
    s = await startSampleServer({ flavor: 'mysql' });
  });
  after(() => s.close());

  it('logs in with the default authPlugins and queries', async () => {
    const c = await connect(s.port);
    try {
      assert.equal(s.server.getConnection(c.threadId)?.authPlugin, 'caching_sha2_password');
      const [rows] = await c.query('SELECT 1');
      assert.deepEqual(rows, [{ 1: 1 }]);
    } finally {
      await c.end();
    }
  });

  it('rejects a wrong password with errno 1045', async () => {
    await assert.rejects(connect(s.port, 'repl', 'wrong'), (e: unknown) => {
      const err = serverError(e);
      assert.equal(err.errno, 1045);
      assert.equal(err.sqlState, '28000');
      return true;
    });
  });

  it('logs in a user with an empty password without the 01 03 step', async () => {
    const c = await connect(s.port, 'empty', '');
    await c.query('SELECT 1');
    await c.end();
  });

  it('switches an account that uses mysql_native_password with AuthSwitchRequest', async () => {
    const sw = await startSampleServer({ flavor: 'mysql', users: { repl: { password: 'replpw', plugin: 'mysql_native_password' } } });
    try {
      const c = await connect(sw.port);
      assert.equal(sw.server.getConnection(c.threadId)?.authPlugin, 'mysql_native_password');
      await c.end();
    } finally {
      await sw.close();
    }
  });
});
