// The end check of the crash tests: every node reaches the upstream's last file and position, and
// every binlog file it holds is the upstream's file byte for byte (as the upstream's dump sends
// it), the same set of files on every node.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from './local-relay.js';
import type { MariaDb } from './mariadb.js';
import type { RelayCluster } from './relay-cluster.js';
import { serverStatus } from './relay-end.js';
import { assertSameBinlogBytes, withUpstreamDump } from './upstream-binlog-reference.js';

/** Waits until every node of `cluster` is at the upstream's end (read on every poll: after a
 *  rotation MariaDB still appends a BINLOG_CHECKPOINT once InnoDB has flushed), then compares
 *  every file each node holds with the upstream's. */
export async function assertRelayHoldsUpstream(cluster: RelayCluster, up: MariaDb, ms = 120_000): Promise<void> {
  const nodes = cluster.nodes.map((_, i) => i);
  let endFile = '';
  for (const i of nodes) {
    await waitFor(`n${i + 1} at the upstream's end`, async () => {
      const [master] = await up.query('SHOW MASTER STATUS');
      endFile = String(master!.File);
      const s = await serverStatus(cluster, i);
      return s?.last_binlog_file === endFile && s.last_file_position === Number(master!.Position);
    }, ms);
  }
  await withUpstreamDump(up, async (dumpDir, names) => {
    const reference = new Set(names);
    const held: string[][] = [];
    for (const i of nodes) {
      const s = (await serverStatus(cluster, i))!;
      const dir = join(cluster.nodes[i]!.dataDir, 'binlog');
      assert.deepEqual(readdirSync(dir).sort(), s.binlog_files.map((f) => f.name).sort(), `n${i + 1} holds on disk exactly the files of its state`);
      for (const f of s.binlog_files) {
        assert.ok(reference.has(f.name), `${f.name} is an upstream file`);
        const ours = readFileSync(join(dir, f.name));
        assert.ok(ours.length >= f.size, `n${i + 1} ${f.name} holds its served end`);
        assertSameBinlogBytes(ours, readFileSync(join(dumpDir, f.name)), f.name === endFile, `n${i + 1} ${f.name}`);
      }
      held.push(s.binlog_files.map((f) => f.name));
    }
    for (const i of nodes.slice(1)) assert.deepEqual(held[i], held[0], 'every node holds the same files');
  });
}
