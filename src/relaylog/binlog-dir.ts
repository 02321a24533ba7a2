// The relay's binlog files on this node's disk: `<data-dir>/binlog/<upstream file name>`, under the
// upstream's names and positions, so an operator can run mariadb-binlog or `binrelay inspect` on
// them. The relay log appends to them as it applies committed records; readers (the binlog server,
// snapshot transfers) read them with positional reads. Writes are synchronous positional writes
// into the page cache (the relay applies in order, one record at a time); durability comes from
// the raft log until syncAll() has run, which is why the raft log is compacted only after it.
// Every WRITEBACK_BYTES written, a sync starts in the background: left to the kernel, the dirty
// bytes of a whole ingest go to disk in one burst, and every synced raft append waits behind it.
// A failed fsync is remembered: syncAll() rejects from then on (after a failed fsync the kernel
// may report the same pages clean), so the raft log is never compacted past bytes it lost.
//
// A file a reader still holds is never unlinked under it: removal waits for the last release.
import { closeSync, existsSync, fdatasync, fstatSync, ftruncateSync, mkdirSync, openSync, readdirSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { RecentBytes } from './recent-bytes.js';
import { RelayCorruptError } from './relay-errors.js';

const fdatasyncAsync = promisify(fdatasync);
/** Recent bytes held for caught-up readers: a few transactions' worth, not a read cache. */
const RECENT_BYTES_MAX = 1024 * 1024;
/** Unsynced bytes that start a background sync. Measured: three nodes' 200 MB of binlog flushed
 *  at once by the kernel stalled every node's synced raft appends for 200-290 ms. */
const WRITEBACK_BYTES = 16 * 1024 * 1024;

/** A binlog file name as upstreams write them (base.NNNNNN); nothing with a path in it. */
export function isPlainFileName(name: string): boolean {
  return name.length > 0 && name.length <= 255 && !name.includes('/') && !name.includes('\0') && name !== '.' && name !== '..';
}

/** A read handle on one binlog file, holding it against deletion until released. */
export type BinlogFileReader = FileHandle & { release(): Promise<void> };

export class BinlogDir {
  readonly path: string;
  /** Write descriptors of files being appended, by name. */
  readonly #writers = new Map<string, number>();
  /** Files with writes not yet fsynced, each with the number of its last write (counted over all
   *  files): a write that lands while the file's fsync is under way keeps it dirty (that fsync
   *  may not cover it). */
  readonly #dirty = new Map<string, number>();
  #writes = 0;
  readonly #writebackBytes: number;
  /** Bytes written since the last background sync started. */
  #unsyncedBytes = 0;
  #writingBack = false;
  #syncFailure: Error | null = null;
  /** Readers holding each file. */
  readonly #readers = new Map<string, number>();
  /** Files to unlink once no reader holds them. */
  readonly #doomed = new Set<string>();
  /** The newest bytes written, for caught-up readers (recent-bytes.ts). */
  readonly #recent = new RecentBytes(RECENT_BYTES_MAX);

  constructor(dataDir: string, options: { writebackBytes?: number } = {}) {
    this.#writebackBytes = options.writebackBytes ?? WRITEBACK_BYTES;
    this.path = join(dataDir, 'binlog');
    mkdirSync(this.path, { recursive: true });
  }

  filePath(name: string): string {
    if (!isPlainFileName(name)) throw new RelayCorruptError(`not a plain binlog file name: ${JSON.stringify(name)}`);
    return join(this.path, name);
  }

  /** Names of the files on disk, in no particular order. */
  list(): string[] {
    return readdirSync(this.path).filter((n) => !n.endsWith('.tmp'));
  }

  exists(name: string): boolean {
    return existsSync(this.filePath(name));
  }

  /** Size of the file on disk, -1 when it does not exist. */
  size(name: string): number {
    const fd = this.#writers.get(name);
    if (fd !== undefined) return fstatSync(fd).size;
    try {
      return statSync(this.filePath(name)).size;
    } catch {
      return -1;
    }
  }

  #writer(name: string): number {
    let fd = this.#writers.get(name);
    if (fd === undefined) {
      fd = openSync(this.filePath(name), 'a+');
      closeSync(fd);
      fd = openSync(this.filePath(name), 'r+');
      this.#writers.set(name, fd);
      // One file is appended at a time (the newest); older ones are done.
      for (const [other, ofd] of this.#writers) {
        if (other !== name && !this.#dirty.has(other)) {
          closeSync(ofd);
          this.#writers.delete(other);
        }
      }
    }
    return fd;
  }

  /** Writes `bytes` at `pos` of `name` (creating the file). */
  write(name: string, pos: number, bytes: Uint8Array): void {
    const fd = this.#writer(name);
    let done = 0;
    while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done, pos + done);
    this.#markDirty(name);
    this.#recent.written(name, pos, bytes);
    this.#unsyncedBytes += bytes.length;
    if (this.#unsyncedBytes >= this.#writebackBytes && !this.#writingBack) this.#writeBack();
  }

  #writeBack(): void {
    this.#writingBack = true;
    this.#unsyncedBytes = 0;
    // A failure is kept for the next syncAll() to report.
    void this.syncAll().catch(() => undefined).finally(() => {
      this.#writingBack = false;
    });
  }

  /** Views of [pos, end) of `name` if they are among the bytes written last, else null (read
   *  the file). */
  recentBytes(name: string, pos: number, end: number): Uint8Array[] | null {
    return this.#recent.span(name, pos, end);
  }

  /** Files were replaced behind write() (a snapshot installed): nothing recent is trusted. */
  forgetRecent(): void {
    this.#recent.forget();
  }

  /** Cuts `name` back to `length` bytes (a torn or unconfirmed tail after a crash). */
  truncate(name: string, length: number): void {
    const fd = this.#writer(name);
    ftruncateSync(fd, length);
    this.#markDirty(name);
    this.#recent.cut(name, length);
  }

  #markDirty(name: string): void {
    this.#dirty.set(name, ++this.#writes);
  }

  /** Files with writes not yet made durable. */
  unsyncedFiles(): string[] {
    return [...this.#dirty.keys()];
  }

  /** Makes every write so far durable (off the event loop); writes may go on meanwhile. */
  async syncAll(): Promise<void> {
    if (this.#syncFailure) throw this.#syncFailure;
    // A file stays dirty (its descriptor open) until an fsync that began after its last write.
    for (const [name, lastWrite] of [...this.#dirty]) {
      const fd = this.#writers.get(name);
      if (fd !== undefined) {
        try {
          await fdatasyncAsync(fd);
        } catch (err) {
          // A file removed meanwhile (its descriptor closed under the sync) needs no sync.
          if (this.#writers.get(name) !== fd) continue;
          this.#syncFailure ??= err as Error;
          throw err;
        }
      }
      if (this.#dirty.get(name) === lastWrite) this.#dirty.delete(name);
    }
    const dir = await open(this.path, 'r');
    try {
      await dir.datasync();
    } finally {
      await dir.close();
    }
  }

  /** Opens `name` for reading and holds it against removal until the handle's release(). */
  async openReader(name: string): Promise<BinlogFileReader> {
    const handle = await open(this.filePath(name), 'r');
    this.#readers.set(name, (this.#readers.get(name) ?? 0) + 1);
    let released = false;
    return Object.assign(handle, {
      release: async (): Promise<void> => {
        if (released) return;
        released = true;
        await handle.close().catch(() => undefined);
        const left = (this.#readers.get(name) ?? 1) - 1;
        if (left > 0) this.#readers.set(name, left);
        else {
          this.#readers.delete(name);
          if (this.#doomed.has(name)) this.#unlink(name);
        }
      },
    });
  }

  /** Removes `name` now, or once its last reader lets go; returns whether it had to wait. */
  remove(name: string): boolean {
    this.#recent.cut(name, 0);
    const fd = this.#writers.get(name);
    if (fd !== undefined) {
      closeSync(fd);
      this.#writers.delete(name);
      this.#dirty.delete(name);
    }
    if ((this.#readers.get(name) ?? 0) > 0) {
      this.#doomed.add(name);
      return true;
    }
    this.#unlink(name);
    return false;
  }

  /** A reader holds `name`. */
  isRead(name: string): boolean {
    return (this.#readers.get(name) ?? 0) > 0;
  }

  /** Files removed from the relay whose deletion waits for a reader. */
  heldBack(): string[] {
    return [...this.#doomed];
  }

  #unlink(name: string): void {
    this.#doomed.delete(name);
    try {
      unlinkSync(this.filePath(name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }

  /** Total bytes of the files on disk. */
  bytesOnDisk(): number {
    let total = 0;
    for (const name of this.list()) total += Math.max(0, this.size(name));
    return total;
  }

  close(): void {
    for (const fd of this.#writers.values()) closeSync(fd);
    this.#writers.clear();
  }
}
