// The upstream's binlog as its dump sends it (`mariadb-binlog -R --raw`, every file from the
// first), the reference a relay node's binlog files must equal byte for byte.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mariadbBinlog, type MariaDb } from './mariadb.js';
import type { RelayCluster } from './relay-cluster.js';
import { serverStatus } from './relay-end.js';

/** Dumps every binlog file of `up` (as repl / replpw) into a temp dir, runs `check` with the dir
 *  and the file names in order, then removes the dir. */
export async function withUpstreamDump<T>(up: MariaDb, check: (dir: string, names: string[]) => T | Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'binrelay-upstream-dump-'));
  try {
    await mariadbBinlog(['-R', '--raw', '--host=127.0.0.1', `--port=${up.port}`, '--user=repl', '--password=replpw',
      `--result-file=${dir}/`, '--to-last-log', 'up-bin.000001']);
    return await check(dir, readdirSync(dir).sort());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `ours` is the upstream's file `theirs`, byte for byte. The upstream's newest file may still get
 *  a BINLOG_CHECKPOINT event between the dump and the read (on either side): for it, the bytes
 *  both hold are compared. */
export function assertSameBinlogBytes(ours: Buffer, theirs: Buffer, newest: boolean, label: string): void {
  const both = newest ? Math.min(ours.length, theirs.length) : theirs.length;
  assert.ok(ours.subarray(0, both).equals(theirs.subarray(0, both)), `${label} is byte-identical to the upstream's`);
  if (!newest) assert.equal(ours.length, theirs.length, `${label} is whole`);
}

/** Each of `nodes` holds binlog files, and every one it lists is the upstream's, byte for byte
 *  and whole (nothing is written upstream meanwhile). */
export async function assertNodesHoldUpstreamFiles(up: MariaDb, cluster: RelayCluster, nodes: readonly number[]): Promise<void> {
  await withUpstreamDump(up, async (dumpDir) => {
    for (const i of nodes) {
      const files = (await serverStatus(cluster, i))!.binlog_files;
      assert.ok(files.length > 0, `n${i + 1} holds binlog files`);
      for (const f of files) {
        assertSameBinlogBytes(readFileSync(join(cluster.nodes[i]!.dataDir, 'binlog', f.name)), readFileSync(join(dumpDir, f.name)), false, `n${i + 1} ${f.name}`);
      }
    }
  });
}
