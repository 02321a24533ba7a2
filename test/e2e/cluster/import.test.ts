// The import of existing files, followed by live syncing: a copy of a real MariaDB upstream's
// binlog files (its datadir's files and index, taken while the last file is still active, cut
// inside a transaction) is imported into a 3-node cluster through PUT /binlog/import; the syncer
// then continues live from the last imported boundary, across a FLUSH BINARY LOGS. Every node's
// `<data-dir>/binlog/` must end byte-identical to what `mariadb-binlog -R --raw` fetches from the
// upstream, a second import is refused, and a real GTID replica of a node matches the upstream.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { freePort, listBinlogFiles, mariadbBinlog, startMariaDb, type MariaDb } from '../../helpers/mariadb.js';
import { RelayCluster } from '../../helpers/relay-cluster.js';
import { waitFor } from '../../helpers/local-relay.js';

interface ImportAnswer {
  files: string[];
  bytes: number;
  last_binlog_file: string | null;
  last_file_position: number | null;
}

interface ServerStatus {
  status: string;
  executed_gtid_set: string;
  last_binlog_file: string | null;
  last_file_position: number | null;
  binlog_files: { name: string; size: number }[];
}

let up: MariaDb;
let replica: MariaDb;
let cluster: RelayCluster;
let work: string;
let copyDir: string;
/** Names of the files copied (the index's entries), oldest first. */
let copied: string[];
/** Sizes on the upstream's disk of the files that were already rotated when copied. */
let rotatedSizes: number[];
/** End of the active file's last whole transaction when it was copied, and where the copy was cut. */
let activeBoundary: number;
let activeCut: number;

async function masterStatus(db: MariaDb): Promise<{ file: string; pos: number; gtids: string }> {
  const [row] = await db.query('SHOW MASTER STATUS');
  const [gtid] = await db.query('SELECT @@gtid_binlog_pos AS p');
  return { file: String(row!.File), pos: Number(row!.Position), gtids: String(gtid!.p) };
}

async function serverStatus(i: number): Promise<ServerStatus> {
  const res = await cluster.api(i, 'GET', '/binlog/server/status');
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.data as ServerStatus;
}

async function tableChecksums(db: MariaDb): Promise<string> {
  return JSON.stringify(await db.query('CHECKSUM TABLE app.t, app.u'));
}

before(async () => {
  // Both start at once; whichever started is stopped by after() even when the other failed.
  const [upStart, replicaStart] = await Promise.allSettled([
    startMariaDb({ serverId: 41 }),
    startMariaDb({ serverId: 42, name: 'r1' }),
  ]);
  if (upStart.status === 'fulfilled') up = upStart.value;
  if (replicaStart.status === 'fulfilled') replica = replicaStart.value;
  for (const started of [upStart, replicaStart]) if (started.status === 'rejected') throw started.reason;
  await up.exec(`CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY 'replpw';
    GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO 'repl'@'127.0.0.1'`);
  await up.exec(`CREATE DATABASE app; CREATE TABLE app.t (id INT PRIMARY KEY, v VARCHAR(100), b LONGBLOB);
    CREATE TABLE app.u (id INT PRIMARY KEY AUTO_INCREMENT, n INT);
    INSERT INTO app.t (id, v) VALUES (1, 'a'), (2, 'b'); UPDATE app.t SET v = 'c' WHERE id = 2; DELETE FROM app.t WHERE id = 1`);
  await up.exec('FLUSH BINARY LOGS');
  // A 3 MB transaction: more than one record, proposed in pieces.
  await up.exec(`BEGIN; ${Array.from({ length: 3 }, (_, i) => `INSERT INTO app.t (id, b) VALUES (${100 + i}, REPEAT('z', 1000000));`).join(' ')} COMMIT`);
  await up.exec('FLUSH BINARY LOGS');
  await up.exec(Array.from({ length: 400 }, (_, i) => `INSERT INTO app.u (n) VALUES (${i})`).join(';'));
  await up.exec('FLUSH BINARY LOGS');
  await up.exec(`BEGIN; INSERT INTO app.t (id, v) VALUES (2000, 'x'); UPDATE app.u SET n = n + 1 WHERE id < 10; COMMIT`);
  activeBoundary = (await masterStatus(up)).pos;
  // Still being written when the copy was taken: the copy ends inside this transaction.
  await up.exec(`BEGIN; INSERT INTO app.t (id, b) VALUES (3000, REPEAT('w', 300000)); INSERT INTO app.t (id, b) VALUES (3001, REPEAT('w', 300000)); COMMIT`);
  const afterCut = (await masterStatus(up)).pos;
  activeCut = activeBoundary + Math.floor((afterCut - activeBoundary) / 2);

  work = await mkdtemp(join(tmpdir(), 'binrelay-import-cluster-'));
  copyDir = join(work, 'copy');
  await mkdir(copyDir);
  const files = await listBinlogFiles(up.dataDir);
  rotatedSizes = [];
  for (const path of files.slice(0, -1)) {
    await copyFile(path, join(copyDir, basename(path)));
    rotatedSizes.push((await stat(path)).size);
  }
  const active = files[files.length - 1]!;
  await writeFile(join(copyDir, basename(active)), (await readFile(active)).subarray(0, activeCut));
  await copyFile(join(up.dataDir, 'up-bin.index'), join(copyDir, 'up-bin.index'));
  copied = files.map((f) => basename(f));

  cluster = await RelayCluster.start(3);
  for (let i = 0; i < 3; i++) await cluster.waitUp(i);
});

after(async () => {
  await cluster?.stop();
  await Promise.all([up?.stop(), replica?.stop()]);
  if (work) await rm(work, { recursive: true, force: true });
});

test('imported files, then live syncing: every node holds the upstream files byte for byte, a replica matches', async () => {
  assert.ok(copied.length >= 4, `the workload rotated the binlog: ${copied.join(' ')}`);

  // ---- the import ----
  const leader = await cluster.waitForLeader();
  const imported = await cluster.api(leader, 'PUT', '/binlog/import', { dir: copyDir });
  assert.equal(imported.status, 200, JSON.stringify(imported.body));
  const answer = imported.body.data as ImportAnswer;
  assert.deepEqual(answer.files, copied, 'every file of the index, oldest first');
  assert.equal(answer.last_binlog_file, copied[copied.length - 1]);
  assert.equal(answer.last_file_position, activeBoundary, 'the active file is imported up to its last whole transaction');
  const expectedBytes = rotatedSizes.reduce((n, size) => n + size - 4, 0) + (activeBoundary - 4);
  assert.equal(answer.bytes, expectedBytes, 'every byte of the rotated files and the active one up to the boundary');

  // Every node applies the import: its relay ends where the import said.
  for (let i = 0; i < 3; i++) {
    await waitFor(`node ${i} at the imported end`, async () => {
      const s = await serverStatus(i);
      return s.last_binlog_file === answer.last_binlog_file && s.last_file_position === activeBoundary;
    }, 15_000);
    const s = await serverStatus(i);
    assert.deepEqual(s.binlog_files.map((f) => f.name), copied);
  }

  // ---- a real replica on a follower's binlog server ----
  const node = (leader + 1) % 3;
  const serverPort = await freePort();
  const started = await cluster.api(node, 'PUT', '/binlog/server/start', { addr: `127.0.0.1:${serverPort}`, user: 'repl', password: 'relaypw' });
  assert.equal(started.status, 200, JSON.stringify(started.body));
  await replica.exec(`CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=${serverPort}, MASTER_USER='repl',
    MASTER_PASSWORD='relaypw', MASTER_CONNECT_RETRY=1, MASTER_USE_GTID=slave_pos; START SLAVE`);

  // ---- live syncing from the imported end ----
  const syncer = await cluster.api(await cluster.waitForLeader(), 'PUT', '/binlog/syncer/start', {
    mysql_addr: `127.0.0.1:${up.port}`, mysql_user: 'repl', mysql_password: 'replpw',
  });
  assert.equal(syncer.status, 200, JSON.stringify(syncer.body));
  // The syncer resumes exactly where the import ended, not from the upstream's oldest file.
  const syncerNode = await cluster.waitForLeader();
  await waitFor('the syncer dump to start', () => cluster.logEvents(syncerNode, 'syncer.dump').length > 0, 15_000);
  const [dump] = cluster.logEvents(syncerNode, 'syncer.dump');
  assert.deepEqual({ file: dump!.file, pos: dump!.pos }, { file: answer.last_binlog_file, pos: activeBoundary });
  await up.exec(`INSERT INTO app.t (id, v) VALUES (4000, 'live'); BEGIN; INSERT INTO app.u (n) VALUES (-1); UPDATE app.t SET v = 'd' WHERE id = 2; COMMIT`);
  await up.exec('FLUSH BINARY LOGS');
  await up.exec(`BEGIN; ${Array.from({ length: 50 }, (_, i) => `INSERT INTO app.u (n) VALUES (${1000 + i});`).join(' ')} COMMIT;
    INSERT INTO app.t (id, b) VALUES (4001, REPEAT('y', 200000)); DELETE FROM app.t WHERE id = 3000`);
  // MariaDB writes a BINLOG_CHECKPOINT event on its own some time after a rotation: the target
  // is the upstream's end as it is when every node is seen there.
  let target = await masterStatus(up);
  await waitFor('every node at the upstream\'s end', async () => {
    target = await masterStatus(up);
    for (let i = 0; i < 3; i++) {
      const s = await serverStatus(i);
      if (s.last_binlog_file !== target.file || s.last_file_position !== target.pos || s.executed_gtid_set !== target.gtids) return false;
    }
    return true;
  }, 30_000);
  assert.ok(target.file > copied[copied.length - 1]!, `the upstream rotated past the imported files (${target.file})`);

  // ---- byte comparison against the upstream's own dump ----
  const fromUp = join(work, 'raw-up');
  await mkdir(fromUp);
  await mariadbBinlog(['-R', '--raw', '--to-last-log', '-h127.0.0.1', `-P${up.port}`, '-urepl', '-preplpw', `--result-file=${fromUp}/`, copied[0]!]);
  const names = (await readdir(fromUp)).sort();
  assert.deepEqual(names, (await up.binlogPaths()).map((p) => basename(p)), 'mariadb-binlog fetched every upstream file');
  assert.equal(names[names.length - 1], target.file);
  for (let i = 0; i < 3; i++) {
    const dir = join(cluster.nodes[i]!.dataDir, 'binlog');
    const held = (await readdir(dir)).filter((n) => !n.endsWith('.tmp')).sort();
    assert.deepEqual(held, names, `node ${i} holds exactly the upstream's files`);
    for (const name of names) {
      const ours = await readFile(join(dir, name));
      const theirs = await readFile(join(fromUp, name));
      if (name === target.file) {
        // The active file: both copies hold at least what the upstream had written, and a
        // BINLOG_CHECKPOINT event may reach either one later than the other: compare the bytes
        // both hold.
        assert.ok(ours.length >= target.pos && theirs.length >= target.pos, `node ${i} ${name}: ${ours.length} / ${theirs.length} bytes, the upstream was at ${target.pos}`);
        const both = Math.min(ours.length, theirs.length);
        assert.ok(ours.subarray(0, both).equals(theirs.subarray(0, both)), `node ${i} ${name} differs at ${ours.findIndex((b, k) => b !== theirs[k])}`);
      } else {
        assert.equal(ours.length, theirs.length, `node ${i} ${name} length`);
        assert.ok(ours.equals(theirs), `node ${i} ${name} differs at ${ours.findIndex((b, k) => b !== theirs[k])}`);
      }
    }
  }

  // ---- a second import is refused: the relay is not empty ----
  const again = await cluster.api(await cluster.waitForLeader(), 'PUT', '/binlog/import', { dir: copyDir });
  assert.equal(again.status, 409, JSON.stringify(again.body));
  assert.equal(again.body.error?.code, 'CONFLICT');
  const fromFollower = await cluster.api(node, 'PUT', '/binlog/import', { dir: copyDir });
  assert.equal(fromFollower.status, 409, `a follower forwards the refused import: ${JSON.stringify(fromFollower.body)}`);

  // ---- the replica ends with the upstream's data ----
  await waitFor(`the replica at ${target.gtids}`, async () => {
    const [row] = await replica.query('SELECT @@gtid_slave_pos AS p');
    return String(row!.p) === target.gtids;
  }, 30_000);
  const [slave] = await replica.query('SHOW SLAVE STATUS');
  assert.equal(slave!.Slave_IO_Running, 'Yes', String(slave!.Last_IO_Error));
  assert.equal(slave!.Slave_SQL_Running, 'Yes', String(slave!.Last_SQL_Error));
  assert.equal(await tableChecksums(replica), await tableChecksums(up));
  const status = await serverStatus(node);
  assert.ok((status as unknown as { slaves: { server_id: number; mode: string }[] }).slaves.some((s) => s.server_id === 42 && s.mode === 'gtid'));
});
