// Membership and the relay checkpoint survive SIGKILL together: a lone voter with the real relay
// state machine applies binlog transactions and conf changes (a learner added and removed in turn)
// while the raft log is compacted, and is killed at seeded moments. After every restart the conf
// state is the one the acknowledged changes made (never one missing, never a voter demoted), the
// relay's checkpoint is the applied index, and its file holds exactly the synthetic file's bytes
// up to the served end, which covers every acknowledged transaction.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { seededBelow } from '../../helpers/seeded-random.js';
import { planFile } from './relay-raft-plan.js';

const CHILD = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? './relay-raft-process.ts' : './relay-raft-process.js', import.meta.url));
const SEED = Number(process.env.CRASH_SEED ?? 424242);
const ROUNDS = 14;

interface Line {
  event: string;
  op?: 'add' | 'remove' | 'binlog';
  index?: number;
  end?: number;
  applied?: number;
  checkpoint?: number;
  conf?: { voters: number[]; learners: number[] };
  endPos?: number;
  snapshotIndex?: number;
  refused?: number;
  fileSize?: number;
}

interface Run {
  /** What the restart recovered from disk. */
  start: Line;
  /** The state the run's operations start from (the log's committed tail applied). */
  ready: Line;
  acks: Line[];
  /** The kind of operation sent when the kill came: applied or not. */
  inFlight: 'conf' | 'binlog' | 'none';
}

/** Starts the child, has it do `acks` operations one by one, then sends one more and SIGKILLs
 *  it `killAfterMs` later, so exactly that operation's fate is unknown (a negative delay: the
 *  kill comes right after the last acknowledgement, with nothing sent). */
async function runUntilKilled(dataDir: string, acks: number, killAfterMs: number): Promise<Run> {
  const loader = import.meta.url.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const child = spawn(process.execPath, [...loader, CHILD, dataDir], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const read = async (): Promise<Line> => {
    const next = await lines.next();
    if (next.done) throw new Error('the child ended early');
    return JSON.parse(next.value) as Line;
  };
  const start = await read();
  const ready = await read();
  const done: Line[] = [];
  for (let k = 0; k < acks; k++) {
    child.stdin.write('next\n');
    done.push(await read());
  }
  // Half the kills land right after an acknowledgement (the apply's checkpoint write races
  // the kill), the others while one more operation runs.
  if (killAfterMs >= 0) {
    child.stdin.write('next\n');
    await new Promise((r) => setTimeout(r, killAfterMs));
  }
  child.kill('SIGKILL');
  await exited;
  if (killAfterMs < 0) return { start, ready, acks: done, inFlight: 'none' };
  // The plan: every fourth operation of a run is a conf change, the others binlog transactions.
  return { start, ready, acks: done, inFlight: acks % 4 === 3 ? 'conf' : 'binlog' };
}

test(`conf changes and relay checkpoints stay consistent through ${ROUNDS} SIGKILLs (seed ${SEED})`, { timeout: 120_000 }, async () => {
  const below = seededBelow(SEED);
  const dataDir = mkdtempSync(join(tmpdir(), 'binrelay-conf-crash-'));
  const { file, starts } = planFile();
  const bytes = file.bytes();
  try {
    /** Learner 2 per the acknowledged changes, and whether a change was in flight at the kill. */
    let learner = false;
    let maybeToggled = false;
    let ackedEnd = 0;
    let sawCompaction = false;
    /** Every conf change known to be applied, at a raft index in [lo, hi]. */
    const confOps: { lo: number; hi: number; op: string }[] = [];
    for (let round = 0; round <= ROUNDS; round++) {
      const run = await runUntilKilled(dataDir, round === ROUNDS ? 0 : 1 + below(25), below(2) === 0 ? -1 : below(4));
      const start = run.start;
      assert.equal(start.event, 'start');
      if (round > 0) assert.deepEqual(start.conf!.voters, [1], 'the voter is never demoted or lost');
      // Acknowledged changes are in the log: the recovered state may be one apply behind (the
      // checkpoint is written right after the apply that acknowledged), and the log's committed
      // tail is re-applied before the node goes on.
      const allowed = maybeToggled ? [[2], []] : [learner ? [2] : []];
      assert.ok(allowed.some((a) => JSON.stringify(a) === JSON.stringify(run.ready.conf!.learners)),
        `round ${round}: learners ${JSON.stringify(run.ready.conf!.learners)}, acknowledged ${learner ? '[2]' : '[]'}${maybeToggled ? ' (a change in flight)' : ''}`);
      assert.deepEqual(run.ready.conf!.voters, [1]);
      // The recovered membership is exactly the one at the recovered applied index (both are
      // written in one batch): the acknowledged changes at or below it, and none above.
      const applied = confOps.filter((c) => c.hi <= start.applied!);
      const atApplied = applied.length > 0 && applied[applied.length - 1]!.op === 'add' ? [2] : [];
      const unsure = confOps.some((c) => c.lo <= start.applied! && start.applied! < c.hi)
        || (maybeToggled && start.applied! > (confOps[confOps.length - 1]?.hi ?? 0));
      assert.ok(JSON.stringify(start.conf!.learners) === JSON.stringify(atApplied) || unsure,
        `round ${round}: recovered learners ${JSON.stringify(start.conf!.learners)} at applied ${start.applied}, the log says ${JSON.stringify(atApplied)} (${JSON.stringify(confOps)}, ${JSON.stringify(start)})`);
      const now = run.ready.conf!.learners.includes(2);
      // The change in flight at the last kill was applied after all: it lies between the last
      // acknowledged change and this run's read barrier.
      if (maybeToggled && now !== learner) confOps.push({ lo: (confOps[confOps.length - 1]?.hi ?? 0) + 1, hi: run.ready.index!, op: now ? 'add' : 'remove' });
      learner = now;
      assert.equal(start.checkpoint, start.applied, 'the relay checkpoint is the applied index');
      assert.equal(start.refused, 0, 'no record refused');
      assert.ok(run.ready.endPos! >= ackedEnd, `every acknowledged transaction is served (end ${run.ready.endPos} < ${ackedEnd})`);
      if (start.endPos! > 0) {
        assert.ok(starts.includes(start.endPos!), 'the served end is a transaction boundary');
        assert.equal(start.fileSize, start.endPos, 'no byte past the served end survives the restart');
        const onDisk = readFileSync(join(dataDir, 'binlog', file.name)).subarray(0, start.endPos);
        assert.ok(onDisk.subarray(4).equals(bytes.subarray(0, start.endPos! - 4)), 'the file is the synthetic file, byte for byte');
      }
      if (start.snapshotIndex! > 0) sawCompaction = true;
      for (const line of run.acks) {
        if (line.op === 'binlog') ackedEnd = Math.max(ackedEnd, line.end!);
        else {
          learner = line.op === 'add';
          confOps.push({ lo: line.index!, hi: line.index!, op: line.op! });
        }
      }
      maybeToggled = run.inFlight === 'conf';
    }
    assert.ok(sawCompaction, 'the raft log was compacted during the run');
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
