// A one-node relay without raft for tests of the pieces above it (syncer, binlog server): records
// are appended to a real LevelDB raft log table and applied in proposal order, exactly as the raft
// driver would after commit. The real cluster path is covered by the node tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { openDb, type Db } from '../../storage/db.js';
import { raftLogKey } from '../../storage/keys.js';
import { encodeEntryRecord } from '../../raft/codec.js';
import { RelayLog } from '../../src/relaylog/relay-log.js';
import { readSpan } from '../../src/relaylog/relay-reader.js';
import { silentLogger } from '../../src/logger.js';

export interface LocalRelay {
  db: Db;
  relay: RelayLog;
  /** Appends and applies `data` after every earlier commit; resolves with its index. */
  commit(data: Uint8Array): Promise<number>;
  /** The relay's bytes of file `name` from its first position to its served end. */
  fileBytes(name: string): Promise<Buffer>;
  close(): Promise<void>;
}

export async function openLocalRelay(logger: Logger = silentLogger): Promise<LocalRelay> {
  const dir = mkdtempSync(join(tmpdir(), 'binrelay-local-relay-'));
  const db = await openDb(dir);
  const relay = await RelayLog.open(db, logger);
  let index = relay.checkpointIndex;
  let tail: Promise<unknown> = Promise.resolve();
  return {
    db,
    relay,
    commit(data) {
      const entry = { index: ++index, term: 1, type: 'normal' as const, data };
      const done = tail.then(async () => {
        await db.put(raftLogKey(entry.index), encodeEntryRecord(entry));
        relay.apply([entry]);
        await relay.flush();
        return entry.index;
      });
      tail = done;
      return done;
    },
    async fileBytes(name) {
      const file = relay.fileByName(name);
      if (!file) throw new Error(`the relay has no file ${name}`);
      const out: Uint8Array[] = [];
      for (let span = await readSpan(db, file, file.firstPos); span; span = await readSpan(db, file, span.endPos)) out.push(...span.chunks);
      return Buffer.concat(out);
    },
    async close() {
      await tail.catch(() => undefined);
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
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
