// A real CDC client, @vlasky/zongji (MySQL/MariaDB change data capture for Node.js), against a
// relay and against the upstream itself, side by side: from the end, from a GTID position, from the
// whole history, from a file and position, and from positions the binlog does not hold. It decodes
// the same rows (at the same GTIDs) and gets the same errors from both. The upstream writes
// binlog_row_metadata=FULL: the relay holds no tables for a client to look column names up in.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import ZongJi, { type ZongJiOptions } from '@vlasky/zongji';
import { startRelayStack, RELAY_PASSWORD, RELAY_USER, type RelayStack } from './relay-stack.js';
import { waitFor } from '../../helpers/local-relay.js';

let stack: RelayStack;

before(async () => {
  stack = await startRelayStack({ serverId: 61, args: ['--binlog-row-metadata=FULL'] });
  await stack.up.exec(`CREATE DATABASE app; CREATE TABLE app.t (id INT PRIMARY KEY, v VARCHAR(100), d DATETIME(3), j JSON)`);
  for (let i = 1; i <= 5; i++) await stack.up.exec(`INSERT INTO app.t VALUES (${i}, 'v${i}', '2026-12-0${i} 10:00:00.125', '{"n":${i}}')`);
  await stack.up.exec(`UPDATE app.t SET v = 'changed' WHERE id = 2; DELETE FROM app.t WHERE id = 3`);
  await stack.caughtUp();
});

after(async () => {
  await stack?.stop();
});

interface Seen {
  ready: boolean;
  rows: string[];
  errors: string[];
}

/** A ZongJi client on `port` from `start`, recording the rows it decodes and the errors it gets. */
function listen(port: number, user: string, password: string, start: ZongJiOptions): { seen: Seen; stop(): void } {
  const seen: Seen = { ready: false, rows: [], errors: [] };
  const zj = new ZongJi({ host: '127.0.0.1', port, user, password });
  zj.on('ready', () => (seen.ready = true));
  zj.on('binlog', (evt: { getEventName(): string; rows?: unknown[]; gtid?: string }) => {
    for (const row of evt.rows ?? []) seen.rows.push(`${evt.getEventName()} ${JSON.stringify(row)} @${evt.gtid}`);
  });
  zj.on('error', (err: { errno?: number; message: string }) => seen.errors.push(`${err.errno} ${err.message}`));
  zj.start({ includeEvents: ['tablemap', 'writerows', 'updaterows', 'deleterows'], serverId: 70, ...start });
  return { seen, stop: () => zj.stop() };
}

/** The same start against the upstream and the relay: both must end up seeing the same. `during`
 *  runs once both are streaming. A relay waits a moment before it refuses a position past its
 *  end (it may be catching up), so the relay's view is awaited, not sampled. */
async function sameAsUpstream(start: ZongJiOptions, until: (s: Seen) => boolean, during?: () => Promise<void>): Promise<Seen> {
  const direct = listen(stack.up.port, 'root', '', start);
  const relayed = listen(stack.port, RELAY_USER, RELAY_PASSWORD, start);
  try {
    await waitFor('both clients connected', () => direct.seen.ready && relayed.seen.ready);
    if (during) await during();
    await waitFor('the upstream client done', () => until(direct.seen));
    await waitFor('the relay client seeing the same', () => JSON.stringify(relayed.seen) === JSON.stringify(direct.seen), 10_000)
      .catch((err: Error) => {
        throw new Error(`${err.message}: upstream ${JSON.stringify(direct.seen)}, relay ${JSON.stringify(relayed.seen)}`);
      });
    return direct.seen;
  } finally {
    direct.stop();
    relayed.stop();
  }
}

test('from the end: the next transaction, decoded the same', async () => {
  const seen = await sameAsUpstream({ startAtEnd: true }, (s) => s.rows.length === 1, async () => {
    await stack.up.exec(`INSERT INTO app.t VALUES (6, 'v6', NULL, '[1,2]')`);
  });
  assert.match(seen.rows[0]!, /^writerows \{"id":6,"v":"v6","d":null,"j":"\[1,2\]"\} @0-61-\d+$/);
  await stack.caughtUp();
});

test('from the whole history and from a GTID position: every row change, the same', async () => {
  const all = await sameAsUpstream({ gtidSet: '' }, (s) => s.rows.length === 8);
  assert.deepEqual(all.rows.map((r) => r.split(' ')[0]), ['writerows', 'writerows', 'writerows', 'writerows', 'writerows', 'updaterows', 'deleterows', 'writerows']);
  const third = /@(0-61-\d+)$/.exec(all.rows[2]!)![1]!;
  const after = await sameAsUpstream({ gtidSet: third }, (s) => s.rows.length === 5);
  assert.deepEqual(after.rows, all.rows.slice(3));
});

test('from a file and position: what follows it', async () => {
  const [master] = await stack.up.query('SHOW MASTER STATUS');
  await sameAsUpstream({ filename: String(master!.File), position: Number(master!.Position) }, (s) => s.rows.length === 1, async () => {
    await stack.up.exec(`INSERT INTO app.t VALUES (7, 'v7', NULL, NULL)`);
  });
  await stack.caughtUp();
});

test('a GTID of another server, or past the binlog: the same 1236', async () => {
  const other = await sameAsUpstream({ gtidSet: '0-1-2' }, (s) => s.errors.length > 0);
  assert.match(other.errors[0]!, /^1236 .*connecting slave requested to start from GTID 0-1-2, which is not in the master's binlog/);
  const ahead = await sameAsUpstream({ gtidSet: '0-61-999' }, (s) => s.errors.length > 0);
  assert.match(ahead.errors[0]!, /^1236 .*GTID 0-61-999/);
});
