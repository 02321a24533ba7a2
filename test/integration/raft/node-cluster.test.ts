// Three RaftNodes on loopback with the real pieces: TcpTransport, LevelDB (SegmentRaftStore),
// the system clock. Bootstrap, replication, a leader stopping, re-election, and a restart from
// disk that resumes after the persisted applied index.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../../raft/clock.js';
import { seededRng } from '../../../raft/core/rng.js';
import type { Entry, NodeId } from '../../../raft/core/types.js';
import { RaftNode } from '../../../raft/node.js';
import { TcpTransport } from '../../../raft/transport.js';
import { openStorage, type Storage } from '../../../storage/storage.js';

interface Member {
  readonly id: NodeId;
  readonly dir: string;
  address: string;
  storage: Storage | null;
  transport: TcpTransport | null;
  raft: RaftNode | null;
  applied: Entry[];
}

async function waitFor(what: string, pred: () => boolean, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function startMember(m: Member, peers: Map<NodeId, string>): Promise<void> {
  m.storage = await openStorage(m.dir);
  m.transport = await TcpTransport.start({ nodeId: m.id, listen: m.address, clusterId: 'it', clusterToken: null });
  m.address = `127.0.0.1:${m.transport.address().port}`;
  const store = m.storage.raft;
  m.raft = await RaftNode.start({
    id: m.id, peers, store, transport: m.transport, clock: systemClock, rng: seededRng(m.id),
    heartbeatIntervalMs: 10, electionTimeoutMs: 100,
    appliedIndex: store.appliedIndex(),
    apply: (entries) => {
      m.applied.push(...entries);
      store.stageAppliedIndex(entries[entries.length - 1]!.index);
    },
  });
}

async function stopMember(m: Member): Promise<void> {
  await m.raft?.stop();
  await m.storage?.close();
  m.raft = null;
  m.storage = null;
  m.transport = null;
}

const leaderOf = (ms: Member[]): Member | undefined => ms.find((m) => m.raft?.status().role === 'leader');

test('a 3-node cluster on TCP and LevelDB replicates, fails over and restarts from disk', async () => {
  const root = mkdtempSync(join(tmpdir(), 'binrelay-raft-'));
  const members: Member[] = [1, 2, 3].map((id) => ({
    id, dir: join(root, `n${id}`), address: '127.0.0.1:0', storage: null, transport: null, raft: null, applied: [],
  }));
  try {
    // Bind every listener first (port 0), so that each node starts knowing the others' ports.
    for (const m of members) {
      const t = await TcpTransport.start({ nodeId: m.id, listen: m.address, clusterId: 'it', clusterToken: null });
      m.address = `127.0.0.1:${t.address().port}`;
      await t.close();
    }
    const peers = new Map(members.map((m) => [m.id, m.address]));
    for (const m of members) await startMember(m, peers);

    await waitFor('a leader', () => leaderOf(members) !== undefined);
    const first = leaderOf(members)!;
    const indexes: number[] = [];
    for (let k = 0; k < 20; k++) indexes.push(await first.raft!.propose(new TextEncoder().encode(`e${k}`)));
    const last = indexes[indexes.length - 1]!;
    await waitFor('replication', () => members.every((m) => m.applied.some((e) => e.index === last)));

    await stopMember(first);
    const rest = members.filter((m) => m !== first);
    await waitFor('a new leader', () => leaderOf(rest) !== undefined);
    const second = leaderOf(rest)!;
    const after = await second.raft!.propose(new TextEncoder().encode('after failover'));

    first.applied = [];
    await startMember(first, peers);
    await waitFor('the restarted node catches up', () => first.applied.some((e) => e.index === after));
    assert.ok(first.applied[0]!.index > 1, 'resumed after its persisted applied index, not from the start');
    const texts = members.map((m) => new TextDecoder().decode(m.applied.find((e) => e.index === after)!.data));
    assert.deepEqual(texts, ['after failover', 'after failover', 'after failover']);
  } finally {
    for (const m of members) await stopMember(m).catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  }
});
