// How the core measures entries against byte limits (maxSizePerMsg, maxInflightBytes,
// maxUncommittedEntriesSize): the payload length only, as etcd does, so limits mean
// "application bytes" whatever the codec adds.
import type { Entry } from './types.js';

export function entryBytes(entry: Entry): number {
  return entry.data.length;
}

export function entriesBytes(entries: readonly Entry[]): number {
  let total = 0;
  for (const e of entries) total += e.data.length;
  return total;
}

/** The longest prefix of `entries` whose payload fits in maxBytes, but never fewer than one
 *  entry (a single oversized entry still has to travel). */
export function limitBytes<T extends Entry>(entries: readonly T[], maxBytes: number): T[] {
  if (entries.length === 0) return [];
  let total = entryBytes(entries[0]!);
  let n = 1;
  while (n < entries.length) {
    total += entryBytes(entries[n]!);
    if (total > maxBytes) break;
    n++;
  }
  return entries.slice(0, n);
}
