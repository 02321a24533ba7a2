// The commit path's hops as the nodes measure them (binrelay_commit_path_seconds{hop}): read a
// node's sums and counts before and after a probe, then print each hop's mean over the probe and
// its share of the mean added latency. What no hop covers is the network between the hops and
// the upstream's own send to the syncer.
import { parseExposition } from '../helpers/prometheus-text.js';

/** Sum (seconds) and count of each hop on one node. */
export type HopTotals = Map<string, { sum: number; count: number }>;

export async function commitPathHops(adminAddr: string): Promise<HopTotals> {
  const res = await fetch(`http://${adminAddr}/metrics`, { signal: AbortSignal.timeout(10_000) });
  const hops: HopTotals = new Map();
  for (const x of parseExposition(await res.text())) {
    if (x.name !== 'binrelay_commit_path_seconds_sum' && x.name !== 'binrelay_commit_path_seconds_count') continue;
    const h = hops.get(x.labels.hop!) ?? { sum: 0, count: 0 };
    if (x.name.endsWith('_sum')) h.sum = x.value;
    else h.count = x.value;
    hops.set(x.labels.hop!, h);
  }
  return hops;
}

/** The follower's path: the leader's hops, then the follower's. */
const FOLLOWER_PATH: [where: 'leader' | 'follower', hop: string][] = [
  ['leader', 'receive_to_propose'], ['leader', 'propose_to_persist'], ['leader', 'persist_to_commit'],
  ['follower', 'persist_to_commit'], ['follower', 'commit_to_apply'], ['follower', 'apply_to_send'],
];

/** Prints each hop's mean between the two readings and its share of `meanAddedMs`. */
export function printHopShares(before: Record<'leader' | 'follower', HopTotals>, after: Record<'leader' | 'follower', HopTotals>, meanAddedMs: number): void {
  console.log(`   hops of the follower's path, mean over the probe (share of the mean added latency, ${meanAddedMs.toFixed(3)} ms):`);
  const share = (ms: number): string => `${((100 * ms) / meanAddedMs).toFixed(0).padStart(4)} %`;
  let attributed = 0;
  for (const [where, hop] of FOLLOWER_PATH) {
    const a = after[where].get(hop);
    const b = before[where].get(hop);
    const n = (a?.count ?? 0) - (b?.count ?? 0);
    const ms = n > 0 ? (1000 * ((a?.sum ?? 0) - (b?.sum ?? 0))) / n : NaN;
    if (Number.isFinite(ms)) attributed += ms;
    console.log(`     ${`${where} ${hop}`.padEnd(30)} ${ms.toFixed(3).padStart(8)} ms  ${share(ms)}   (${n} samples)`);
  }
  console.log(`     ${'network and the rest'.padEnd(30)} ${(meanAddedMs - attributed).toFixed(3).padStart(8)} ms  ${share(meanAddedMs - attributed)}`);
}
