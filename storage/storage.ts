// One node's storage: the LevelDB database and the stores over it. `openStorage(path)` is what
// a node calls at start; `close()` stops the raft store (pending writes, background clears) and
// then closes the database.
import { type Db, openDb, type OpenDbOptions } from './db.js';
import { MetaStore } from './meta-store.js';
import { LevelRaftStore, type RaftStoreOptions } from './raft-store.js';

export interface Storage {
  readonly db: Db;
  readonly raft: LevelRaftStore;
  readonly meta: MetaStore;
  close(): Promise<void>;
}

export interface StorageOptions extends RaftStoreOptions {
  readonly db?: OpenDbOptions;
}

export async function openStorage(path: string, options: StorageOptions = {}): Promise<Storage> {
  const db = await openDb(path, options.db);
  let raft: LevelRaftStore;
  try {
    raft = await LevelRaftStore.open(db, options);
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
