// Importing a copy of a real MariaDB upstream's binlog files (its datadir's files and index, taken
// while the last file is still active) must propose exactly what the upstream's own dump delivers
// for those files — checked against `mariadb-binlog -R --raw` — cut as the syncer cuts a dump.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { listBinlogFiles, run, startMariaDb, type MariaDb } from '../../helpers/mariadb.js';
import { importBinlogDir, type BinlogImportResult, type ImportRecord } from '../../../src/syncer/binlog-import.js';
import { DEFAULT_SYNCER_OPTIONS } from '../../../src/syncer/syncer.js';
import type { BinlogRecord } from '../../../src/relaylog/relay-entry.js';

const { batchBytes, maxRecordBytes } = DEFAULT_SYNCER_OPTIONS;

let up: MariaDb;
let work: string;
let copied: string[];
/** End of the active file's last whole transaction, and the offset the copy of it was cut at. */
let activeBoundary: number;
let activeCut: number;
let records: ImportRecord[];
let result: BinlogImportResult;

before(async () => {
  up = await startMariaDb({ serverId: 21 });
  await up.exec(`CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY 'replpw';
    GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO 'repl'@'127.0.0.1'`);
  await up.exec(`CREATE DATABASE app; CREATE TABLE app.t (id INT PRIMARY KEY, v VARCHAR(100), b LONGBLOB);
    INSERT INTO app.t (id, v) VALUES (1, 'a'), (2, 'b'); UPDATE app.t SET v = 'c' WHERE id = 2; DELETE FROM app.t WHERE id = 1`);
  await up.exec('FLUSH BINARY LOGS');
  // A 5 MB transaction of many row events, then one row event above 16 MiB.
  await up.exec(`BEGIN; ${Array.from({ length: 5 }, (_, i) => `INSERT INTO app.t (id, b) VALUES (${100 + i}, REPEAT('z', 1000000));`).join(' ')} COMMIT`);
  await up.exec(`INSERT INTO app.t (id, b) VALUES (999, REPEAT('q', 17 * 1024 * 1024))`);
  await up.exec('FLUSH BINARY LOGS');
  // Many small autocommit transactions: batched into records of about 256 KiB.
  await up.exec(Array.from({ length: 1500 }, (_, i) => `INSERT INTO app.t (id, v) VALUES (${10_000 + i}, REPEAT('s', 90))`).join(';'));
  await up.exec('FLUSH BINARY LOGS');
  await up.exec(`BEGIN; INSERT INTO app.t (id, v) VALUES (2000, 'x'); INSERT INTO app.t (id, v) VALUES (2001, 'y'); COMMIT`);
  const [status] = await up.query('SHOW MASTER STATUS');
  activeBoundary = Number(status!.Position);
  // The upstream was still writing a 2 MB transaction when the copy was taken: it is cut inside.
  await up.exec(`BEGIN; INSERT INTO app.t (id, b) VALUES (3000, REPEAT('w', 1000000)); INSERT INTO app.t (id, b) VALUES (3001, REPEAT('w', 1000000)); COMMIT`);
  activeCut = activeBoundary + 1_500_000;

  work = await mkdtemp(join(tmpdir(), 'binrelay-import-e2e-'));
  const copy = join(work, 'copy');
  await mkdir(copy);
  const files = await listBinlogFiles(up.dataDir);
  for (const path of files.slice(0, -1)) await copyFile(path, join(copy, basename(path)));
  const active = files[files.length - 1]!;
  await writeFile(join(copy, basename(active)), (await readFile(active)).subarray(0, activeCut));
  await copyFile(join(up.dataDir, 'up-bin.index'), join(copy, 'up-bin.index'));
  copied = files.map((f) => basename(f));

  records = [];
  result = await importBinlogDir(copy, async (record) => {
    records.push(record);
    await new Promise((r) => setImmediate(r));
  });
});

after(async () => {
  await up?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

/** What the upstream's dump delivers for one file, as `mariadb-binlog -R --raw` writes it. */
async function dumpedByUpstream(name: string): Promise<Buffer> {
  const out = join(work, 'remote');
  await mkdir(out, { recursive: true });
  const r = await run('mariadb-binlog', ['--no-defaults', '-h127.0.0.1', `-P${up.port}`, '-urepl', '-preplpw', '-R', '--raw', name, `--result-file=${out}/`]);
  assert.equal(r.code, 0, r.stderr);
  return readFile(join(out, name));
}

function binlogRecords(): BinlogRecord[] {
  return records.filter((r): r is BinlogRecord => r.kind === 'binlog');
}

test('every imported file is byte-identical to the upstream dump of it, the active one up to its last whole transaction', async () => {
  assert.ok(copied.length >= 4, `the workload rotated the binlog: ${copied.join(' ')}`);
  assert.deepEqual(result.files, copied, 'every file of the index, oldest first');
  assert.equal(result.lastFile, copied[copied.length - 1]);
  assert.equal(result.lastPos, activeBoundary);
  let total = 0;
  for (const name of copied) {
    const ours = Buffer.concat(binlogRecords().filter((r) => r.file === name).map((r) => r.bytes));
    const theirs = await dumpedByUpstream(name);
    const active = name === result.lastFile;
    const expected = theirs.subarray(4, active ? activeBoundary : theirs.length);
    assert.equal(ours.length, expected.length, `${name} length`);
    assert.ok(ours.equals(expected), `${name} differs at ${ours.findIndex((b, i) => b !== expected[i]) + 4}`);
    total += ours.length;
  }
  assert.equal(result.bytes, total);
});

test('the active file FDE has IN_USE set on disk and cleared in the dump, its CRC32 valid either way', async () => {
  const name = copied[copied.length - 1]!;
  const disk = await readFile(join(up.dataDir, name));
  const theirs = await dumpedByUpstream(name);
  const ours = binlogRecords().find((r) => r.file === name && r.pos === 4)!.bytes;
  assert.equal(disk[4 + 17]! & 0x01, 1, 'IN_USE on disk');
  assert.equal(theirs[4 + 17]! & 0x01, 0, 'cleared by the dump');
  const fdeLength = disk.readUInt32LE(4 + 9);
  assert.ok(Buffer.from(ours.subarray(0, fdeLength)).equals(theirs.subarray(4, 4 + fdeLength)));
  assert.ok(disk.subarray(4 + fdeLength - 4, 4 + fdeLength).equals(theirs.subarray(4 + fdeLength - 4, 4 + fdeLength)), 'the dump keeps the stored CRC');
});

test('records continue each other, end at boundaries except pieces of large transactions, and stay within the size bound', () => {
  const all = binlogRecords();
  const ends = new Map<string, number>();
  let run: BinlogRecord[] = [];
  let pieces = 0;
  for (const r of all) {
    assert.equal(r.pos, ends.get(r.file) ?? 4, `${r.file}:${r.pos} continues the record before`);
    ends.set(r.file, r.pos + r.bytes.length);
    if (!r.endsAtBoundary) {
      assert.equal(r.bytes.length, maxRecordBytes, 'a piece is exactly the record bound');
      pieces++;
    } else {
      assert.ok(r.bytes.length <= batchBytes + maxRecordBytes, `record of ${r.bytes.length} bytes within the bound`);
    }
    run.push(r);
    if (r.endsAtBoundary) {
      const runBytes = run.reduce((n, x) => n + x.bytes.length, 0);
      if (run.length > 1) assert.ok(runBytes > maxRecordBytes, 'only a transaction above the bound is split');
      run = [];
    }
  }
  assert.equal(run.length, 0, 'the import ends at a boundary');
  if (process.env.DEBUG_IMPORT) console.log({ copied, activeBoundary, activeCut, records: all.length, pieces, result });
  assert.ok(pieces >= 4 + 16, `the 5 MB transaction and the 17 MiB event went out in pieces (${pieces})`);
  assert.ok(all.some((r) => r.endsAtBoundary && r.bytes.length >= batchBytes), 'small transactions are batched');
  assert.ok(!records.some((r) => r.kind === 'abort'), 'nothing to abort: the cut transaction was never proposed');
});
