// A MySQL-flavor relay (real MySQL 5.7 binlog files from the shared fixtures, applied to a one-node
// relay log) served to a hand-written MySQL replica: the 8.0.26+ query sequence and an
// auto-position COM_BINLOG_DUMP_GTID. No MySQL server runs here, so the expectations come from the
// MySQL note (§1.2, §2.2, §3).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import mysql from 'mysql2/promise';
import { MysqlGtidSet } from '../../../src/binlog/gtid-set-mysql.js';
import { encodeMysqlGtidSet } from '../../../src/binlog/gtid-set-mysql-binary.js';
import { parseMysqlGtidEvent } from '../../../src/binlog/mysql-gtid-event.js';
import { readEventHeader } from '../../../src/binlog/event-header.js';
import { encodeRelayRecord } from '../../../src/relaylog/relay-entry.js';
import { BinlogServer } from '../../../src/server/binlog-server.js';
import { silentLogger } from '../../../src/logger.js';
import { openLocalRelay, type LocalRelay } from '../../helpers/local-relay.js';
import { fixturesDir } from '../binlog/listing.js';
import { RawClient, type RawPacket } from '../../e2e/mysql/raw-client.js';

const U = '214eb71f-96ec-11e8-ab4f-fa163e72d4ae';
let local: LocalRelay;
let server: BinlogServer;

before(async () => {
  local = await openLocalRelay();
  for (const name of ['mysql_bin.000011', 'mysql_bin.000012']) {
    const bytes = readFileSync(join(fixturesDir(), 'mysql57-binlog', name));
    await local.commit(encodeRelayRecord({ kind: 'binlog', file: name, pos: 4, endsAtBoundary: true, bytes: bytes.subarray(4) }));
  }
  assert.equal(local.relay.flavor, 'mysql');
  server = await BinlogServer.start({
    settings: { addr: '127.0.0.1:0', user: 'repl', password: 'pw' },
    relay: local.relay, serverId: 4242, serverUuid: '5e5e5e5e-0000-4000-8000-000000000001', logger: silentLogger,
  });
});

after(async () => {
  await server?.stop();
  await local?.close();
});

async function login(): Promise<RawClient> {
  const c = await RawClient.connect(server.address.port);
  const { greeting, reply } = await c.login('repl', 'pw', 'caching_sha2_password');
  assert.equal(greeting.authPluginName, 'caching_sha2_password');
  assert.deepEqual([...reply.payload], [0x01, 0x03], 'fast authentication');
  assert.equal((await c.read()).payload[0], 0x00);
  return c;
}

async function exec(c: RawClient, sql: string): Promise<void> {
  c.write(0, Buffer.concat([Buffer.of(0x03), Buffer.from(sql)]));
  const ok = await c.read();
  assert.equal(ok.payload[0], 0x00, `${sql}: ${ok.payload.toString('latin1', 9)}`);
}

function dumpGtid(flags: number, serverId: number, gtids: MysqlGtidSet): Buffer {
  const data = encodeMysqlGtidSet(gtids);
  const p = Buffer.alloc(1 + 2 + 4 + 4 + 8 + 4);
  let o = p.writeUInt8(0x1e, 0);
  o = p.writeUInt16LE(flags, o);
  o = p.writeUInt32LE(serverId, o);
  o = p.writeUInt32LE(0, o);
  o = p.writeBigUInt64LE(4n, o);
  p.writeUInt32LE(data.length, o);
  return Buffer.concat([p, data]);
}

async function replicaSession(heartbeatNs: number): Promise<RawClient> {
  const c = await login();
  await exec(c, `SET @master_heartbeat_period = ${heartbeatNs}, @source_heartbeat_period = ${heartbeatNs}`);
  await exec(c, 'SET @master_binlog_checksum = @@global.binlog_checksum, @source_binlog_checksum = @@global.binlog_checksum');
  await exec(c, "SET @slave_uuid = 'aaaaaaaa-0000-4000-8000-0000000000aa', @replica_uuid = 'aaaaaaaa-0000-4000-8000-0000000000aa'");
  return c;
}

const event = (p: RawPacket): Buffer => {
  assert.equal(p.payload[0], 0x00, `event packet, got ${p.payload.toString('latin1', 9)}`);
  return p.payload.subarray(1);
};

test('a MySQL replica gets the 8.0.26+ answers: GTID_MODE ON, UUID, no semi-sync, checksum CRC32, ≥ 8.3 version', async () => {
  const conn = await mysql.createConnection({ host: '127.0.0.1', port: server.address.port, user: 'repl', password: 'pw' });
  try {
    const [[row]] = (await conn.query('SELECT @@GLOBAL.SERVER_ID AS id, @@GLOBAL.GTID_MODE AS mode, @@GLOBAL.SERVER_UUID AS uuid, VERSION() AS v')) as unknown as [Record<string, unknown>[]];
    assert.deepEqual(row, { id: 4242, mode: 'ON', uuid: '5e5e5e5e-0000-4000-8000-000000000001', v: '8.4.0-binrelay' });
    await assert.rejects(conn.query('SELECT @@global.rpl_semi_sync_source_enabled'), (err: { errno?: number }) => err.errno === 1193);
    await assert.rejects(conn.query('SELECT @@global.rpl_semi_sync_master_enabled'), (err: { errno?: number }) => err.errno === 1193);
    await conn.query('SET @master_binlog_checksum = @@global.binlog_checksum, @source_binlog_checksum = @@global.binlog_checksum');
    const [[cs]] = (await conn.query('SELECT @source_binlog_checksum AS c')) as unknown as [Record<string, unknown>[]];
    assert.equal(cs!.c, 'CRC32');
    const [[status]] = (await conn.query('SHOW BINARY LOG STATUS')) as unknown as [Record<string, unknown>[]];
    assert.deepEqual([status!.File, status!.Position, status!.Executed_Gtid_Set], ['mysql_bin.000012', 6031, local.relay.executedGtids.toString()]);
    const [[purged]] = (await conn.query('SELECT @@GLOBAL.GTID_PURGED AS p')) as unknown as [Record<string, unknown>[]];
    assert.equal(purged!.p, `${U}:1-11789`);
  } finally {
    await conn.end();
  }
});

test('COM_BINLOG_DUMP_GTID skips what the replica has, announces the skipped run with a heartbeat, follows the rotation', async () => {
  const c = await replicaSession(0);
  const register = Buffer.alloc(18);
  register[0] = 0x15;
  register.writeUInt32LE(33, 1);
  register.writeUInt16LE(3307, 8);
  c.write(0, register);
  assert.equal((await c.read()).payload[0], 0x00);
  c.write(0, dumpGtid(0x01, 33, MysqlGtidSet.parse(`${U}:1-11790`)));
  const got: Buffer[] = [];
  for (;;) {
    const p = await c.read();
    if (p.payload[0] === 0xfe && p.payload.length < 9) break;
    got.push(Buffer.from(event(p)));
  }
  for (const e of got) assert.equal(crc32(e.subarray(0, e.length - 4)), e.readUInt32LE(e.length - 4), `CRC of type ${e[4]}`);
  const types = got.map((e) => e[4]);
  assert.deepEqual(types.slice(0, 5), [4, 15, 35, 27, 33], 'fake ROTATE, FDE, PREVIOUS_GTIDS, heartbeat, first GTID sent');
  const fakeRotate = readEventHeader(got[0]!);
  assert.deepEqual([fakeRotate.timestamp, fakeRotate.flags, fakeRotate.logPos, fakeRotate.serverId], [0, 0x20, 0, 3150]);
  assert.equal(got[0]!.toString('latin1', 27, got[0]!.length - 4), 'mysql_bin.000011');
  const fde = got[1]!;
  assert.equal(readEventHeader(fde).logPos, 123, 'log_pos kept');
  assert.equal(fde.readUInt32LE(19 + 2 + 50), 0, 'created zeroed: the replica has transactions');
  const hb = readEventHeader(got[3]!);
  assert.equal(hb.logPos, 475, 'the heartbeat names the end of the skipped transaction');
  const gnos = got.filter((e) => e[4] === 33).map((e) => parseMysqlGtidEvent({ offset: 0, header: readEventHeader(e), bytes: e, checksumLength: 4 }).gtid!.gno);
  assert.equal(gnos[0], 11791n);
  assert.ok(gnos.every((g, i) => i === 0 || g === gnos[i - 1]! + 1n), 'every later transaction, in order');
  const rotations = got.filter((e) => e[4] === 4);
  assert.deepEqual(rotations.map((e) => [readEventHeader(e).flags, e.toString('latin1', 27, e.length - 4)]), [
    [0x20, 'mysql_bin.000011'], [0, 'mysql_bin.000012'], [0x20, 'mysql_bin.000012'], [0, 'mysql_bin.000013'],
  ]);
  assert.equal(gnos[gnos.length - 1], 11810n);
  await c.closed;
});

test('a replica missing purged transactions gets 1236 with the missing set', async () => {
  const c = await replicaSession(0);
  c.write(0, dumpGtid(0, 34, MysqlGtidSet.parse(`${U}:1-5`)));
  const err = await c.read();
  assert.equal(err.payload[0], 0xff);
  assert.equal(err.payload.readUInt16LE(1), 1236);
  assert.match(err.payload.toString('utf8', 9), new RegExp(`the missing transactions are '${U}:6-11789'$`));
  await c.closed;
});

test('a caught-up replica that asked for flag 0x02 gets HEARTBEAT_LOG_EVENT_V2 at its period', async () => {
  const c = await replicaSession(200_000_000);
  c.write(0, dumpGtid(0x02, 35, MysqlGtidSet.parse(`${U}:1-11810`)));
  const types: number[] = [];
  for (;;) {
    const e = event(await c.read(3000));
    types.push(e[4]!);
    if (e[4] === 41) {
      assert.ok(e.includes(Buffer.from('mysql_bin.000012')));
      break;
    }
  }
  assert.equal(types[0], 4);
  assert.ok(!types.includes(33), 'every transaction was skipped');
  c.destroy();
});
