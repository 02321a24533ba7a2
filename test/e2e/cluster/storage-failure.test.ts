// Fail-stop on a storage write failure (issue 9, done-when 4), with the failure injected for real
// into the leader's process (test/helpers/storage-fault-preload.ts: its FileHandle writes start
// throwing EIO): the leader stops its syncer and exits non-zero, a new leader takes the upstream
// over, and no zombie syncer ever kicks the new leader's dump. Nothing is lost or doubled: every
// surviving node ends at the upstream's GTID position and at its exact file and position.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { startFaultInjectableCluster, type FaultInjectableCluster } from '../../helpers/fault-injectable-cluster.js';
import { waitFor } from '../../helpers/local-relay.js';
import { relayEnd, upstreamEnd } from '../../helpers/relay-end.js';
import { failWritesTrigger } from '../../helpers/storage-fault-preload.js';
import { longestDoubleDumpMs, watchBinlogDumps } from '../../helpers/upstream-dumps.js';

let rig: FaultInjectableCluster;

before(async () => {
  rig = await startFaultInjectableCluster({ serverId: 41 });
});

after(async () => {
  await rig?.stop();
});

test('a leader whose storage writes fail stops its syncer and exits non-zero; no zombie kicks the new leader\'s dump', { timeout: 60_000 }, async () => {
  const { cluster, upstream: up } = rig;
  const { leader, writer } = await rig.relayUnderWrites();

  const dumps = watchBinlogDumps(up, 'repl');
  writeFileSync(failWritesTrigger(cluster.nodes[leader]!.dataDir), '');
  const failedAt = Date.now();
  const code = await cluster.exitWithin(leader, 10_000);
  assert.ok(code !== null && code !== 0, `the failed leader exits non-zero (got ${String(code)})`);
  const log = readFileSync(cluster.nodes[leader]!.logFile, 'utf8');
  assert.match(log, /"event":"node.failed".*EIO/, 'it logs why it failed');
  assert.match(log, /^binrelay start: node failed: .*EIO/m, 'its stderr line names the cause, not only the wrapper');
  assert.ok(cluster.logEvents(leader, 'syncer.stopped').length >= 1, 'it stopped its syncer');

  const others = [0, 1, 2].filter((i) => i !== leader);
  await waitFor('a new leader', async () => others.includes(await cluster.leaderIndex()), 10_000);
  const newLeader = await cluster.leaderIndex();
  await waitFor('the new leader dumps from the upstream', () => cluster.logEvents(newLeader, 'syncer.dump').length > 0, 15_000);
  const resumedMs = Date.now() - failedAt;
  // Longer than a zombie's reconnect period (≤ 5 s): the new leader's dump must stay up.
  await new Promise((r) => setTimeout(r, 6000));
  await writer.stop();
  const samples = await dumps.stop();

  const end = await upstreamEnd(up);
  for (const i of others) {
    await waitFor(`node ${i} at the upstream's end`, async () => JSON.stringify(await relayEnd(cluster, i)) === JSON.stringify(end), 20_000)
      .catch(async (err: Error) => assert.fail(`${err.message}: ${JSON.stringify(await relayEnd(cluster, i))} vs ${JSON.stringify(end)}`));
  }
  assert.equal(cluster.logEvents(newLeader, 'syncer.dump').length, 1, 'the new leader\'s dump was never kicked (no second dump)');
  assert.ok(longestDoubleDumpMs(samples) < 1000, `never two relay dumps for long (${longestDoubleDumpMs(samples)} ms)`);
  assert.ok(samples.at(-1)!.dumps === 1, 'one dump at the end');
  assert.ok(resumedMs < 15_000, `resumed after ${resumedMs} ms`);
});
