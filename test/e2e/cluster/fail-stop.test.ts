// A corrupted entry and a corrupted file each produce a clear fail-stop (DESIGN.md invariant 7):
// a node whose binlog file fails its CRC32 when read for a client exits non-zero naming the file
// and never serves the bad bytes; a binlog file shorter than the relay's checkpoint stops the node
// at start naming the file; a raft entry whose stored CRC no longer matches stops the node at start
// with ERR_STORAGE_CORRUPT, while the two other nodes keep a leader and keep relaying. Each damaged
// binlog file is repaired afterwards so that the next case still has a 3-node cluster.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, open, readFile, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startMariaDb, type MariaDb } from '../../helpers/mariadb.js';
import { RelayCluster } from '../../helpers/relay-cluster.js';
import { waitFor } from '../../helpers/local-relay.js';

/** A raft log segment file: a 24-byte header, then records of length u32 (bytes after the crc) ·
 *  crc32 u32 · index u64 · term u64 · type u8 · data. */
const SEGMENT_HEADER = 24;
const ENTRY_RECORD_HEADER = 4 + 4 + 8 + 8 + 1;

let up: MariaDb;
let cluster: RelayCluster;
let work: string;
const serverPorts: number[] = [];

interface ServerStatus {
  status: string;
  executed_gtid_set: string;
  last_binlog_file: string | null;
  last_file_position: number | null;
  applied_index: number;
}

async function upstreamPos(): Promise<{ file: string; pos: number; gtids: string }> {
  const [row] = await up.query('SHOW MASTER STATUS');
  const [gtid] = await up.query('SELECT @@gtid_binlog_pos AS p');
  return { file: String(row!.File), pos: Number(row!.Position), gtids: String(gtid!.p) };
}

async function serverStatus(i: number): Promise<ServerStatus | null> {
  const res = await cluster.api(i, 'GET', '/binlog/server/status').catch(() => null);
  return res?.status === 200 ? (res.body.data as ServerStatus) : null;
}

/** Waits until each of `nodes` has applied the upstream up to its end (read again on every poll:
 *  MariaDB writes a BINLOG_CHECKPOINT event on its own some time after a rotation). */
async function waitSynced(nodes: number[], ms = 20_000): Promise<void> {
  for (const i of nodes) {
    let target = await upstreamPos();
    await waitFor(`node ${i} at the upstream's end`, async () => {
      target = await upstreamPos();
      const s = await serverStatus(i);
      return s?.last_binlog_file === target.file && s.last_file_position === target.pos && s.executed_gtid_set === target.gtids;
    }, ms).catch((err: Error) => {
      throw new Error(`${err.message} (${target.file}:${target.pos} ${target.gtids})`);
    });
  }
}

async function someFollower(): Promise<number> {
  const leader = await cluster.waitForLeader();
  return (leader + 1) % 3;
}

/** The size of node i's log now: lines written after it belong to the next run. */
async function logMark(i: number): Promise<number> {
  return (await stat(cluster.nodes[i]!.logFile)).size;
}

/** Structured lines at level 60 (fatal) node i logged after `mark`. */
async function fatalLines(i: number, mark: number): Promise<Record<string, unknown>[]> {
  const text = (await readFile(cluster.nodes[i]!.logFile)).subarray(mark).toString('utf8');
  const out: Record<string, unknown>[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      if (parsed.level === 60) out.push(parsed);
    } catch {
      // not a log line
    }
  }
  return out;
}

/** The error a log line carries (pino's `err`). */
function errOf(line: Record<string, unknown>): Record<string, unknown> {
  return (line.err ?? {}) as Record<string, unknown>;
}

/** Runs a command with a time limit (killed after it), collecting its exit code and stderr. */
function runLimited(cmd: string, args: string[], ms: number): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: ms, killSignal: 'SIGKILL' });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stderr }));
  });
}

async function rawDump(node: number, name: string, outDir: string): ReturnType<typeof runLimited> {
  await mkdir(outDir, { recursive: true });
  return runLimited('mariadb-binlog', ['--no-defaults', '-R', '--raw', '-h127.0.0.1', `-P${serverPorts[node]}`, '-urepl', '-prelaypw',
    `--result-file=${outDir}/`, name], 20_000);
}

/** The events of a binlog file: [start, length] pairs from the magic on. */
function eventsOf(bytes: Buffer): [number, number][] {
  const events: [number, number][] = [];
  for (let at = 4; at + 19 <= bytes.length;) {
    const length = bytes.readUInt32LE(at + 9);
    assert.ok(length >= 19 && at + length <= bytes.length, `event at ${at} has a sane length`);
    events.push([at, length]);
    at += length;
  }
  return events;
}

/** Restarts node i from its data dir and waits until it serves the upstream's current end. */
async function restartHealthy(i: number): Promise<void> {
  cluster.launch(i);
  await cluster.waitUp(i);
  await waitSynced([i]);
  await waitFor(`node ${i}'s binlog server running again`, async () => (await serverStatus(i))?.status === 'running', 10_000);
}

before(async () => {
  up = await startMariaDb({ serverId: 51 });
  await up.exec(`CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY 'replpw';
    GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO 'repl'@'127.0.0.1'`);
  work = await mkdtemp(join(tmpdir(), 'binrelay-fail-stop-'));
  cluster = await RelayCluster.start(3);
  for (let i = 0; i < 3; i++) {
    await cluster.waitUp(i);
    serverPorts.push(await freePort());
    const res = await cluster.api(i, 'PUT', '/binlog/server/start', { addr: `127.0.0.1:${serverPorts[i]}`, user: 'repl', password: 'relaypw' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
  }
  const res = await cluster.api(await cluster.waitForLeader(), 'PUT', '/binlog/syncer/start', {
    mysql_addr: `127.0.0.1:${up.port}`, mysql_user: 'repl', mysql_password: 'replpw',
  });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  await up.exec(`CREATE DATABASE app; CREATE TABLE app.t (id INT PRIMARY KEY, v VARCHAR(100), b BLOB);
    INSERT INTO app.t (id, v) VALUES (1, 'a'), (2, 'b')`);
  await up.exec('FLUSH BINARY LOGS');
  // up-bin.000002: row events of a few KB each, the file the corruption tests damage.
  for (let k = 0; k < 20; k++) await up.exec(`INSERT INTO app.t (id, v, b) VALUES (${100 + k}, 'row ${k}', REPEAT('${String.fromCharCode(97 + k)}', 4000))`);
  await up.exec('FLUSH BINARY LOGS');
  await up.exec(`UPDATE app.t SET v = 'after' WHERE id = 1`);
  await waitSynced([0, 1, 2]);
});

after(async () => {
  await cluster?.stop();
  await up?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

/**
 * Stops follower f, flips the byte `at(eventStart, eventLength)` of the first event of at least
 * 1000 bytes past offset 200 of its up-bin.000002, restarts it (its binlog server comes back from
 * the persisted settings) and reads the file through it with `mariadb-binlog -R --raw`. Returns
 * what happened; the file is repaired and the node restarted healthy by `repair()`.
 */
async function damageAndRead(at: (eventStart: number, eventLength: number) => number, label: string) {
  const f = await someFollower();
  const name = 'up-bin.000002';
  const path = join(cluster.nodes[f]!.dataDir, 'binlog', name);
  await cluster.kill(f, 'SIGTERM');
  assert.equal(cluster.nodes[f]!.child!.exitCode, 0, 'a clean stop first');
  const original = await readFile(path);
  const [eventStart, eventLength] = eventsOf(original).find(([pos, length]) => pos >= 200 && length >= 1000)!;
  const flipAt = at(eventStart, eventLength);
  assert.ok(flipAt >= 200 && flipAt >= eventStart && flipAt < eventStart + eventLength, 'inside the event');
  const handle = await open(path, 'r+');
  await handle.write(Buffer.from([original[flipAt]! ^ 0xff]), 0, 1, flipAt);
  await handle.close();

  const mark = await logMark(f);
  cluster.launch(f);
  await cluster.waitUp(f);
  await waitFor('the binlog server, restarted from its persisted settings', async () => (await serverStatus(f))?.status === 'running', 10_000);
  const out = join(work, `raw-${label}`);
  const client = await rawDump(f, name, out);
  const copy = await readFile(join(out, name)).catch(() => Buffer.alloc(0));
  const repair = async (): Promise<void> => {
    await cluster.kill(f, 'SIGTERM');
    await writeFile(path, original);
    await restartHealthy(f);
  };
  return { f, name, path, original, eventStart, client, copy, mark, repair };
}

test('a byte flipped inside an event of a binlog file: the node exits naming the file and CRC32, the client gets no bad bytes', async () => {
  const { f, name, path, original, eventStart, client, copy, mark, repair } = await damageAndRead((start, length) => start + Math.floor(length / 2), 'body');
  try {
    const code = await cluster.exitWithin(f, 10_000);
    assert.ok(code !== null && code !== 0, `the node exits non-zero (got ${code})`);
    const fatal = await fatalLines(f, mark);
    assert.ok(fatal.some((l) => String(l.msg).includes(path) && String(l.msg).includes('CRC32') && String(l.msg).includes(`event at ${eventStart}`)),
      `a fatal line names ${path}, the event at ${eventStart} and CRC32: ${JSON.stringify(fatal)}`);

    // The client never got the damaged event: it failed, and whatever it wrote stops before it.
    assert.notEqual(client.code, 0, `mariadb-binlog must fail, not finish the file: ${client.stderr}`);
    assert.ok(copy.length <= eventStart, `the client's copy (${copy.length} bytes) stops before the corrupted event at ${eventStart}`);
  } finally {
    await repair();
  }
  // Repaired, the node serves the file whole.
  const good = join(work, 'raw-repaired');
  const again = await rawDump(f, name, good);
  assert.equal(again.code, 0, again.stderr);
  assert.ok((await readFile(join(good, name))).equals(original), 'the repaired file is served byte for byte');
});

// An event length that overruns the served end is found before any CRC is checked: it must stop
// the node as well, not only fail the client's read.
test('a byte flipped in an event length field: the node exits naming the file', async () => {
  // The high byte of the event length: the event now claims ~4 GB, past the served end.
  const { f, path, eventStart, client, copy, mark, repair } = await damageAndRead((start) => start + 12, 'length');
  try {
    assert.notEqual(client.code, 0, `mariadb-binlog must fail: ${client.stderr}`);
    assert.ok(copy.length <= eventStart, `the client's copy (${copy.length} bytes) stops before the damaged event at ${eventStart}`);
    const code = await cluster.exitWithin(f, 10_000);
    assert.ok(code !== null && code !== 0, `the node exits non-zero (got ${code})`);
    const fatal = await fatalLines(f, mark);
    assert.ok(fatal.some((l) => JSON.stringify(l).includes(`binlog file`) && JSON.stringify(l).includes(`event at ${eventStart}`)),
      `a fatal line names ${path} and the event at ${eventStart}: ${JSON.stringify(fatal)}`);
  } finally {
    await repair();
  }
});

test('a binlog file shorter than the checkpoint: the node exits at start naming the file', async () => {
  const f = await someFollower();
  const name = 'up-bin.000002';
  const path = join(cluster.nodes[f]!.dataDir, 'binlog', name);
  await cluster.kill(f, 'SIGTERM');
  const original = await readFile(path);
  await truncate(path, Math.floor(original.length / 2));

  const mark = await logMark(f);
  cluster.launch(f);
  const code = await cluster.exitWithin(f, 15_000);
  assert.ok(code !== null && code !== 0, `the node exits non-zero (got ${code})`);
  const fatal = await fatalLines(f, mark);
  assert.ok(fatal.some((l) => errOf(l).code === 'RELAY_CORRUPT' && String(errOf(l).message).includes(`${path} has ${Math.floor(original.length / 2)} bytes`)),
    `a fatal line names ${path} and its short size: ${JSON.stringify(fatal)}`);
  assert.deepEqual((await readdir(join(cluster.nodes[f]!.dataDir, 'binlog'))).includes(name), true, 'the short file is left for the operator');
  assert.equal((await stat(path)).size, Math.floor(original.length / 2), 'the node did not rewrite the short file');

  await writeFile(path, original);
  await restartHealthy(f);
});

test('a corrupted raft entry: the node exits at start with ERR_STORAGE_CORRUPT; the other two keep a leader and keep relaying', async () => {
  await up.exec(`INSERT INTO app.t (id, v) VALUES (500, 'last before the damage')`);
  await waitSynced([0, 1, 2]);
  await new Promise((r) => setTimeout(r, 500)); // heartbeats carry the commit index to followers
  const f = await someFollower();
  const others = [0, 1, 2].filter((i) => i !== f);
  await cluster.kill(f, 'SIGTERM');

  // Damage the data of a record a few before the end of the newest segment: committed, so it
  // is corruption (a bad record past the commit index would be a torn tail, cut at open).
  const logDir = join(cluster.nodes[f]!.dataDir, 'raft-log');
  const segment = join(logDir, (await readdir(logDir)).filter((n) => n.endsWith('.seg')).sort().at(-1)!);
  const bytes = await readFile(segment);
  const records: number[] = [];
  for (let at = SEGMENT_HEADER; at < bytes.length; at += 8 + bytes.readUInt32BE(at)) records.push(at);
  const dataBytes = (record: number): number => 8 + bytes.readUInt32BE(record) - ENTRY_RECORD_HEADER;
  const withData = records.filter((record) => dataBytes(record) > 8);
  const target = withData.at(-Math.min(3, withData.length));
  assert.ok(target !== undefined, `the newest segment ${segment} has a record with data`);
  const damagedIndex = Number(bytes.readBigUInt64BE(target + 8));
  const at = target + ENTRY_RECORD_HEADER + Math.floor(dataBytes(target) / 2);
  bytes[at] = bytes[at]! ^ 0xff;
  await writeFile(segment, bytes);

  const mark = await logMark(f);
  cluster.launch(f);
  const code = await cluster.exitWithin(f, 15_000);
  assert.ok(code !== null && code !== 0, `the node exits non-zero (got ${code})`);
  const fatal = await fatalLines(f, mark);
  assert.ok(fatal.some((l) => errOf(l).code === 'ERR_STORAGE_CORRUPT' && String(errOf(l).message).includes(`log entry ${damagedIndex} `)),
    `a fatal line names ERR_STORAGE_CORRUPT and entry ${damagedIndex}: ${JSON.stringify(fatal)}`);

  // The two others keep a leader and keep relaying the upstream.
  const leader = await cluster.waitForLeader(10_000);
  assert.ok(others.includes(leader), `the leader is one of the live nodes (${leader})`);
  await up.exec(`INSERT INTO app.t (id, v) VALUES (501, 'after the damage'); UPDATE app.t SET v = 'still relayed' WHERE id = 2`);
  await waitSynced(others);
  assert.ok(cluster.isDown(f), 'the damaged node stays down');
});
