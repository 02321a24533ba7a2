// The CI-sized simulator run: SIM_SEEDS seeds (default 320) alternating 3- and 5-node clusters,
// SIM_STEPS events each (default 6000) of load, faults and membership changes, every checker
// after every event, then the liveness phase. A failure names the seed and the command that
// replays it exactly. Larger runs: `npm run sim -- --seed-start 1 --seeds 5000 --steps 10000`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { replayCommand } from './cli.js';
import { runSeed, type SeedResult } from './run-seed.js';

const SEEDS = Number(process.env.SIM_SEEDS ?? 320);
const STEPS = Number(process.env.SIM_STEPS ?? 6000);
const SEED_START = Number(process.env.SIM_SEED_START ?? 1);

function nodesFor(seed: number): 3 | 5 {
  return seed % 2 === 1 ? 3 : 5;
}

function report(r: SeedResult, steps: number): string {
  return [
    `SEED=${r.seed} ${r.violation}`,
    `replay: ${replayCommand(r.seed, { steps, nodes: nodesFor(r.seed), lyingFsync: false, heavy: false })}`,
    ...r.traceTail.map((l) => `  | ${l}`),
  ].join('\n');
}

test(`${SEEDS} seeds (3 and 5 nodes) x ${STEPS} events: safety after every event, then liveness`, async () => {
  const failures: SeedResult[] = [];
  let events = 0;
  let leaders = 0;
  let acked = 0;
  for (let seed = SEED_START; seed < SEED_START + SEEDS; seed++) {
    const r = await runSeed({ seed, steps: STEPS, nodes: nodesFor(seed) });
    events += r.events;
    leaders += r.stats.leaders ?? 0;
    acked += r.stats.acked ?? 0;
    if (!r.ok) failures.push(r);
  }
  assert.equal(failures.length, 0,
    `${failures.length}/${SEEDS} seeds failed: ${failures.map((f) => `SEED=${f.seed}`).join(' ')}\n\n${failures.slice(0, 1).map((f) => report(f, STEPS)).join('\n')}`);
  // The runs did something: elections and acknowledged writes in every seed on average.
  assert.ok(leaders >= SEEDS && acked >= 10 * SEEDS, `too little happened: ${leaders} leaders, ${acked} acks, ${events} events`);
});

test('a seed replays exactly: same trace, same outcome', async () => {
  for (const seed of [11, 12]) {
    const a = await runSeed({ seed, steps: 2000, nodes: nodesFor(seed) });
    const b = await runSeed({ seed, steps: 2000, nodes: nodesFor(seed) });
    assert.equal(a.traceHash, b.traceHash);
    assert.equal(a.events, b.events);
    assert.deepEqual(a.stats, b.stats);
  }
  const c = await runSeed({ seed: 13, steps: 2000, nodes: 3 });
  const d = await runSeed({ seed: 14, steps: 2000, nodes: 3 });
  assert.notEqual(c.traceHash, d.traceHash);
});

test('the checkers bite: a disk that lies about fsync is caught', async () => {
  const failed: number[] = [];
  for (let seed = 1; seed <= 40 && failed.length < 3; seed++) {
    const r = await runSeed({ seed, steps: 3000, nodes: nodesFor(seed), lyingFsync: true });
    if (!r.ok) failed.push(seed);
  }
  assert.ok(failed.length >= 3, `only ${failed.length} of 40 lying-fsync seeds failed`);
});
