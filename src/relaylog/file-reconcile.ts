// Recovery of the relay's files: making what is on disk match a relay state, at a restart (the
// state of the last checkpoint) or a snapshot install (the snapshot's state). A file longer than
// the state says is cut back (its tail is applied again from the raft log); a shorter one is
// fetched from another node during an install and is corruption at a restart; files the state
// does not know are deleted. A file the cluster purged after the snapshot was taken cannot be
// fetched: it and every older one leave the state.
import type { Logger } from 'pino';
import type { BinlogDir } from './binlog-dir.js';
import { RelayCorruptError, SnapshotFileGoneError } from './relay-errors.js';
import type { FileRangeFetcher, RelayState } from './relay-files.js';

/** The bytes each file must have on disk for the state: its served end, or for the file of the
 *  pending group, that group's end. */
function expectedSizes(state: RelayState): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const f of state.files) sizes.set(f.name, f.endPos);
  const p = state.head.pending;
  if (p) sizes.set(p.file, p.nextPos);
  return sizes;
}

/** Reconciles `dir` with `state`, fetching with `fetch` (null at a restart). Files purged since
 *  the snapshot leave `state` (its files and head change in place). */
export async function reconcileFiles(state: RelayState, dir: BinlogDir, logger: Logger, fetch: FileRangeFetcher | null): Promise<void> {
  const { head, files } = state;
  const sizes = expectedSizes(state);
  /** Files up to this index of the state were purged by the cluster since the snapshot. */
  let goneUpTo = -1;
  const goneNames: string[] = [];
  for (const [name, expected] of sizes) {
    const size = dir.size(name);
    if (size < expected) {
      if (!fetch) {
        throw new RelayCorruptError(size < 0
          ? `binlog file ${dir.filePath(name)} is missing: the relay's checkpoint holds ${expected} bytes of it`
          : `binlog file ${dir.filePath(name)} has ${size} bytes; the relay's checkpoint says ${expected} (was the disk written without fsync, or the file cut?)`);
      }
      try {
        await fetch(name, Math.max(0, size), expected, dir.filePath(name));
      } catch (err) {
        // A file the cluster purged since the snapshot was taken: it and every older one go now
        // (the purge record follows in the log, or is in a later snapshot).
        if (!(err instanceof SnapshotFileGoneError)) throw err;
        if (head.pending?.file === name) head.pending = null;
        goneUpTo = Math.max(goneUpTo, files.findIndex((f) => f.name === name));
        goneNames.push(name);
        continue;
      }
      const got = dir.size(name);
      if (got !== expected) throw new RelayCorruptError(`snapshot install: ${name} has ${got} bytes after the transfer, expected ${expected}`);
    } else if (size > expected) {
      logger.info({ event: 'relay.file.truncated', file: name, from: size, to: expected }, 'binlog file cut back to the checkpoint');
      dir.truncate(name, expected);
    }
  }
  if (goneNames.length > 0) {
    const gone = new Set([...files.splice(0, goneUpTo + 1).map((f) => f.name), ...goneNames]);
    // With every file gone, nothing before the log that follows can be served: what was executed
    // counts as purged, and the purge record ahead in the log (or a newer snapshot) brings the
    // node back to the cluster's files. Records for the gone files are skipped.
    head.purged = files[0]?.startGtids ?? head.executed;
    head.lastEnd = files[files.length - 1]?.endPos ?? 0;
    head.gone = [...gone];
    for (const name of gone) sizes.delete(name);
    logger.warn({ event: 'relay.snapshot.purged_early', files: head.gone, kept: files.length }, 'files of the snapshot purged by the cluster since: dropped');
  } else if (fetch) {
    head.gone = [];
  }
  for (const name of dir.list()) {
    if (sizes.has(name)) continue;
    logger.info({ event: 'relay.file.removed', file: name }, 'binlog file not in the relay state removed');
    dir.remove(name);
  }
}
