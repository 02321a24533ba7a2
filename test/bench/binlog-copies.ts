// `mariadb-binlog -R --raw` copies of a server's binlog files (the upstream's or a relay node's),
// timed, made durable when asked, and checked against the files the upstream lists.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { mariadbBinlog } from '../helpers/mariadb.js';
import { now } from './bench-kit.js';

/** A binlog server on loopback and the replication account to copy from it with. */
export interface BinlogSource {
  port: number;
  user: string;
  password: string;
}

export interface UpstreamFile {
  name: string;
  size: number;
}

/** `mariadb-binlog -R --raw --to-last-log` of every file from `source` into `dir`; returns seconds. */
export async function rawCopy(source: BinlogSource, first: string, dir: string): Promise<number> {
  const start = now();
  await mariadbBinlog(['-R', '--raw', '--to-last-log', '-h127.0.0.1', `-P${source.port}`, `-u${source.user}`, `-p${source.password}`,
    `--result-file=${dir}/`, first]);
  return (now() - start) / 1000;
}

/** fsyncs every file in `dir`, then the directory. */
export async function syncFiles(dir: string): Promise<void> {
  for (const path of [...readdirSync(dir).map((name) => join(dir, name)), dir]) {
    const handle = await open(path, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}

/** Checks that `dir` holds exactly the reference files, byte for byte (sizes alone if no bytes). */
export function checkCopy(dir: string, files: UpstreamFile[], reference: Map<string, Buffer> | null, what: string): void {
  const got = readdirSync(dir).sort();
  const want = files.map((f) => f.name).sort();
  if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`${what}: files ${got.join(' ')} instead of ${want.join(' ')}`);
  for (const f of files) {
    const path = join(dir, f.name);
    const size = statSync(path).size;
    if (size !== f.size) throw new Error(`${what}: ${f.name} has ${size} bytes instead of ${f.size}`);
    const ref = reference?.get(f.name);
    if (ref && !readFileSync(path).equals(ref)) throw new Error(`${what}: ${f.name} differs from the upstream's copy`);
  }
}

/** `n` concurrent copies from `source` into dirs under `base`; every copy checked; returns the
 *  wall seconds of the batch. */
export async function copies(base: string, n: number, source: BinlogSource, files: UpstreamFile[], reference: Map<string, Buffer>, what: string): Promise<number> {
  const dirs = Array.from({ length: n }, () => mkdtempSync(join(base, 'copy-')));
  try {
    const start = now();
    await Promise.all(dirs.map((dir) => rawCopy(source, files[0]!.name, dir)));
    const seconds = (now() - start) / 1000;
    dirs.forEach((dir, i) => checkCopy(dir, files, reference, `${what} copy ${i + 1}/${n}`));
    return seconds;
  } finally {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}
