// The setting of the crash tests: an upstream with small 2 MB binlog files and an account
// repl/replpw, a 3-node cluster with a small raft tail (compactions, and snapshots for nodes that
// fall behind, all the time) relaying it, and a writer that keeps the upstream's binlog growing
// with small transactions, now and then a 1.5 MB one and a rotation.
import assert from 'node:assert/strict';
import { startMariaDb, type MariaDb } from './mariadb.js';
import { RelayCluster } from './relay-cluster.js';

export interface ChurningRelay {
  readonly up: MariaDb;
  readonly cluster: RelayCluster;
  /** Stops the writer; resolves after its last write (rejects if a write failed). */
  stopWriting(): Promise<void>;
  /** Starts the writer again after stopWriting(). */
  startWriting(): void;
  /** Stops the writer, the cluster, then the upstream. */
  stop(): Promise<void>;
}

export async function startChurningRelay(serverId: number): Promise<ChurningRelay> {
  const up = await startMariaDb({ serverId, args: ['--max-binlog-size=2M'] });
  let cluster: RelayCluster | null = null;
  try {
    await up.exec(`CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY 'replpw';
      GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO 'repl'@'127.0.0.1';
      CREATE DATABASE app; CREATE TABLE app.t (id INT AUTO_INCREMENT PRIMARY KEY, v LONGTEXT)`);
    cluster = await RelayCluster.start(3, ['--raft-log-retain.bytes', '1MiB', '--raft-log-retain.entries', '64']);
    const res = await cluster.api(await cluster.waitForLeader(), 'PUT', '/binlog/syncer/start', { mysql_addr: `127.0.0.1:${up.port}`, mysql_user: 'repl', mysql_password: 'replpw' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
  } catch (err) {
    await cluster?.stop();
    await up.stop();
    throw err;
  }
  let writing = churn(up);
  const started = cluster;
  return {
    up,
    cluster: started,
    stopWriting: () => writing.stop(),
    startWriting() {
      writing = churn(up);
    },
    async stop() {
      await writing.stop().catch(() => undefined);
      await started.stop();
      await up.stop();
    },
  };
}

/** Writes to app.t until stopped: rows of 200–5,600 bytes every ~4 ms, every 200th of 1.5 MB,
 *  FLUSH BINARY LOGS every 400th. */
function churn(up: MariaDb): { stop(): Promise<void> } {
  let writing = true;
  const loop = (async () => {
    for (let k = 0; writing; k++) {
      if (k % 200 === 199) await up.exec(`INSERT INTO app.t (v) VALUES (REPEAT('L', ${1_500_000}))`);
      else await up.exec(`INSERT INTO app.t (v) VALUES ('${'x'.repeat(200 + (k % 7) * 900)}')`);
      if (k % 400 === 399) await up.exec('FLUSH BINARY LOGS');
      await new Promise((r) => setTimeout(r, 4));
    }
  })();
  return {
    async stop() {
      writing = false;
      await loop;
    },
  };
}
