// A 2 s storage stall on the leader (issue 12): its raft log writes hang (injected for real into
// its process: test/helpers/storage-fault-preload.ts), yet heartbeats and appends keep flowing,
// so no election happens; the followers' copies commit the syncer's records meanwhile and serve
// them; after the stall the leader catches up and every node ends at the upstream's position.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { startFaultInjectableCluster, type FaultInjectableCluster } from '../../helpers/fault-injectable-cluster.js';
import { parseExposition, sampleValue } from '../../helpers/prometheus-text.js';
import { waitFor } from '../../helpers/local-relay.js';
import { relayEnd, upstreamEnd } from '../../helpers/relay-end.js';
import { stallWritesTrigger } from '../../helpers/storage-fault-preload.js';

const STALL_MS = 2000;
let rig: FaultInjectableCluster;

before(async () => {
  // The product's timing: heartbeat 100 ms, election timeout 1 s (half the stall).
  rig = await startFaultInjectableCluster({ serverId: 42, nodeArgs: ['--heartbeat-interval', '100ms', '--election-timeout', '1000ms'] });
});

after(async () => {
  await rig?.stop();
});

interface RaftView {
  term: number;
  leader: boolean;
  applied: number;
}

async function raftView(i: number): Promise<RaftView> {
  const res = await fetch(`http://${rig.cluster.nodes[i]!.adminAddr}/metrics`, { signal: AbortSignal.timeout(5000) });
  const samples = parseExposition(await res.text());
  return {
    term: sampleValue(samples, 'binrelay_raft_term')!,
    leader: sampleValue(samples, 'binrelay_raft_is_leader') === 1,
    applied: sampleValue(samples, 'binrelay_raft_applied_index')!,
  };
}

test('a 2 s storage stall on the leader changes no leader, and commits go on and resume', { timeout: 90_000 }, async () => {
  const { cluster, upstream: up } = rig;
  const { leader, writer } = await rig.relayUnderWrites(15_000);

  const nodes = [0, 1, 2];
  const before = await Promise.all(nodes.map(raftView));
  const term = before[leader]!.term;
  writeFileSync(stallWritesTrigger(cluster.nodes[leader]!.dataDir), String(Date.now() + STALL_MS));
  const stallEnds = Date.now() + STALL_MS;
  // Sampled through the stall and an election timeout past it.
  const samples: RaftView[][] = [];
  while (Date.now() < stallEnds + 1000) {
    samples.push(await Promise.all(nodes.map(raftView)));
    await new Promise((r) => setTimeout(r, 100));
  }
  const during = samples.filter((_, k) => k * 100 < STALL_MS - 300);
  for (const view of samples) {
    for (const i of nodes) {
      assert.equal(view[i]!.term, term, `node ${i} stayed in term ${term} (heartbeats flowed)`);
      assert.equal(view[i]!.leader, i === leader, `node ${i}: the leader did not change`);
    }
  }
  // The stall was real: the leader applied nothing past what it had durable; the followers went
  // on committing and applying the syncer's records from their own copies.
  const leaderApplied = new Set(during.slice(3).map((v) => v[leader]!.applied));
  assert.ok(leaderApplied.size <= 2, `the leader's apply stood still during the stall (${[...leaderApplied].join(', ')})`);
  for (const i of nodes.filter((n) => n !== leader)) {
    const first = during[0]![i]!.applied;
    const last = during.at(-1)![i]!.applied;
    assert.ok(last > first, `follower ${i} applied during the stall (${first} → ${last})`);
  }

  await writer.stop();
  const end = await upstreamEnd(up);
  for (const i of nodes) {
    await waitFor(`node ${i} at the upstream's end`, async () => JSON.stringify(await relayEnd(cluster, i)) === JSON.stringify(end), 20_000)
      .catch(async (err: Error) => assert.fail(`${err.message}: ${JSON.stringify(await relayEnd(cluster, i))} vs ${JSON.stringify(end)}`));
  }
  assert.equal((await raftView(leader)).term, term, 'still the same term at the end');
});
