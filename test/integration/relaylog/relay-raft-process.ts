// A one-voter binrelay node without network, for the crash test beside it: real LevelDB storage,
// the real relay state machine (src/relaylog/relay-state-machine.ts, as src/node.ts wires it), the
// real raft driver and compaction policy. It proposes, by a fixed plan, whole transactions of a
// synthetic binlog file and membership changes (learner 2 added and removed in turn), one
// operation per `next` line on stdin, printing one JSON line per acknowledged operation.
//   node relay-raft-process.js DATA_DIR
import { createInterface } from 'node:readline';
import { pino } from 'pino';
import { RaftNode } from '../../../raft/node.js';
import { systemClock } from '../../../raft/clock.js';
import { seededRng } from '../../../raft/core/rng.js';
import type { PeerTransport } from '../../../raft/ports.js';
import { openStorage } from '../../../storage/storage.js';
import { openRelay, relayStateMachine } from '../../../src/relaylog/relay-state-machine.js';
import { CompactionPolicy } from '../../../src/relaylog/compaction-policy.js';
import { encodeRelayRecord } from '../../../src/relaylog/relay-entry.js';
import { planFile } from './relay-raft-plan.js';

const dataDir = process.argv[2]!;
const logger = pino({ level: 'silent' });
const print = (line: object): void => {
  process.stdout.write(`${JSON.stringify(line)}\n`);
};

const storage = await openStorage(dataDir, { logger });
const relay = await openRelay(dataDir, storage, logger);
const noNetwork: PeerTransport = {
  send: () => undefined, onMessage: () => undefined, onUnreachable: () => undefined,
  setPeer: () => undefined, removePeer: () => undefined, close: async () => undefined,
};
let raft: RaftNode | null = null;
const compaction = new CompactionPolicy({ bytes: 64 * 1024, entries: 12 }, relay, storage.raft, logger);
const machine = relayStateMachine(relay, storage, () => Promise.reject(new Error('a lone voter never installs a snapshot')), (entries) => {
  if (raft) compaction.applied(raft, entries);
});
// What was recovered from disk, before raft applies anything.
const recovered = {
  applied: machine.appliedIndex, checkpoint: relay.checkpointIndex, conf: storage.raft.initialState().confState,
  endPos: relay.lastFile()?.endPos ?? 0, refused: relay.refused, snapshotIndex: storage.raft.snapshotMeta().index,
  fileSize: relay.lastFile() ? relay.dir.size(relay.lastFile()!.name) : 0,
};
raft = await RaftNode.start({
  id: 1, peers: new Map([[1, 'local']]), store: storage.raft, transport: noNetwork, clock: systemClock, rng: seededRng(7),
  heartbeatIntervalMs: 10, electionTimeoutMs: 40, logger,
  apply: machine.apply, applySnapshot: machine.applySnapshot, checkpoint: machine.checkpoint, appliedIndex: machine.appliedIndex,
});
print({ event: 'start', ...recovered });
// Leading, with everything committed before the restart applied (a conf change acknowledged
// to nobody may have been committed and is applied now): the membership the plan starts from.
// (A read barrier: entries of an earlier term are committed only with one of this term.)
while (raft.status().role !== 'leader') await new Promise((r) => setTimeout(r, 5));
// On a loaded machine the first commit of the term may take longer than the timeout: ask again.
let barrier = -1;
while (barrier < 0) {
  barrier = await raft.readIndex().catch((err: unknown) => {
    if ((err as { code?: unknown }).code === 'RAFT_READ_INDEX_TIMEOUT') return -1;
    throw err;
  });
}
while (raft.status().appliedIndex < barrier) await new Promise((r) => setTimeout(r, 5));
print({ event: 'ready', conf: raft.status().confState, endPos: relay.lastFile()?.endPos ?? 0, index: barrier });

const { file, starts } = planFile();
const bytes = file.bytes();
let at = starts.findIndex((s) => s === (relay.lastFile()?.endPos ?? 4));
const steps = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
for (let k = 0; at >= 0 && at < starts.length - 1 && !(await steps.next()).done; k++) {
  if (k % 4 === 3) {
    const learner = raft.status().confState.learners.includes(2);
    const index = learner ? await raft.removeMember(2) : await raft.addLearner(2, 'nowhere:1');
    print({ event: 'ack', op: learner ? 'remove' : 'add', index });
    continue;
  }
  const from = starts[at]!;
  const to = starts[at + 1]!;
  const index = await raft.propose(encodeRelayRecord({ kind: 'binlog', file: file.name, pos: from, endsAtBoundary: true, bytes: bytes.subarray(from - 4, to - 4) }));
  print({ event: 'ack', op: 'binlog', index, end: to });
  at++;
}
print({ event: 'done' });
