// The one LevelDB database of a node. Keys and values are raw buffers: every key is built in
// storage/keys.ts, every value by a codec, so no per-operation encoding runs on the hot path.
import { Level } from 'level';

export type Db = Level<Buffer, Buffer>;

/** The slice of a chained batch that other modules may add operations to (relay indexes, meta
 *  records) so they commit atomically with the raft state. */
export interface BatchWriter {
  put(key: Buffer, value: Buffer): void;
  del(key: Buffer): void;
}

export interface OpenDbOptions {
  /** LevelDB memtable size in bytes (default 4 MiB). */
  readonly writeBufferSize?: number;
  /** LevelDB block cache in bytes (default 8 MiB). */
  readonly cacheSize?: number;
}

/** Opens (creating if missing) the database at `path`. */
export async function openDb(path: string, options: OpenDbOptions = {}): Promise<Db> {
  const db: Db = new Level<Buffer, Buffer>(path, {
    keyEncoding: 'buffer',
    valueEncoding: 'buffer',
    ...(options.writeBufferSize === undefined ? {} : { writeBufferSize: options.writeBufferSize }),
    ...(options.cacheSize === undefined ? {} : { cacheSize: options.cacheSize }),
  });
  await db.open();
  return db;
}
