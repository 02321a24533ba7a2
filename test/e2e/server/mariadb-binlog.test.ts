// mariadb-binlog against the relay's binlog server and against the upstream itself: the raw copies
// are byte-identical, and the failures are the same failures, word for word.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRelayStack, RELAY_PASSWORD, RELAY_USER, type RelayStack } from './relay-stack.js';
import { run } from '../../helpers/mariadb.js';

let stack: RelayStack;
let dir: string;

/** mariadb-binlog against the upstream ('up') or the relay, with that side's account. */
function binlog(side: 'up' | 'relay', args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const auth = side === 'up' ? ['-urepl', '-preplpw', `-P${stack.up.port}`] : [`-u${RELAY_USER}`, `-p${RELAY_PASSWORD}`, `-P${stack.port}`];
  return run('mariadb-binlog', ['--no-defaults', '-h127.0.0.1', ...auth, ...args]);
}

before(async () => {
  stack = await startRelayStack({ args: ['--max-binlog-size=1M'] });
  dir = await mkdtemp(join(tmpdir(), 'binrelay-server-binlog-'));
  await stack.up.exec(`CREATE DATABASE app; CREATE TABLE app.t (id INT PRIMARY KEY, v VARCHAR(200), b LONGBLOB);
    INSERT INTO app.t (id, v) VALUES (1, 'a'), (2, 'b'); UPDATE app.t SET v = 'c' WHERE id = 2; DELETE FROM app.t WHERE id = 1;
    BEGIN; INSERT INTO app.t (id, v) VALUES (3, 'x'); INSERT INTO app.t (id, v) VALUES (4, 'y'); COMMIT;`);
  // A 3 MB transaction spans several relay records and rotates the 1 MB binlog.
  await stack.up.exec(`BEGIN; ${Array.from({ length: 3 }, (_, i) => `INSERT INTO app.t (id, b) VALUES (${100 + i}, REPEAT('z', 1000000));`).join(' ')} COMMIT;`);
  await stack.up.exec("FLUSH BINARY LOGS; INSERT INTO app.t (id, v) VALUES (200, 'after flush')");
  await stack.caughtUp();
});

after(async () => {
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('mariadb-binlog -R --raw --to-last-log writes the same files through the relay as from the upstream', async () => {
  const first = (await stack.up.query('SHOW BINARY LOGS'))[0]!.Log_name as string;
  for (const side of ['up', 'relay'] as const) {
    const out = join(dir, side);
    await mkdir(out);
    const r = await binlog(side, ['-R', '--raw', '--to-last-log', first, `--result-file=${out}/`]);
    assert.equal(r.code, 0, `${side}: ${r.stderr}`);
  }
  const upFiles = (await readdir(join(dir, 'up'))).sort();
  const relayFiles = (await readdir(join(dir, 'relay'))).sort();
  assert.ok(upFiles.length >= 3, `the workload rotated the binlog: ${upFiles.join(' ')}`);
  assert.deepEqual(relayFiles, upFiles);
  for (const name of upFiles) {
    const a = await readFile(join(dir, 'up', name));
    const b = await readFile(join(dir, 'relay', name));
    assert.equal(b.length, a.length, `${name} length`);
    assert.ok(a.equals(b), `${name} differs at byte ${a.findIndex((x, i) => x !== b[i])}`);
  }
});

test('a non-blocking dump from a position inside a file prints the same listing through the relay as from the upstream', async () => {
  const name = (await stack.up.query('SHOW BINARY LOGS'))[0]!.Log_name as string;
  const listing = await binlog('up', ['-R', name]);
  const starts = [...listing.stdout.matchAll(/^# at (\d+)$/gm)].map((m) => Number(m[1]));
  const start = starts[6]!;
  assert.ok(start > 4, 'a position past the start of the file');
  const up = await binlog('up', ['-R', `--start-position=${start}`, name]);
  const relay = await binlog('relay', ['-R', `--start-position=${start}`, name]);
  assert.equal(up.code, 0, up.stderr);
  assert.equal(relay.code, 0, relay.stderr);
  assert.equal(relay.stdout, up.stdout);
});

for (const [what, args] of [
  ['an unknown file', ['-R', '--to-last-log', 'nope-bin.000001']],
  ['a position past the end of the file', ['-R', '--start-position=99999999', 'up-bin.000001']],
  ['a GTID beyond the binlog', ['-R', '--start-position=0-11-999', 'up-bin.000001']],
  ['a GTID of a server that never wrote one', ['-R', '--start-position=0-7-3', 'up-bin.000001']],
] as const) {
  test(`a dump from ${what} fails with the upstream's error 1236 message, and the server keeps serving`, async () => {
    const up = await binlog('up', [...args]);
    const relay = await binlog('relay', [...args]);
    assert.notEqual(up.code, 0);
    assert.notEqual(relay.code, 0);
    assert.match(up.stderr, /Got error reading packet from server/);
    assert.equal(relay.stderr, up.stderr);
    // The server is still there for the next client.
    const ok = await binlog('relay', ['-R', '--to-last-log', '--raw', 'up-bin.000001', `--result-file=${join(dir, 'again-')}`]);
    assert.equal(ok.code, 0, ok.stderr);
  });
}

test('a dump from a position inside an event gets the fake ROTATE and FDE, then 1236 "binlog truncated in the middle of event"', async () => {
  // A real master goes on reading whatever the bytes at that offset decode to (what it reports
  // depends on the data); the relay knows its event boundaries and stops at once.
  const relay = await binlog('relay', ['-R', '--start-position=100', 'up-bin.000001']);
  assert.notEqual(relay.code, 0);
  assert.equal(
    relay.stderr,
    "ERROR: Got error reading packet from server: binlog truncated in the middle of event; consider out of disk space on master; the first event 'up-bin.000001' at 100, the last event read from 'up-bin.000001' at 100, the last byte read from 'up-bin.000001' at 119.\n",
  );
});
