// Which binlog files a directory holds, in order: a backup of an upstream's binlogs or a copy of
// its datadir's. The `<base>.index` file is authoritative when there is one (it is what the server
// itself reads); otherwise every `<base>.<digits>` file, sorted by number. Either way the list
// must be one base name with consecutive numbers, and every file must open with the binlog magic:
// a gap would leave transactions out of the relay without anything noticing.
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { BINLOG_MAGIC, BIN_LOG_HEADER_SIZE } from '../binlog/event-header.js';
import { BinlogImportError } from './binlog-import-error.js';
import { compareBinlogNames } from './binlog-name.js';

export interface BinlogImportFile {
  /** The file name the upstream gave it (what the relay and replicas call it). */
  name: string;
  path: string;
}

export interface BinlogImportFileOptions {
  /** The base name to take (`mysql-bin` for mysql-bin.000042) when the directory holds others. */
  baseName?: string;
}

const NUMBERED = /^(.+)\.(\d+)$/;
const INDEX_SUFFIX = '.index';

/** Lists the binlog files of `dir`, oldest first, or refuses with a BinlogImportError. */
export async function listBinlogImportFiles(dir: string, options: BinlogImportFileOptions = {}): Promise<BinlogImportFile[]> {
  let entries: string[];
  try {
    entries = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name);
  } catch (err) {
    throw new BinlogImportError('IMPORT_NO_DIRECTORY', `cannot read the directory ${dir}: ${(err as Error).message}`, dir, null, { cause: err });
  }
  const index = chooseIndex(dir, entries, options.baseName);
  const names = index ? await readIndex(dir, index) : numberedFiles(entries, options.baseName);
  if (names.length === 0) throw new BinlogImportError('IMPORT_NO_FILES', `no binlog files in ${dir}`, dir);
  const files = names.map((name) => ({ name, path: join(dir, name) }));
  checkSequence(files);
  for (const file of files) await checkMagic(file);
  return files;
}

function chooseIndex(dir: string, entries: string[], baseName: string | undefined): string | null {
  if (baseName !== undefined) return entries.includes(baseName + INDEX_SUFFIX) ? baseName + INDEX_SUFFIX : null;
  const indexes = entries.filter((name) => name.endsWith(INDEX_SUFFIX) && name.length > INDEX_SUFFIX.length);
  if (indexes.length > 1) {
    throw new BinlogImportError('IMPORT_AMBIGUOUS_INDEX', `${dir} holds several index files (${indexes.sort().join(', ')}): name the base name to import`, dir);
  }
  return indexes[0] ?? null;
}

/** The index's entries, found in `dir` by their base name: a server writes them relative to its
 *  datadir or absolute, and both name the place the files were, not the copy being imported. */
async function readIndex(dir: string, index: string): Promise<string[]> {
  const text = await readFile(join(dir, index), 'utf8');
  const names = text.split('\n').map((line) => line.trim()).filter((line) => line.length > 0).map((line) => basename(line));
  for (const name of names) {
    const path = join(dir, name);
    const found = await stat(path).then((s) => s.isFile(), () => false);
    if (!found) throw new BinlogImportError('IMPORT_MISSING_FILE', `${index} lists ${name}, which ${dir} does not hold`, path);
  }
  return names;
}

function numberedFiles(entries: string[], baseName: string | undefined): string[] {
  const numbered = entries.filter((name) => NUMBERED.test(name) && (baseName === undefined || name.startsWith(baseName + '.')));
  return numbered.sort(compareBinlogNames);
}

function checkSequence(files: BinlogImportFile[]): void {
  const first = NUMBERED.exec(files[0]!.name);
  if (!first) throw new BinlogImportError('IMPORT_MIXED_NAMES', `${files[0]!.name} is not named <base>.<number>`, files[0]!.path);
  const base = first[1]!;
  let expected = Number(first[2]);
  for (const file of files) {
    const m = NUMBERED.exec(file.name);
    if (!m || m[1] !== base) {
      throw new BinlogImportError('IMPORT_MIXED_NAMES', `${file.name} is not a ${base}.<number> file: one base name only`, file.path);
    }
    const n = Number(m[2]);
    if (n !== expected) {
      const missing = `${base}.${String(expected).padStart(m[2]!.length, '0')}`;
      throw new BinlogImportError('IMPORT_GAP', `${missing} is missing: ${file.name} does not follow the file before it`, file.path);
    }
    expected = n + 1;
  }
}

async function checkMagic(file: BinlogImportFile): Promise<void> {
  const head = Buffer.alloc(BIN_LOG_HEADER_SIZE);
  const handle = await open(file.path, 'r');
  let read: number;
  try {
    ({ bytesRead: read } = await handle.read(head, 0, BIN_LOG_HEADER_SIZE, 0));
  } finally {
    await handle.close();
  }
  if (read < BIN_LOG_HEADER_SIZE || !head.equals(BINLOG_MAGIC)) {
    throw new BinlogImportError('IMPORT_BAD_MAGIC', `${file.path} is not a binlog file: it does not start with \\xfebin`, file.path, 0);
  }
}
