// Connection limits seen by the real `mariadb` client: a host holding its handshake slots gets
// "ERROR 1040 Too many connections" for one more, and a flood of half-open sockets from other hosts
// neither locks out nor slows down a replica logging in. Half-open sockets come from 127.0.0.2+
// (other hosts to the server); the CLI connects from 127.0.0.1.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BinlogServer } from '../../../src/server/binlog-server.js';
import { silentLogger } from '../../../src/logger.js';
import { mariadbCli, requireMariaDbBinaries } from '../../helpers/mariadb.js';
import { openLocalRelay, type LocalRelay } from '../../helpers/local-relay.js';
import { RawClient } from '../mysql/raw-client.js';

let local: LocalRelay;
let server: BinlogServer;
const held: RawClient[] = [];

before(async () => {
  requireMariaDbBinaries();
  local = await openLocalRelay();
  server = await BinlogServer.start({
    settings: {
      addr: '127.0.0.1:0', user: 'repl', password: 'relaypw',
      limits: { maxConnections: 40, maxHandshakes: 12, maxHandshakesPerIp: 4, replicaHandshakes: 4 },
    },
    relay: local.relay, serverId: 4242, serverUuid: '5e5e5e5e-0000-4000-8000-000000000006', logger: silentLogger,
  });
});

after(async () => {
  for (const c of held) c.destroy();
  await server?.stop();
  await local?.close();
});

function cli(sql: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return mariadbCli(['-h127.0.0.1', `-P${server.address.port}`, '-urepl', '-prelaypw', '--connect-timeout=5', '-N', '-e', sql]);
}

async function halfOpen(from: string): Promise<RawClient> {
  const c = await RawClient.connect(server.address.port, from);
  assert.equal((await c.read()).payload[0], 10, 'a greeting');
  held.push(c);
  return c;
}

test('N+1 half-open connections from one host: the last is refused with 1040, while the mariadb client logs in', async () => {
  const replica = await cli('SELECT 1');
  assert.equal(replica.code, 0, replica.stderr);
  for (let i = 0; i < 4; i++) await halfOpen('127.0.0.2');
  const refused = await RawClient.connect(server.address.port, '127.0.0.2');
  const err = await refused.read();
  assert.equal(err.payload[0], 0xff);
  assert.equal(err.payload.readUInt16LE(1), 1040);
  await refused.closed;
  const again = await cli('SELECT 2');
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stdout.trim(), '2');
});

test('a flood that fills the shared handshake pool from many hosts still leaves the known replica host a way in', async () => {
  // 127.0.0.2 holds 4 of the 12 shared slots since the test above.
  for (const from of ['127.0.0.3', '127.0.0.4']) for (let i = 0; i < 4; i++) await halfOpen(from);
  const stranger = await RawClient.connect(server.address.port, '127.0.0.9');
  assert.equal((await stranger.read()).payload.readUInt16LE(1), 1040);
  const started = Date.now();
  const replica = await cli('SELECT @@server_id');
  assert.equal(replica.code, 0, replica.stderr);
  assert.equal(replica.stdout.trim(), '4242');
  assert.ok(Date.now() - started < 3000, 'no wait for the flood to time out');
});

// The client reports an ERR that comes before the greeting in its own words (ERROR 2002 "Received
// error packet before completion of TLS handshake … 1040 - Too many connections"), as it does for a
// real mariadbd at max_connections.
test("the mariadb client shows the host's own refusal as 1040 Too many connections", async () => {
  for (let i = 0; i < 4; i++) await halfOpen('127.0.0.1');
  const refused = await cli('SELECT 1');
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /1040\b.*Too many connections/);
});
