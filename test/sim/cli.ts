// `npm run sim -- --seed-start N --seeds K --steps S [--nodes 3|5] [--verbose]`
// Runs seeds N .. N+K-1, one line each, then a summary; exits 1 if any seed failed. A failure
// prints SEED=<n>, the command that replays it exactly, and the tail of its event trace.
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { runSeed } from './run-seed.js';

const USAGE = 'usage: sim --seed-start N [--seeds K] [--steps S] [--nodes 3|5] [--verbose] [--lying-fsync] [--heavy]';

export interface CliOptions {
  readonly seedStart: number;
  readonly seeds: number;
  readonly steps: number;
  readonly nodes: 3 | 5 | undefined;
  readonly verbose: boolean;
  /** Unsafe disk (fsync acknowledged but not done): a check that the checkers bite. */
  readonly lyingFsync: boolean;
  /** Faults and operations 6x as often (bug hunting, nightly). */
  readonly heavy: boolean;
}

export function parseCli(argv: readonly string[]): CliOptions {
  try {
    return parseValues(argv);
  } catch (err) {
    if (err instanceof CliUsageError) throw err;
    throw new CliUsageError(`${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
  }
}

function parseValues(argv: readonly string[]): CliOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      'seed-start': { type: 'string' },
      seed: { type: 'string' },
      seeds: { type: 'string', default: '1' },
      steps: { type: 'string', default: '3000' },
      nodes: { type: 'string' },
      verbose: { type: 'boolean', default: false },
      'lying-fsync': { type: 'boolean', default: false },
      heavy: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) throw new CliUsageError(USAGE);
  const int = (name: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (v === undefined || !Number.isSafeInteger(n) || n < min) throw new CliUsageError(`--${name} must be an integer >= ${min}\n${USAGE}`);
    return n;
  };
  const seedStart = int('seed-start', values['seed-start'] ?? values.seed ?? '1', 0);
  let nodes: 3 | 5 | undefined;
  if (values.nodes !== undefined) {
    if (values.nodes !== '3' && values.nodes !== '5') throw new CliUsageError(`--nodes must be 3 or 5\n${USAGE}`);
    nodes = values.nodes === '3' ? 3 : 5;
  }
  return { seedStart, seeds: int('seeds', values.seeds, 1), steps: int('steps', values.steps, 1), nodes,
    verbose: values.verbose === true, lyingFsync: values['lying-fsync'] === true, heavy: values.heavy === true };
}

export class CliUsageError extends Error {
  readonly code = 'SIM_USAGE';
}

export function replayCommand(seed: number, o: Pick<CliOptions, 'steps' | 'nodes' | 'lyingFsync' | 'heavy'>): string {
  return `npm run sim -- --seed-start ${seed} --seeds 1 --steps ${o.steps}${o.nodes === undefined ? '' : ` --nodes ${o.nodes}`}` +
    (o.lyingFsync ? ' --lying-fsync' : '') + (o.heavy ? ' --heavy' : '');
}

async function main(): Promise<number> {
  let o: CliOptions;
  try {
    o = parseCli(process.argv.slice(2));
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    return 2;
  }
  const started = performance.now();
  const failed: number[] = [];
  let events = 0;
  const totals = new Map<string, number>();
  for (let seed = o.seedStart; seed < o.seedStart + o.seeds; seed++) {
    const t0 = performance.now();
    const r = await runSeed({ seed, steps: o.steps, nodes: o.nodes, lyingFsync: o.lyingFsync, heavy: o.heavy, ...(o.verbose ? { echo: (l: string) => console.log(l) } : {}) });
    events += r.events;
    for (const [k, v] of Object.entries(r.stats)) totals.set(k, (totals.get(k) ?? 0) + v);
    const ms = (performance.now() - t0).toFixed(0);
    console.log(`seed ${seed} ${r.ok ? 'ok  ' : 'FAIL'} nodes=${r.nodes} events=${r.events} sim=${(r.simMs / 1000).toFixed(2)}s ` +
      `trace=${r.traceHash} ${ms}ms  ${r.summary}`);
    if (!r.ok) {
      failed.push(seed);
      console.log(`SEED=${seed} ${r.violation}`);
      console.log(`replay: ${replayCommand(seed, o)}`);
      if (!o.verbose) for (const line of r.traceTail) console.log(`  | ${line}`);
    }
  }
  const secs = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`exercised: ${[...totals].map(([k, v]) => `${k} ${v}`).join(', ')}`);
  console.log(`${o.seeds - failed.length}/${o.seeds} seeds passed, ${events} events, ${secs}s` +
    (failed.length > 0 ? `; failed: ${failed.map((s) => `SEED=${s}`).join(' ')}` : ''));
  return failed.length > 0 ? 1 : 0;
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  main().then((code) => process.exit(code), (err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
