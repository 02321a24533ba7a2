// Semi-sync through a real 3-node cluster (DESIGN invariant 2): the upstream (AFTER_SYNC, a 30 s
// timeout) returns a COMMIT only once the relay committed the transaction on a majority. Four
// clients write under that rule, each noting the GTID of every COMMIT it got back.
// - The relay's leader is SIGKILLed: the new leader's syncer registers as a semi-sync replica
//   again before the upstream gives up waiting, so no commit falls back to asynchronous and none
//   waits anywhere near the timeout; the survivors hold every acknowledged transaction.
// - The upstream itself is SIGKILLed: every transaction a client saw committed is on every node.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createConnection } from 'mysql2/promise';
import { startMariaDb, type MariaDb } from '../../helpers/mariadb.js';
import { RelayCluster } from '../../helpers/relay-cluster.js';
import { waitFor } from '../../helpers/local-relay.js';
import { relayEnd, seqOf } from '../../helpers/relay-end.js';

const SEMI_SYNC_TIMEOUT_MS = 30_000;

let up: MariaDb;
let cluster: RelayCluster;

async function upstreamStatus(name: string): Promise<string> {
  return String((await up.query(`SHOW GLOBAL STATUS LIKE '${name}'`))[0]?.Value);
}

before(async () => {
  up = await startMariaDb({
    serverId: 83,
    args: [`--rpl-semi-sync-master-timeout=${SEMI_SYNC_TIMEOUT_MS}`, '--rpl-semi-sync-master-wait-point=AFTER_SYNC'],
  });
  // Semi-sync goes on once the schema is in: with it on and no semi-sync replica yet, the first
  // commit would wait out the whole timeout.
  await up.exec(`CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY 'replpw';
    GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO 'repl'@'127.0.0.1';
    CREATE DATABASE app; CREATE TABLE app.t (id INT PRIMARY KEY, writer INT);
    SET GLOBAL rpl_semi_sync_master_enabled = ON`);
  cluster = await RelayCluster.start(3);
  const res = await cluster.api(await cluster.waitForLeader(), 'PUT', '/binlog/syncer/start', {
    mysql_addr: `127.0.0.1:${up.port}`, mysql_user: 'repl', mysql_password: 'replpw', semi_sync: true,
  });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  await waitFor('the upstream counts the relay as its semi-sync replica', async () => (await upstreamStatus('Rpl_semi_sync_master_clients')) === '1', 20_000);
});

after(async () => {
  await cluster?.stop();
  await up?.stop();
});

interface Writers {
  /** GTID sequence numbers of every COMMIT a client got back. */
  readonly acked: number[];
  /** The longest a single COMMIT took. */
  longestCommitMs(): number;
  /** Stops the clients; resolves once each ended (a client whose server died ends with an error). */
  stop(): Promise<void>;
}

let nextId = 0;

function startWriters(count: number): Writers {
  const acked: number[] = [];
  let longest = 0;
  let writing = true;
  const loops = Array.from({ length: count }, async (_, writer) => {
    const conn = await createConnection({ host: '127.0.0.1', port: up.port, user: 'root' });
    try {
      while (writing) {
        const started = Date.now();
        await conn.query(`INSERT INTO app.t VALUES (${++nextId}, ${writer})`);
        const [rows] = await conn.query('SELECT @@last_gtid AS g');
        acked.push(seqOf(String((rows as { g: string }[])[0]!.g)));
        longest = Math.max(longest, Date.now() - started);
      }
    } catch {
      // the upstream was killed under this client: what it acknowledged before is in `acked`
    } finally {
      conn.destroy();
    }
  });
  return {
    acked,
    longestCommitMs: () => longest,
    async stop() {
      writing = false;
      await Promise.all(loops);
    },
  };
}

/** Every live node's relay holds the upstream's domain-0 GTIDs up to `seq`. */
async function assertNodesHold(seq: number, nodes: number[]): Promise<void> {
  for (const i of nodes) {
    await waitFor(`node ${i} holds GTID seq ${seq}`, async () => seqOf((await relayEnd(cluster, i))?.executed_gtid_set) >= seq, 20_000);
  }
}

test('the relay leader SIGKILLed under semi-sync writes: commits never fall back to asynchronous, the survivors hold every acknowledged one', { timeout: 90_000 }, async () => {
  const asyncBefore = await upstreamStatus('Rpl_semi_sync_master_no_tx');
  const writers = startWriters(4);
  await waitFor('commits flowing', () => writers.acked.length > 100, 20_000);
  const leader = await cluster.waitForLeader();
  await cluster.kill(leader, 'SIGKILL');
  const survivors = [0, 1, 2].filter((i) => i !== leader);
  const ackedAtKill = writers.acked.length;
  await waitFor('commits flowing after the failover', () => writers.acked.length > ackedAtKill + 100, 20_000);
  await writers.stop();

  assert.equal(await upstreamStatus('Rpl_semi_sync_master_status'), 'ON', 'the upstream still runs semi-sync');
  assert.equal(await upstreamStatus('Rpl_semi_sync_master_no_tx'), asyncBefore, 'no commit was acknowledged without the relay');
  assert.ok(writers.longestCommitMs() < SEMI_SYNC_TIMEOUT_MS / 6, `the longest commit took ${writers.longestCommitMs()} ms (the timeout is ${SEMI_SYNC_TIMEOUT_MS} ms)`);
  await assertNodesHold(Math.max(...writers.acked), survivors);

  cluster.launch(leader);
  await cluster.waitUp(leader);
  await assertNodesHold(Math.max(...writers.acked), [leader]);
});

test('the upstream SIGKILLed under semi-sync writes: every transaction a client saw committed is on every node', { timeout: 60_000 }, async () => {
  const writers = startWriters(4);
  await waitFor('commits flowing', () => writers.acked.length > 200, 20_000);
  await up.kill('SIGKILL');
  await writers.stop();
  assert.ok(writers.acked.length > 200);
  await assertNodesHold(Math.max(...writers.acked), [0, 1, 2]);
  await up.restart(); // for after()'s clean stop
});
