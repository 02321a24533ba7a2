// The syncer against a real MariaDB, committing into a real LevelDB relay log (one node, no raft
// round trip: `commit` stands in for propose-and-apply). Pins: byte-identical files, whole
// transactions through disconnects, executed GTIDs equal to the upstream's.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startMariaDb, type MariaDb } from '../../helpers/mariadb.js';
import { openLocalRelay, waitFor, type LocalRelay } from '../../helpers/local-relay.js';
import { Syncer, DEFAULT_SYNCER_OPTIONS } from '../../../src/syncer/syncer.js';
import { syncerStartSchema } from '../../../src/syncer/syncer-settings.js';
import { silentLogger, createLogger } from '../../../src/logger.js';

let up: MariaDb;
let local: LocalRelay;
let syncer: Syncer;

before(async () => {
  up = await startMariaDb({ serverId: 11, args: ['--max-binlog-size=1M'] });
  await up.exec(`CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY 'replpw';
    GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO 'repl'@'127.0.0.1'`);
  const debug = process.env.DEBUG_SYNCER ? createLogger('debug', 'test') : silentLogger;
  local = await openLocalRelay(debug);
  const settings = syncerStartSchema.parse({ mysql_addr: `127.0.0.1:${up.port}`, mysql_user: 'repl', mysql_password: 'replpw' });
  syncer = new Syncer(settings, local.relay, local.commit, debug, { ...DEFAULT_SYNCER_OPTIONS, batchBytes: 64 * 1024, maxRecordBytes: 256 * 1024, heartbeatMs: 200 });
  syncer.start();
});

after(async () => {
  await syncer?.stop();
  await local?.close();
  await up?.stop();
});

test('DDL, DML, multi-statement and large transactions arrive whole and byte-identical across rotations', async () => {
  await up.exec(`CREATE DATABASE app; CREATE TABLE app.t (id INT PRIMARY KEY, v VARCHAR(100), b LONGBLOB);
    INSERT INTO app.t (id, v) VALUES (1, 'a'), (2, 'b'); UPDATE app.t SET v = 'c' WHERE id = 2; DELETE FROM app.t WHERE id = 1;
    BEGIN; INSERT INTO app.t (id, v) VALUES (3, 'x'); INSERT INTO app.t (id, v) VALUES (4, 'y'); COMMIT;`);
  // ~20 MB transaction of many row events, then one row event above 16 MiB.
  await up.exec(`BEGIN; ${Array.from({ length: 20 }, (_, i) => `INSERT INTO app.t (id, b) VALUES (${100 + i}, REPEAT('z', 1000000));`).join(' ')} COMMIT;`);
  await up.exec(`INSERT INTO app.t (id, b) VALUES (999, REPEAT('q', 17 * 1024 * 1024))`);
  await up.exec('FLUSH BINARY LOGS; INSERT INTO app.t (id, v) VALUES (1000, \'after flush\')');
  const [pos] = await up.query('SELECT @@gtid_binlog_pos AS p');
  await waitFor('relay to reach the upstream GTID position', async () => local.relay.executedGtids.toString() === pos!.p);
  const files = await up.binlogPaths();
  assert.ok(files.length >= 3, 'the workload rotated the binlog');
  for (const path of files) {
    const name = path.split('/').pop()!;
    // The active file's FDE has LOG_EVENT_BINLOG_IN_USE_F set on disk and the dump clears it
    // (notes §4; its CRC is computed with the flag clear): that one bit may differ.
    const upstream = Buffer.from(readFileSync(path).subarray(4));
    upstream[17] = upstream[17]! & ~0x01;
    const ours = await local.fileBytes(name);
    assert.equal(ours.length, upstream.length, `${name} length`);
    assert.ok(ours.equals(upstream), `${name} differs at ${ours.findIndex((b, i) => b !== upstream[i]) + 4}`);
  }
});

test('a killed upstream connection is resumed from the relay end with nothing lost or repeated', async () => {
  const before = syncer.status().reconnects;
  for (let round = 0; round < 3; round++) {
    await up.exec(`INSERT INTO app.t (id, v) VALUES (${2000 + round}, 'round')`);
    const threads = await up.query("SELECT ID FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'");
    for (const t of threads) await up.exec(`KILL ${t.ID}`);
    await up.exec(`BEGIN; INSERT INTO app.t (id, b) VALUES (${3000 + round}, REPEAT('k', 900000)); INSERT INTO app.t (id, v) VALUES (${4000 + round}, 'k'); COMMIT`);
  }
  const [pos] = await up.query('SELECT @@gtid_binlog_pos AS p');
  await waitFor('relay to catch up after kills', async () => local.relay.executedGtids.toString() === pos!.p);
  assert.ok(syncer.status().reconnects > before, 'the syncer reconnected');
  assert.equal(local.relay.refused, 0, 'no record was refused (no duplicate, no gap)');
  const files = await up.binlogPaths();
  const last = files[files.length - 1]!;
  assert.ok((await local.fileBytes(last.split('/').pop()!)).subarray(40).equals(readFileSync(last).subarray(44)));
});

test('with start_gtid on an empty relay the relay starts at that GTID, mid-file, with the file FDE kept', async () => {
  const [{ p: startPos }] = (await up.query('SELECT @@gtid_binlog_pos AS p')) as [{ p: string }];
  await up.exec(`INSERT INTO app.t (id, v) VALUES (5000, 'from start_gtid'); INSERT INTO app.t (id, v) VALUES (5001, 'next')`);
  const other = await openLocalRelay();
  const settings = syncerStartSchema.parse({ mysql_addr: `127.0.0.1:${up.port}`, mysql_user: 'repl', mysql_password: 'replpw', start_gtid: startPos, syncer_id: 4242 });
  const second = new Syncer(settings, other.relay, other.commit, silentLogger, { ...DEFAULT_SYNCER_OPTIONS, heartbeatMs: 200 });
  second.start();
  try {
    const [{ p: endPos }] = (await up.query('SELECT @@gtid_binlog_pos AS p')) as [{ p: string }];
    await waitFor('the start_gtid relay to reach the upstream', () => other.relay.executedGtids.toString() === endPos);
    const first = other.relay.allFiles()[0]!;
    assert.ok(first.firstPos > 4, `the relay starts mid-file (at ${first.firstPos})`);
    assert.equal(first.startGtids, startPos);
    assert.equal(other.relay.purgedGtids, startPos);
    assert.ok(first.fde, 'the file FDE is known for serving');
    const files = await up.binlogPaths();
    const path = files.find((f) => f.endsWith(first.name))!;
    assert.ok((await other.fileBytes(first.name)).equals(readFileSync(path).subarray(first.firstPos)));
  } finally {
    await second.stop();
    await other.close();
  }
});
