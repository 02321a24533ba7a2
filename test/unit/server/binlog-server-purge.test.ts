// PURGE BINARY LOGS through a BinlogServer over TCP (an empty one-node relay, a mysql2 client):
// the `purge` option is what runs it, the OK counts the warnings SHOW WARNINGS then lists, and a
// server started without the option refuses the statement as MariaDB refuses a forbidden purge.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import mysql from 'mysql2/promise';
import { BinlogServer } from '../../../src/server/binlog-server.js';
import { PurgeError, type PurgeRequest, type PurgeResult } from '../../../src/relaylog/purge.js';
import { silentLogger } from '../../../src/logger.js';
import { openLocalRelay, type LocalRelay } from '../../helpers/local-relay.js';

let local: LocalRelay;
const asked: PurgeRequest[] = [];

async function purge(request: PurgeRequest): Promise<PurgeResult> {
  asked.push(request);
  if ('to' in request && request.to === 'up-bin.000099') throw new PurgeError('PURGE_TARGET_NOT_FOUND', 'not in the index');
  return { purged: ['up-bin.000001', 'up-bin.000002'], heldBack: ['up-bin.000002'] };
}

async function serve(withPurge: boolean): Promise<{ server: BinlogServer; client: mysql.Connection }> {
  const server = await BinlogServer.start({
    settings: { addr: '127.0.0.1:0', user: 'repl', password: 'pw' },
    relay: local.relay, serverId: 4242, serverUuid: '5e5e5e5e-0000-4000-8000-000000000002', logger: silentLogger,
    ...(withPurge ? { purge } : {}),
  });
  const client = await mysql.createConnection({ host: '127.0.0.1', port: server.address.port, user: 'repl', password: 'pw' });
  return { server, client };
}

before(async () => {
  local = await openLocalRelay();
});

after(async () => {
  await local?.close();
});

test('the purge option runs the statement; OK counts the warnings SHOW WARNINGS lists', async () => {
  const { server, client } = await serve(true);
  try {
    const [ok] = await client.query("PURGE BINARY LOGS TO 'up-bin.000003'");
    assert.equal((ok as { warningStatus: number }).warningStatus, 1);
    const [warnings] = await client.query('SHOW WARNINGS');
    assert.deepEqual(warnings, [{
      Level: 'Warning', Code: 1867, Message: 'file up-bin.000002 was not purged because it was being read by 1 thread(s), purged only 1 out of 2 files',
    }]);
    await client.query('PURGE MASTER LOGS BEFORE NOW() - INTERVAL 1 DAY');
    await assert.rejects(client.query("PURGE BINARY LOGS TO 'up-bin.000099'"), { errno: 1373, sqlState: 'HY000', sqlMessage: 'Target log not found in binlog index' });
    assert.equal(asked.length, 3);
    assert.deepEqual(asked[0], { to: 'up-bin.000003' });
    assert.ok('before' in asked[1]! && Math.abs(asked[1].before.getTime() - (Date.now() - 86_400_000)) < 5000);
  } finally {
    await client.end();
    await server.stop();
  }
});

test('without the option PURGE is 1375 "Server configuration does not permit binlog purge"', async () => {
  const { server, client } = await serve(false);
  try {
    await assert.rejects(client.query("PURGE BINARY LOGS TO 'up-bin.000003'"), {
      errno: 1375, sqlState: 'HY000', sqlMessage: 'Server configuration does not permit binlog purge',
    });
  } finally {
    await client.end();
    await server.stop();
  }
});
