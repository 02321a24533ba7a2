// One node's storage under one directory: `leveldb/` (raft state records, relay records, meta
// records) and `raft-log/` (the raft log's segment files). `openStorage(dir)` is what a node
// calls at start; `close()` stops the raft store (pending writes, open segments) and then closes
// the database.
import { join } from 'node:path';
import { type Db, openDb, type OpenDbOptions } from './db.js';
import { MetaStore } from './meta-store.js';
import { SegmentRaftStore, type RaftStoreOptions } from './raft-store.js';

export interface Storage {
  readonly db: Db;
  readonly raft: SegmentRaftStore;
  readonly meta: MetaStore;
  close(): Promise<void>;
}

export interface StorageOptions extends RaftStoreOptions {
  readonly db?: OpenDbOptions;
}

export function storagePaths(dir: string): { db: string; raftLog: string } {
  return { db: join(dir, 'leveldb'), raftLog: join(dir, 'raft-log') };
}

export async function openStorage(dir: string, options: StorageOptions = {}): Promise<Storage> {
  const paths = storagePaths(dir);
  const db = await openDb(paths.db, options.db);
  let raft: SegmentRaftStore;
  try {
    raft = await SegmentRaftStore.open(db, paths.raftLog, options);
  } catch (err) {
    await db.close();
    throw err;
  }
  const meta = new MetaStore(db);
  let closing: Promise<void> | null = null;
  return {
    db,
    raft,
    meta,
    close() {
      closing ??= raft.close().finally(() => db.close());
      return closing;
    },
  };
}
