// Small named records that are not raft state: node settings (e.g. the binlog server's
// addr/user, so a restarted node serves again), node identity, and the like. Off the hot path:
// each write is its own synced put unless the caller stages it into a raft batch instead.
//
// Keys are `0x10 ‖ utf8 name` (storage/keys.ts). Names are free-form; use dotted prefixes per
// owner (`binlogServer.settings`, `node.id`) so `list(prefix)` finds a family. Values are raw
// bytes; the JSON helpers are for settings-like records.
import type { BatchWriter, Db } from './db.js';
import { metaKey, metaNameOf, metaRange } from './keys.js';
import { StorageError } from './storage-error.js';

export interface MetaRecord {
  readonly name: string;
  readonly value: Buffer;
}

export class MetaStore {
  constructor(private readonly db: Db) {}

  /** The record's bytes, or undefined. Synchronous (LevelDB getSync, ~10 µs). */
  get(name: string): Buffer | undefined {
    return this.db.getSync(metaKey(name));
  }

  /** The record parsed as JSON, or undefined when absent. Corrupt JSON is a StorageError. */
  getJson(name: string): unknown {
    const raw = this.get(name);
    if (raw === undefined) return undefined;
    try {
      return JSON.parse(raw.toString('utf8')) as unknown;
    } catch (err) {
      throw new StorageError('ERR_STORAGE_CORRUPT', `meta record ${name} is not JSON`, { cause: err });
    }
  }

  /** Writes one record; synced unless `sync: false`. */
  async put(name: string, value: Buffer, options: { sync?: boolean } = {}): Promise<void> {
    await this.db.put(metaKey(name), value, { sync: options.sync ?? true });
  }

  async putJson(name: string, value: unknown, options: { sync?: boolean } = {}): Promise<void> {
    await this.put(name, MetaStore.jsonBytes(value), options);
  }

  async del(name: string, options: { sync?: boolean } = {}): Promise<void> {
    await this.db.del(metaKey(name), { sync: options.sync ?? true });
  }

  /** Every record whose name starts with `prefix`, in name order. */
  async list(prefix = ''): Promise<MetaRecord[]> {
    const rows = await this.db.iterator(metaRange(prefix)).all();
    return rows.map(([key, value]) => ({ name: metaNameOf(key), value }));
  }

  /** Adds a put of record `name` to a batch (e.g. RaftStore.persist's `extra`), atomic with it. */
  static putInBatch(w: BatchWriter, name: string, value: Buffer): void {
    w.put(metaKey(name), value);
  }

  static jsonBytes(value: unknown): Buffer {
    const text = JSON.stringify(value);
    if (text === undefined) throw new StorageError('ERR_STORAGE_INVALID_ARGUMENT', 'value has no JSON form');
    return Buffer.from(text, 'utf8');
  }
}
