// PUT /binlog/server/start on a node whose binlog server runs (src/server-control.ts): the new
// listener is bound before the working one stops, so a bad address is refused while connected
// replicas keep being served. A single real node process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import mysql from 'mysql2/promise';
import { RelayCluster } from '../../helpers/relay-cluster.js';
import { freePort } from '../../helpers/mariadb.js';

const USER = 'repl';
const PASSWORD = 'relaypw';

async function listening(port: number): Promise<boolean> {
  try {
    const conn = await mysql.createConnection({ host: '127.0.0.1', port, user: USER, password: PASSWORD, connectTimeout: 2000 });
    await conn.end();
    return true;
  } catch {
    return false;
  }
}

test('a binlog server restart to a bad address is refused and the running server keeps its replicas', { timeout: 60_000 }, async () => {
  const cluster = await RelayCluster.start(1);
  const taken: Server = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  const takenPort = (taken.address() as { port: number }).port;
  let replica: mysql.Connection | null = null;
  try {
    const port = await freePort();
    const started = await cluster.api(0, 'PUT', '/binlog/server/start', { addr: `127.0.0.1:${port}`, user: USER, password: PASSWORD });
    assert.equal(started.status, 200, JSON.stringify(started.body));
    replica = await mysql.createConnection({ host: '127.0.0.1', port, user: USER, password: PASSWORD });
    await replica.ping();

    for (const addr of [`127.0.0.1:${takenPort}`, '127.0.0.1:99999', ':99999', 'no-such-host.invalid:3306']) {
      const res = await cluster.api(0, 'PUT', '/binlog/server/start', { addr, user: USER, password: 'other' });
      assert.equal(res.status, 400, `${addr}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error?.field, 'addr');
      await replica.ping();
      const status = (await cluster.api(0, 'GET', '/binlog/server/status')).body.data as { status: string; addr: string };
      assert.deepEqual([status.status, status.addr], ['running', `127.0.0.1:${port}`], addr);
      assert.ok(await listening(port), `${addr}: new clients still reach the working server with its password`);
    }

    // A good new address: the new server serves, the old one is gone.
    const next = await freePort();
    const moved = await cluster.api(0, 'PUT', '/binlog/server/start', { addr: `127.0.0.1:${next}`, user: USER, password: PASSWORD });
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    assert.ok(await listening(next));
    assert.equal(await listening(port), false);

    // Same port, new credentials: replaced in place.
    const same = await cluster.api(0, 'PUT', '/binlog/server/start', { addr: `127.0.0.1:${next}`, user: 'repl2', password: 'pw2' });
    assert.equal(same.status, 200, JSON.stringify(same.body));
    const conn = await mysql.createConnection({ host: '127.0.0.1', port: next, user: 'repl2', password: 'pw2' });
    await conn.end();
  } finally {
    await replica?.end().catch(() => undefined);
    taken.close();
    await cluster.stop();
  }
});
