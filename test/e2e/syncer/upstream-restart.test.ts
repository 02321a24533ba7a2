// The syncer against an upstream that drops it or restarts (issue 9, Done when 3), and a failover
// candidate that lacks transactions (Done when 2), and one that purged what the relay needs next
// (1236), on a one-node relay over a real LevelDB.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startMariaDb, type MariaDb } from '../../helpers/mariadb.js';
import { openLocalRelay, waitFor, type LocalRelay } from '../../helpers/local-relay.js';
import { Syncer, DEFAULT_SYNCER_OPTIONS } from '../../../src/syncer/syncer.js';
import { syncerStartSchema } from '../../../src/syncer/syncer-settings.js';
import { silentLogger } from '../../../src/logger.js';

let up: MariaDb;
let lagging: MariaDb;
let local: LocalRelay;
let syncer: Syncer | null = null;

function startSyncer(addrs: string[], failoverAfterMs: number): Syncer {
  const settings = syncerStartSchema.parse({ mysql_addrs: addrs, mysql_user: 'repl', mysql_password: 'replpw', failover_after_ms: failoverAfterMs });
  const s = new Syncer(settings, local.relay, local.commit, silentLogger, { ...DEFAULT_SYNCER_OPTIONS, heartbeatMs: 200, backoffMaxMs: 500 });
  s.start();
  return s;
}

async function upstreamPos(db: MariaDb): Promise<string> {
  const [row] = await db.query('SELECT @@gtid_binlog_pos AS p');
  return String(row!.p);
}

/** The relay holds each of the upstream's files byte for byte (the active FDE's IN_USE bit aside). */
async function assertSameFiles(): Promise<void> {
  for (const path of await up.binlogPaths()) {
    const name = path.split('/').pop()!;
    const theirs = Buffer.from(readFileSync(path).subarray(4));
    theirs[17] = theirs[17]! & ~0x01;
    assert.ok((await local.fileBytes(name)).equals(theirs), `${name} differs`);
  }
}

before(async () => {
  up = await startMariaDb({ serverId: 51 });
  await up.exec(`CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY 'replpw';
    GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO 'repl'@'127.0.0.1';
    CREATE DATABASE app; CREATE TABLE app.t (id INT PRIMARY KEY)`);
  lagging = await startMariaDb({ serverId: 52, name: 'l' });
  await lagging.exec(`CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=${up.port}, MASTER_USER='repl',
    MASTER_PASSWORD='replpw', MASTER_USE_GTID=slave_pos; START SLAVE`);
  local = await openLocalRelay();
  // A long failover time: these restarts must be ridden out on the same upstream.
  syncer = startSyncer([`127.0.0.1:${up.port}`, `127.0.0.1:${lagging.port}`], 30_000);
});

after(async () => {
  await syncer?.stop();
  await local?.close();
  await Promise.all([up?.stop(), lagging?.stop()]);
});

test('KILL of the dump thread on the upstream: the syncer resumes with nothing lost or doubled', async () => {
  await up.exec('INSERT INTO app.t VALUES (1)');
  await waitFor('the relay at the upstream', async () => local.relay.executedGtids.toString() === await upstreamPos(up));
  const dumps = await up.query("SELECT ID FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%' AND USER = 'repl'");
  for (const d of dumps) await up.exec(`KILL ${d.ID}`);
  await up.exec('INSERT INTO app.t VALUES (2); INSERT INTO app.t VALUES (3)');
  await waitFor('the relay at the upstream after the kill', async () => local.relay.executedGtids.toString() === await upstreamPos(up));
  assert.equal(local.relay.refused, 0);
  await assertSameFiles();
});

test('a SIGKILLed and restarted upstream: the syncer resumes by file and position, nothing lost, no switch', async () => {
  await up.exec('INSERT INTO app.t VALUES (4)');
  await waitFor('the relay at the upstream', async () => local.relay.executedGtids.toString() === await upstreamPos(up));
  await up.kill('SIGKILL');
  await waitFor('the syncer to see the upstream gone', () => !syncer!.status().connected);
  // As Seconds_Behind_Master with no IO thread: unknown, not 0 (the upstream may be writing).
  assert.equal(syncer!.status().lag_seconds, null);
  await new Promise((r) => setTimeout(r, 500));
  await up.restart();
  await waitFor('the upstream answering again', async () => (await up.query('SELECT 1 AS one').catch(() => [])).length === 1);
  await up.exec('INSERT INTO app.t VALUES (5)');
  await waitFor('the relay at the restarted upstream', async () => local.relay.executedGtids.toString() === await upstreamPos(up), 20_000);
  assert.equal(local.relay.refused, 0);
  assert.equal(syncer!.status().current_upstream, `127.0.0.1:${up.port}`);
  await assertSameFiles();
});

test('a failover candidate lacking transactions the relay holds is refused, and the status says which', async () => {
  await lagging.exec('STOP SLAVE');
  await up.exec('INSERT INTO app.t VALUES (6)');
  const relayEnd = await upstreamPos(up);
  await waitFor('the relay ahead of the lagging replica', async () => local.relay.executedGtids.toString() === relayEnd);
  await syncer!.stop();
  syncer = startSyncer([`127.0.0.1:${up.port}`, `127.0.0.1:${lagging.port}`], 300);
  await up.kill('SIGKILL');
  await waitFor('the lagging candidate refused', () => syncer!.status().candidates[1]!.state === 'refused', 10_000);
  const candidate = syncer!.status().candidates[1]!;
  assert.match(candidate.last_error ?? '', new RegExp(`lacks the relay's transactions ${relayEnd} \\(candidate at 0-51-\\d+ in domain 0\\)`));
  assert.equal(syncer!.status().current_upstream, `127.0.0.1:${up.port}`, 'no switch to a candidate that lacks transactions');
  assert.equal(local.relay.executedGtids.toString(), relayEnd);
  await up.restart();
});

test('an upstream that purged what the relay needs next answers 1236: the status shows it refused, in its words, and nothing is relayed', async () => {
  await syncer!.stop();
  await up.exec('INSERT INTO app.t VALUES (7); FLUSH BINARY LOGS; INSERT INTO app.t VALUES (8)');
  const relayEnd = local.relay.executedGtids.toString();
  const [master] = await up.query('SHOW MASTER STATUS');
  // MariaDB keeps a file until its binlog checkpoint has passed it: ask until it is gone.
  await waitFor('the upstream to purge every file but its newest', async () => {
    await up.exec(`PURGE BINARY LOGS TO '${String(master!.File)}'`);
    return (await up.query('SHOW BINARY LOGS')).length === 1;
  }, 10_000);
  syncer = startSyncer([`127.0.0.1:${up.port}`], 30_000);
  await waitFor('the upstream refused', () => syncer!.status().candidates[0]!.state === 'refused', 10_000);
  assert.match(syncer!.status().last_error ?? '', /^upstream error 1236: Could not find GTID state requested by slave in any binlog files/);
  assert.equal(local.relay.executedGtids.toString(), relayEnd, 'nothing past the gap');
  assert.equal(local.relay.refused, 0);
});
