// What the syncer says when its proposals fail, against a real MariaDB: a lost leadership fails
// every proposal in flight at once, and that is one warning (the others are debug lines), the
// session ends with the proposal's reason rather than "upstream connection closed", and the
// syncer resumes from the relay's end with nothing lost. A stop is not an error: it logs none.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startMariaDb, type MariaDb } from '../../helpers/mariadb.js';
import { openLocalRelay, waitFor, type LocalRelay } from '../../helpers/local-relay.js';
import { capturedLogger, type CapturedLogger } from '../../helpers/captured-logger.js';
import { Syncer, DEFAULT_SYNCER_OPTIONS } from '../../../src/syncer/syncer.js';
import { syncerStartSchema } from '../../../src/syncer/syncer-settings.js';

let up: MariaDb;
let local: LocalRelay;
let syncer: Syncer;
let log: CapturedLogger;
/** While set, proposals wait here instead of committing, until the leadership is "lost". */
let held: { reject: (err: Error) => void }[] | null = null;

before(async () => {
  up = await startMariaDb({ serverId: 12 });
  await up.exec(`CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY 'replpw';
    GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO 'repl'@'127.0.0.1';
    CREATE DATABASE app; CREATE TABLE app.t (id INT PRIMARY KEY)`);
  log = capturedLogger();
  local = await openLocalRelay();
  const propose = (data: Uint8Array): Promise<number> => {
    if (held === null) return local.commit(data);
    return new Promise((_resolve, reject) => held!.push({ reject }));
  };
  const settings = syncerStartSchema.parse({ mysql_addr: `127.0.0.1:${up.port}`, mysql_user: 'repl', mysql_password: 'replpw' });
  syncer = new Syncer(settings, local.relay, propose, log.logger, { ...DEFAULT_SYNCER_OPTIONS, backoffMinMs: 20, backoffMaxMs: 40, heartbeatMs: 200 });
  syncer.start();
});

after(async () => {
  await syncer?.stop();
  await local?.close();
  await up?.stop();
});

async function caughtUp(): Promise<void> {
  const [pos] = await up.query('SELECT @@gtid_binlog_pos AS p');
  await waitFor('the relay at the upstream\'s GTID position', async () => local.relay.executedGtids.toString() === pos!.p, 20_000);
}

const level = (line: Record<string, unknown>): unknown => line.level;

test('proposals failing together log one warning, the session ends with their reason, and the relay resumes whole', async () => {
  await up.exec('INSERT INTO app.t VALUES (1)');
  await caughtUp();

  held = [];
  for (let id = 2; id <= 21; id++) {
    await up.exec(`INSERT INTO app.t VALUES (${id})`);
    await new Promise((r) => setTimeout(r, 5));
  }
  await waitFor('several proposals in flight', () => held!.length >= 3, 10_000);
  const failing = held;
  held = null;
  for (const p of failing) p.reject(new Error('entry 9 (term 3): leadership lost before commit'));

  await waitFor('the session ended', () => log.events('syncer.error').length > 0, 10_000);
  const failed = log.events('syncer.propose.failed');
  assert.equal(failed.filter((l) => level(l) === 40).length, 1, `one warning: ${JSON.stringify(failed)}`);
  assert.equal(failed.length, failing.length, 'every failed proposal has a line');
  assert.equal(failed.filter((l) => level(l) === 20).length, failing.length - 1, 'the others are debug lines');
  const ended = log.events('syncer.error');
  assert.equal(ended.length, 1, JSON.stringify(ended));
  assert.match(String(ended[0]!.error), /^proposal failed: .*leadership lost before commit/, 'the session ends with the proposal\'s reason');

  await caughtUp();
  const [rows] = await up.query('SELECT COUNT(*) AS n FROM app.t');
  assert.equal(Number(rows!.n), 21);

  const errorsBefore = log.events('syncer.error').length;
  await syncer.stop();
  assert.equal(log.events('syncer.error').length, errorsBefore, 'a stop logs no error');
  assert.equal(syncer.status().status, 'stopped');
});
