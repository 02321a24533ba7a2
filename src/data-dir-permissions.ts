// The data dir holds the binlog (every row the upstream wrote), the raft log and the relay's
// settings: only the node's own user may read it. The dir is made 0700 and whatever an older
// version or a copy left group- or world-accessible inside it is tightened (dirs 0700, files
// 0600) at every start; `binrelay start` also sets the umask to 077, so LevelDB, binlog and
// segment files are created 0600 (LevelDB takes no file mode of its own).
import { chmodSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export const DATA_DIR_MODE = 0o700;
export const DATA_FILE_MODE = 0o600;
/** Group and other bits. */
const SHARED_BITS = 0o077;

/** Creates `dir` (0700) or tightens it and everything under it; returns how many entries it fixed. */
export function secureDataDir(dir: string): number {
  mkdirSync(dir, { recursive: true, mode: DATA_DIR_MODE });
  return tighten(dir);
}

function tighten(path: string): number {
  const stat = lstatSync(path);
  if (stat.isSymbolicLink()) return 0;
  let fixed = 0;
  if ((stat.mode & SHARED_BITS) !== 0) {
    chmodSync(path, stat.isDirectory() ? DATA_DIR_MODE : stat.mode & 0o700);
    fixed++;
  }
  if (stat.isDirectory()) for (const name of readdirSync(path)) fixed += tighten(join(path, name));
  return fixed;
}

/** `binrelay start`'s process-wide file creation mask: no bits for group or other. */
export function restrictFileCreation(): void {
  process.umask(SHARED_BITS);
}
