// Which file an automatic purge keeps first, from `binlog-retention`: files older than max-age
// (their newest event's timestamp) and the oldest files beyond max-bytes go, but never the newest
// file and never fewer than min-files. Pure: the leader calls it on a timer and proposes the
// result as a PURGE record, so every node removes the same files.
import type { RelayFile } from './relay-files.js';

export interface BinlogRetention {
  maxAgeMs: number | null;
  maxBytes: number | null;
  minFiles: number;
}

/** The first file to keep, or null when nothing is to be purged. */
export function retentionTarget(files: readonly RelayFile[], nowMs: number, retention: BinlogRetention): string | null {
  const removable = files.length - Math.max(1, retention.minFiles);
  if (removable <= 0) return null;
  let drop = 0;
  if (retention.maxAgeMs !== null) {
    const cutoff = (nowMs - retention.maxAgeMs) / 1000;
    while (drop < removable && files[drop]!.lastEventTime < cutoff) drop++;
  }
  if (retention.maxBytes !== null) {
    let held = 0;
    for (const f of files) held += f.endPos;
    for (let k = 0; k < drop; k++) held -= files[k]!.endPos;
    while (drop < removable && held > retention.maxBytes) held -= files[drop++]!.endPos;
  }
  return drop > 0 ? files[drop]!.name : null;
}

/** The first file to keep for PURGE BINARY LOGS BEFORE `before`: the first file with an event
 *  at or after it, and never past the newest file (MariaDB never purges the active log). */
export function purgeBeforeTarget(files: readonly RelayFile[], before: Date): string | null {
  if (files.length === 0) return null;
  const cutoff = before.getTime() / 1000;
  let k = 0;
  while (k < files.length - 1 && files[k]!.lastEventTime < cutoff) k++;
  return files[k]!.name;
}
