// SHOW BINLOG EVENTS against the relay's binlog server, answer for answer beside the upstream
// MariaDB listing the same (byte-identical) files: every row and column, FROM, LIMIT and OFFSET,
// and the 1220 refusals with the server's words.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import mysql from 'mysql2/promise';
import { startRelayStack, RELAY_PASSWORD, RELAY_USER, type RelayStack } from './relay-stack.js';
import { openLocalRelay, waitFor } from '../../helpers/local-relay.js';
import { DEFAULT_SYNCER_OPTIONS, Syncer } from '../../../src/syncer/syncer.js';
import { syncerStartSchema } from '../../../src/syncer/syncer-settings.js';
import { silentLogger } from '../../../src/logger.js';
import { BinlogServer } from '../../../src/server/binlog-server.js';

let stack: RelayStack;
let relay: mysql.Connection;
let upstream: mysql.Connection;

before(async () => {
  stack = await startRelayStack();
  await stack.up.exec(`CREATE DATABASE app; USE app; CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, v TEXT, b BLOB);
    INSERT INTO app.t (v) VALUES ('a'), ('b'); BEGIN; UPDATE app.t SET v = 'c' WHERE id = 1; DELETE FROM app.t WHERE id = 2; COMMIT;
    SET SESSION binlog_format = STATEMENT; INSERT INTO app.t (v) VALUES (CONCAT('x', RAND()));
    SET @s := 'héllo', @r := 1.5e0, @d := 2.50, @n := NULL, @neg := -3, @big := 18446744073709551615;
    INSERT INTO app.t (v) VALUES (@s), (@r), (@d), (@n), (@neg), (@big); INSERT INTO app.t (v) VALUES (LAST_INSERT_ID());
    SET SESSION binlog_format = ROW; SET SESSION gtid_domain_id = 2; INSERT INTO app.t (v) VALUES ('domain 2'); SET SESSION gtid_domain_id = 0;
    CREATE TABLE app.m (id INT PRIMARY KEY) ENGINE = MyISAM; INSERT INTO app.m VALUES (1);
    XA START 'xz1', 'bq'; INSERT INTO app.t (v) VALUES ('xa'); XA END 'xz1', 'bq'; XA PREPARE 'xz1', 'bq'; XA COMMIT 'xz1', 'bq';
    SET SESSION binlog_format = STATEMENT; SET @f := 1e-30, @g := 123456789.125e0, @dn := -0.0045, @bin := _binary 'ab', @l1 := _latin1 'x';
    INSERT INTO app.t (v) VALUES (@f), (@g), (@dn), (@bin), (@l1); SET SESSION binlog_format = ROW;
    FLUSH BINARY LOGS; INSERT INTO app.t (v) VALUES ('after rotate')`);
  // A file long enough to take several reads of the relay's.
  const values = Array.from({ length: 200 }, (_, i) => `(${1000 + i}, REPEAT('z', 3000))`).join(', ');
  await stack.up.exec(`FLUSH BINARY LOGS; INSERT INTO app.t (id, b) VALUES ${values}; ${'UPDATE app.t SET v = CONCAT(v, \'.\') WHERE id < 10; '.repeat(300)}`);
  await stack.caughtUp();
  relay = await mysql.createConnection({ host: '127.0.0.1', port: stack.port, user: RELAY_USER, password: RELAY_PASSWORD });
  upstream = await mysql.createConnection({ host: '127.0.0.1', port: stack.up.port, user: 'root' });
});

after(async () => {
  await relay?.end();
  await upstream?.end();
  await stack?.stop();
});

type Outcome = { rows: unknown[] } | { errno: number; message: string };

async function outcome(conn: mysql.Connection, sql: string): Promise<Outcome> {
  try {
    // Pos, Server_id and End_log_pos compared as text: both sides send them as such.
    const [rows] = await conn.query({ sql, rowsAsArray: true, supportBigNumbers: true, bigNumberStrings: true });
    return { rows: rows as unknown[] };
  } catch (err) {
    const e = err as { errno?: number; message: string };
    if (e.errno === undefined) throw err;
    return { errno: e.errno, message: e.message };
  }
}

async function sameAsUpstream(sql: string): Promise<Outcome> {
  const theirs = await outcome(upstream, sql);
  const ours = await outcome(relay, sql);
  assert.deepEqual(ours, theirs, sql);
  return ours;
}

test('every file the relay holds lists as the upstream lists it: type names, positions, server ids and Info', async () => {
  const [files] = await relay.query('SHOW BINARY LOGS');
  const names = (files as { Log_name: string }[]).map((f) => f.Log_name);
  assert.ok(names.length >= 3, `files: ${names.join(', ')}`);
  let listed = 0;
  for (const name of names) {
    const o = await sameAsUpstream(`SHOW BINLOG EVENTS IN '${name}'`);
    assert.ok('rows' in o);
    listed += o.rows.length;
  }
  const types = new Set<string>();
  for (const name of names) {
    const o = await outcome(relay, `SHOW BINLOG EVENTS IN '${name}'`);
    if ('rows' in o) for (const r of o.rows as unknown[][]) types.add(String(r[2]));
  }
  for (const t of ['Format_desc', 'Gtid_list', 'Binlog_checkpoint', 'Gtid', 'Query', 'Annotate_rows', 'Table_map', 'Write_rows_v1',
    'Update_rows_v1', 'Delete_rows_v1', 'Xid', 'Intvar', 'RAND', 'User var', 'XA_prepare', 'Rotate']) {
    assert.ok(types.has(t), `no ${t} event listed (got ${[...types].join(', ')})`);
  }
  assert.ok(listed > 900, `${listed} events listed`);
});

test('without IN the first file is listed; FROM, LIMIT and OFFSET select as on the server', async () => {
  await sameAsUpstream('SHOW BINLOG EVENTS');
  await sameAsUpstream('SHOW BINLOG EVENTS FROM 4 LIMIT 1');
  await sameAsUpstream("SHOW BINLOG EVENTS IN 'up-bin.000001' FROM 256 LIMIT 2");
  await sameAsUpstream("SHOW BINLOG EVENTS IN 'up-bin.000001' LIMIT 3, 2");
  await sameAsUpstream("show binlog events in 'up-bin.000001' from 4 limit 1 offset 1");
  await sameAsUpstream("SHOW BINLOG EVENTS IN 'up-bin.000001' FROM 0 LIMIT 1");
  await sameAsUpstream("SHOW BINLOG EVENTS IN 'up-bin.000001' LIMIT 0");
  await sameAsUpstream("SHOW BINLOG EVENTS IN 'up-bin.000003' LIMIT 700, 1000");
});

test('an unknown file, a position past the end and one inside an event are refused with 1220 and the server words', async () => {
  const [files] = await relay.query('SHOW BINARY LOGS');
  const first = (files as { Log_name: string }[])[0]!.Log_name;
  for (const sql of [
    "SHOW BINLOG EVENTS IN 'nosuch.000001'",
    "SHOW BINLOG EVENTS IN 'up-bin'",
    `SHOW BINLOG EVENTS IN '${first}' FROM 5`,
    `SHOW BINLOG EVENTS IN '${first}' FROM 100000000`,
  ]) {
    const o = await sameAsUpstream(sql);
    assert.ok('errno' in o && o.errno === 1220, sql);
  }
});

test('a master has no relay log: SHOW RELAYLOG EVENTS is an empty set', async () => {
  const o = await sameAsUpstream('SHOW RELAYLOG EVENTS');
  assert.ok('rows' in o && o.rows.length === 0);
});

test('a file the relay holds from its middle (a start_gtid start) lists its FDE, then the events from where the relay begins', async () => {
  const [{ p: startPos }] = (await stack.up.query('SELECT @@gtid_binlog_pos AS p')) as [{ p: string }];
  await stack.up.exec("INSERT INTO app.t (v) VALUES ('from the middle'); INSERT INTO app.t (v) VALUES ('next')");
  const other = await openLocalRelay();
  const settings = syncerStartSchema.parse({ mysql_addr: `127.0.0.1:${stack.up.port}`, mysql_user: 'repl', mysql_password: 'replpw', start_gtid: startPos, syncer_id: 4243 });
  const syncer = new Syncer(settings, other.relay, other.commit, silentLogger, { ...DEFAULT_SYNCER_OPTIONS, heartbeatMs: 200 });
  syncer.start();
  const server = await BinlogServer.start({
    settings: { addr: '127.0.0.1:0', user: RELAY_USER, password: RELAY_PASSWORD }, relay: other.relay, serverId: 9001,
    serverUuid: '00000000-0000-4000-8000-00000000b1a8', logger: silentLogger,
  });
  const conn = await mysql.createConnection({ host: '127.0.0.1', port: server.address.port, user: RELAY_USER, password: RELAY_PASSWORD });
  try {
    const [{ p: endPos }] = (await stack.up.query('SELECT @@gtid_binlog_pos AS p')) as [{ p: string }];
    // The relay's own executed set names only the domains it saw a transaction of since its start.
    const lastOfDomain0 = endPos.split(',').find((g) => g.startsWith('0-'))!;
    await waitFor('the start_gtid relay to reach the upstream', () => other.relay.executedGtids.toString().split(',').includes(lastOfDomain0));
    const file = other.relay.allFiles()[0]!;
    assert.ok(file.firstPos > 4, `the relay starts mid-file (at ${file.firstPos})`);
    const theirs = await outcome(upstream, `SHOW BINLOG EVENTS IN '${file.name}'`);
    assert.ok('rows' in theirs);
    const expected = (theirs.rows as unknown[][]).filter((r) => Number(r[1]) === 4 || Number(r[1]) >= file.firstPos);
    assert.deepEqual(await outcome(conn, `SHOW BINLOG EVENTS IN '${file.name}'`), { rows: expected });
    assert.deepEqual(await outcome(conn, `SHOW BINLOG EVENTS IN '${file.name}' FROM ${file.firstPos} LIMIT 1`), { rows: expected.slice(1, 2) });
    const refused = await outcome(conn, `SHOW BINLOG EVENTS IN '${file.name}' FROM 5`);
    assert.ok('errno' in refused && refused.errno === 1220 && /Wrong offset/.test(refused.message), JSON.stringify(refused));
  } finally {
    await conn.end();
    await server.stop();
    await syncer.stop();
    await other.close();
  }
});
