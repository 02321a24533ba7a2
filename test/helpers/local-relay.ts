// A one-node relay without raft for tests of the pieces above it (syncer, binlog server) and of
// the relay log itself: records are applied in proposal order, exactly as the raft driver would
// after commit, and each apply's checkpoint is written to a real LevelDB in one batch (as the
// raft store does with its staged writes). The binlog files are real files in a temp data dir.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { openDb, type Db } from '../../storage/db.js';
import { relayHeadKey } from '../../storage/keys.js';
import { RelayLog } from '../../src/relaylog/relay-log.js';
import type { RelayCheckpointSink } from '../../src/relaylog/relay-checkpoint.js';
import { BinlogDir } from '../../src/relaylog/binlog-dir.js';
import { RelaySource } from '../../src/server/relay-source.js';
import { silentLogger } from '../../src/logger.js';

export interface LocalRelay {
  db: Db;
  dataDir: string;
  relay: RelayLog;
  /** Appends and applies `data` after every earlier commit; resolves with its index. */
  commit(data: Uint8Array): Promise<number>;
  /** Applies `data` as commit() does, but the checkpoint it stages is never written: the node is
   *  killed before its batch (reopen() next, and commit it again, as the raft log would). */
  applyLost(data: Uint8Array): Promise<number>;
  /** The relay's bytes of file `name` from its first position to its served end. */
  fileBytes(name: string): Promise<Buffer>;
  /** Closes and opens the relay again from what was written, as a restart does; with
   *  `crash`, the checkpoint staged by the last apply is lost first. */
  reopen(options?: { crash?: boolean }): Promise<void>;
  close(): Promise<void>;
}

/** Staged writes that a test writes (or loses) explicitly. */
export class TestCheckpointSink implements RelayCheckpointSink {
  private ops: [Buffer, Buffer | null][] = [];
  private callbacks: (() => void)[] = [];
  constructor(private readonly db: Db) {}
  stage(key: Buffer, value: Buffer | null): void {
    this.ops.push([key, value]);
  }
  onceWritten(fn: () => void): void {
    this.callbacks.push(fn);
  }
  async write(): Promise<void> {
    const batch = this.db.batch();
    for (const [k, v] of this.ops) {
      if (v === null) batch.del(k);
      else batch.put(k, v);
    }
    this.ops = [];
    await batch.write();
    const callbacks = this.callbacks;
    this.callbacks = [];
    for (const fn of callbacks) fn();
  }
  drop(): void {
    this.ops = [];
    this.callbacks = [];
  }
}

export async function openLocalRelay(logger: Logger = silentLogger): Promise<LocalRelay> {
  const dataDir = mkdtempSync(join(tmpdir(), 'binrelay-local-relay-'));
  const db = await openDb(join(dataDir, 'leveldb'));
  let sink = new TestCheckpointSink(db);
  let dir = new BinlogDir(dataDir);
  const open = (): Promise<RelayLog> => RelayLog.open(db, dir, sink, logger, { appliedIndex: index, snapshotIndex: 0 });
  let index = 0;
  let relay = await open();
  let tail: Promise<unknown> = Promise.resolve();
  const applyNext = (data: Uint8Array, written: boolean): Promise<number> => {
    index = Math.max(index, relay.checkpointIndex) + 1;
    const entry = { index, term: 1, type: 'normal' as const, data };
    const done = tail.then(async () => {
      relay.apply([entry]);
      relay.checkpoint();
      if (written) await sink.write();
      else sink.drop();
      return entry.index;
    });
    tail = done;
    return done;
  };
  const local: LocalRelay = {
    db,
    dataDir,
    relay,
    commit(data) {
      return applyNext(data, true);
    },
    applyLost(data) {
      return applyNext(data, false);
    },
    async fileBytes(name) {
      const file = relay.fileByName(name);
      if (!file) throw new Error(`the relay has no file ${name}`);
      const source = new RelaySource(relay);
      const out: Uint8Array[] = [];
      for (let span = await source.readSpan(file, file.firstPos); span; span = await source.readSpan(file, span.endPos)) out.push(...span.chunks);
      source.close();
      return Buffer.concat(out);
    },
    async reopen(options = {}) {
      await tail.catch(() => undefined);
      if (options.crash) sink.drop();
      dir.close();
      sink = new TestCheckpointSink(db);
      dir = new BinlogDir(dataDir);
      const raw = await db.get(relayHeadKey());
      index = raw ? (JSON.parse(raw.toString('utf8')) as { checkpointIndex: number }).checkpointIndex : 0;
      relay = await open();
      local.relay = relay;
    },
    async close() {
      await tail.catch(() => undefined);
      dir.close();
      await db.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return local;
}

/** Polls `check` every 50 ms until it holds; fails the test naming `what` after `ms`. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}
