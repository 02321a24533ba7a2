// Storage v2 under SIGKILL: a seeded schedule of at least 20 kills of relay nodes at random moments
// of ingest, apply, raft log compaction, purge and snapshot install, while the upstream keeps
// writing. After every restart the node must come back (never refuse to start, never lose what
// it acknowledged), and at the end every node's binlog files are byte-identical to the upstream's
// dump of the same files. Replay a schedule with KILL_LOOP_SEED=<seed>.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { MariaDb } from '../../helpers/mariadb.js';
import type { RelayCluster } from '../../helpers/relay-cluster.js';
import type { ServerStatusView } from '../../../api/backend.js';
import { waitFor } from '../../helpers/local-relay.js';
import { seededRandom } from '../../helpers/seeded-random.js';
import { startChurningRelay, type ChurningRelay } from '../../helpers/churning-relay.js';
import { serverStatus } from '../../helpers/relay-end.js';
import { assertRelayHoldsUpstream } from '../../helpers/relay-holds-upstream.js';

const SEED = Number(process.env.KILL_LOOP_SEED ?? 20261204);
const KILLS = Number(process.env.KILL_LOOP_KILLS ?? 22);
const random = seededRandom(SEED);
const below = (n: number): number => Math.floor(random() * n);

let relay: ChurningRelay;
let up: MariaDb;
let cluster: RelayCluster;

async function status(i: number): Promise<ServerStatusView> {
  return (await cluster.api(i, 'GET', '/binlog/server/status')).body.data as ServerStatusView;
}

/** The status of node i, or null while it does not answer (restarting, or killed meanwhile). */
const statusIfUp = (i: number): Promise<ServerStatusView | null> => serverStatus(cluster, i);

before(async () => {
  relay = await startChurningRelay(51);
  ({ up, cluster } = relay);
});

after(() => relay?.stop());

/** Kills node i now, restarts it after `downMs`, and waits until it answers again. */
async function bounce(i: number, downMs: number): Promise<void> {
  await cluster.kill(i);
  await new Promise((r) => setTimeout(r, downMs));
  cluster.launch(i);
  await cluster.waitUp(i, 30_000);
}

async function anyLeader(): Promise<number> {
  return cluster.waitForLeader(20_000);
}

test(`${KILLS} seeded SIGKILLs during ingest, apply, compaction, purge and snapshot install lose nothing (seed ${SEED})`, { timeout: 600_000 }, async () => {
  const done: string[] = [];
  for (let k = 0; k < KILLS; k++) {
    // Every node up and caught up before the next kill: one kill at a time, so that a quorum is
    // always up and each restart's recovery is checked whole.
    await waitFor('every node caught up', async () => {
      const all = await Promise.all([0, 1, 2].map((i) => statusIfUp(i)));
      if (all.some((st) => st === null)) return false;
      const top = Math.max(...all.map((st) => st!.applied_index));
      return all.every((st) => top - st!.applied_index < 200);
    }, 60_000);
    const leader = await anyLeader();
    const kind = ['ingest', 'leader', 'purge', 'snapshot', 'ingest'][k % 5]!;
    const victim = kind === 'leader' ? leader : below(3);
    if (kind === 'purge') {
      // Purge every file but the newest through another node, and kill this one while it
      // applies the purge (or just before).
      const files = (await statusIfUp(leader))?.binlog_files ?? [];
      const via = [0, 1, 2].find((i) => i !== victim && !cluster.isDown(i))!;
      const purge = files.length > 1 ? cluster.api(via, 'PUT', '/binlog/purge', { to: files[files.length - 1]!.name }).catch(() => null) : null;
      await new Promise((r) => setTimeout(r, below(60)));
      await bounce(victim, below(300));
      await purge;
    } else if (kind === 'snapshot') {
      // A follower stays down while the others compact past it, so it needs a snapshot; it is
      // killed again during the install now and then.
      const follower = victim === leader ? (leader + 1) % 3 : victim;
      await cluster.kill(follower);
      const applied = Math.max(...(await Promise.all([0, 1, 2].filter((i) => i !== follower).map(async (i) => (await status(i)).applied_index))));
      await waitFor('a compaction past the stopped follower', async () => {
        const l = await anyLeader();
        // Well past it: the stopped node's log may hold entries beyond what was applied.
        return ((await statusIfUp(l))?.snapshot_index ?? 0) > applied + 100;
      }, 60_000);
      cluster.launch(follower);
      if (below(2) === 0) {
        await new Promise((r) => setTimeout(r, 150 + below(400)));
        await cluster.kill(follower);
        cluster.launch(follower);
      }
      await cluster.waitUp(follower, 30_000);
    } else {
      await new Promise((r) => setTimeout(r, below(700)));
      await bounce(victim, below(400));
    }
    done.push(`${kind}:n${victim + 1}`);
  }

  await relay.stopWriting();
  await assertRelayHoldsUpstream(cluster, up);

  const count = (event: string): number => [0, 1, 2].reduce((n, i) => n + cluster.logEvents(i, event).length, 0);
  assert.ok(count('relay.compacted') > 0, 'compactions happened');
  assert.ok(count('relay.snapshot.installed') > 0, `a snapshot was installed (schedule ${done.join(' ')})`);
  assert.ok(count('relay.purged') > 0, 'a purge was applied');
  // With the reasons and the schedule, so that a failure can be read from the test output alone.
  const refusals = [0, 1, 2].flatMap((i) => cluster.logEvents(i, 'relay.refused').map((e) => ({ node: i + 1, index: e.index, file: e.file, pos: e.pos, why: e.why })));
  assert.deepEqual(refusals, [], `no relay record was refused (schedule ${done.join(' ')})`);
});
