// A three-node relay cluster whose node processes load the storage fault-injection preload
// (storage-fault-preload.ts: a test makes a node's storage writes fail or stall by writing its
// trigger file), beside a throwaway upstream MariaDB for its syncer to relay, and a steady
// writer to keep that upstream's binlog growing while the fault strikes.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { startMariaDb, type MariaDb } from './mariadb.js';
import { waitFor } from './local-relay.js';
import { RelayCluster } from './relay-cluster.js';
import { relayEnd } from './relay-end.js';

const PRELOAD = fileURLToPath(new URL('./storage-fault-preload.js', import.meta.url));

export interface FaultInjectableClusterOptions {
  /** The upstream's server_id. */
  serverId: number;
  /** Extra `binrelay start` arguments of every node (e.g. its raft timing). */
  nodeArgs?: string[];
}

export interface FaultInjectableCluster {
  /** The upstream: account repl/replpw with replication rights, table app.t (id INT PRIMARY KEY, v VARCHAR(64)). */
  readonly upstream: MariaDb;
  readonly cluster: RelayCluster;
  /** Starts the leader's syncer (relaying the upstream as repl) and a steadyWriter on the
   *  upstream; resolves once the leader relays, within `ms`. */
  relayUnderWrites(ms?: number): Promise<{ leader: number; writer: SteadyWriter }>;
  /** Stops the cluster, then the upstream. */
  stop(): Promise<void>;
}

export async function startFaultInjectableCluster(options: FaultInjectableClusterOptions): Promise<FaultInjectableCluster> {
  const upstream = await startMariaDb({ serverId: options.serverId });
  let cluster: RelayCluster;
  try {
    await upstream.exec(`CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY 'replpw';
      GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO 'repl'@'127.0.0.1';
      CREATE DATABASE app; CREATE TABLE app.t (id INT PRIMARY KEY, v VARCHAR(64))`);
    cluster = await startWithPreload(options.nodeArgs ?? []);
  } catch (err) {
    await upstream.stop();
    throw err;
  }
  return {
    upstream,
    cluster,
    async relayUnderWrites(ms = 10_000) {
      const leader = await cluster.waitForLeader();
      const started = await cluster.api(leader, 'PUT', '/binlog/syncer/start', { mysql_addr: `127.0.0.1:${upstream.port}`, mysql_user: 'repl', mysql_password: 'replpw' });
      assert.equal(started.status, 200, JSON.stringify(started.body));
      const writer = steadyWriter(upstream);
      await waitFor('the leader relays', async () => (await relayEnd(cluster, leader))?.executed_gtid_set !== '', ms);
      return { leader, writer };
    },
    async stop() {
      try {
        await cluster.stop();
      } finally {
        await upstream.stop();
      }
    },
  };
}

/** RelayCluster hands TEST_NODE_FLAGS to each node process it launches: the preload goes in for
 *  the start only, and the variable is restored for whatever the test process runs next. */
async function startWithPreload(nodeArgs: string[]): Promise<RelayCluster> {
  const flags = process.env.TEST_NODE_FLAGS;
  process.env.TEST_NODE_FLAGS = `${flags ?? ''} --import ${PRELOAD}`;
  try {
    return await RelayCluster.start(3, nodeArgs);
  } finally {
    if (flags === undefined) delete process.env.TEST_NODE_FLAGS;
    else process.env.TEST_NODE_FLAGS = flags;
  }
}

export interface SteadyWriter {
  /** Stops the writer; resolves after its last insert (rejects if an insert failed). */
  stop(): Promise<void>;
}

/** Inserts rows `first`, `first` + 1, … into the upstream's app.t, one every 10 ms, until stopped. */
export function steadyWriter(upstream: MariaDb, first = 1): SteadyWriter {
  let writing = true;
  let next = first;
  const loop = (async () => {
    while (writing) {
      await upstream.exec(`INSERT INTO app.t VALUES (${next}, 'row ${next}')`);
      next++;
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  return {
    async stop() {
      writing = false;
      await loop;
    },
  };
}
