// kill -9 crash test: a child process (crash-writer) writes synced raft batches in a loop and is
// SIGKILLed at random moments. After each kill the store must reopen (verifying every entry's
// CRC and term) with the records of exactly one batch the child intended — no older than the last
// batch whose synced write had resolved — and the log of that batch, or of the next one partly
// written (its entries go to the segment files before the records that may commit them): never
// less than the commit index. Every entry must carry the bytes it was written with.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStorage } from '../../../storage/storage.js';
import { u64FromBytes } from '../../../storage/u64.js';
import { crashEntryData, SEQ_RECORD } from './crash-writer.js';

const WRITER = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? './crash-writer.ts' : './crash-writer.js', import.meta.url));
const ROUNDS = 8;

interface Intent {
  first: number;
  last: number;
  termOfLast: number;
  hsTerm: number;
  commit: number;
  start: number;
}

/** Runs the writer until `killAfterMs` after it is ready, then SIGKILLs it. */
async function runAndKill(dir: string, seed: number, killAfterMs: number): Promise<{ intents: Map<number, Intent>; lastAcked: number }> {
  const child = spawn(process.execPath, [...process.execArgv, WRITER, dir, String(seed)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const intents = new Map<number, Intent>();
  let lastAcked = 0;
  let pending = '';
  let error = '';
  let timer: NodeJS.Timeout | undefined;
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      const [kind, ...f] = line.split(' ');
      if (kind === 'ready') timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      else if (kind === 'intent') {
        const [seq, first, last, termOfLast, hsTerm, commit, start] = f.map(Number) as [number, number, number, number, number, number, number];
        intents.set(seq, { first, last, termOfLast, hsTerm, commit, start });
      } else if (kind === 'acked') lastAcked = Number(f[0]);
      else error += `${line}\n`;
    }
  });
  const exit = await new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
  clearTimeout(timer);
  assert.equal(error, '', 'writer reported an error');
  assert.equal(exit, 'SIGKILL');
  return { intents, lastAcked };
}

test('after kill -9 at random moments the store reopens consistent and keeps every synced batch', { timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'binrelay-crash-'));
  let totalAcked = 0;
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      const killAfterMs = 100 + ((round * 7919) % 500);
      const { intents, lastAcked } = await runAndKill(dir, round, killAfterMs);
      const storage = await openStorage(dir, { warmBytesMax: 0, tailCacheBytesMax: 0 });
      try {
        const raw = storage.meta.get(SEQ_RECORD);
        const seq = raw === undefined ? 0 : u64FromBytes(raw);
        const acked = lastAcked;
        totalAcked += intents.size;
        assert.ok(seq >= acked, `round ${round}: store holds batch ${seq} but batch ${acked} was acknowledged`);
        const want = intents.get(seq);
        if (want === undefined) {
          assert.equal(intents.size, 0, `round ${round}: batch ${seq} was never intended in this round`);
          continue;
        }
        const raft = storage.raft;
        t.diagnostic(`round ${round}: killed after ${killAfterMs} ms, ${intents.size} batches intended, last acked ${acked}, recovered ${seq}, log [${raft.firstIndex()}, ${raft.lastIndex()}]`);
        const next = intents.get(seq + 1);
        const last = raft.lastIndex();
        if (next === undefined) {
          assert.equal(last, want.last, `round ${round}: last index`);
          assert.equal(raft.term(want.last), want.termOfLast, `round ${round}: term of last`);
        } else {
          assert.ok(last >= Math.min(want.last, next.start - 1) && last <= Math.max(want.last, next.last),
            `round ${round}: last index ${last} is neither batch ${seq}'s log (${want.last}) nor a part of batch ${seq + 1}'s (${next.start}…${next.last})`);
        }
        const hs = raft.initialState().hardState;
        assert.equal(hs.commit, want.commit, `round ${round}: commit`);
        // Entries of a newer term written before the records: the term is raised, with no vote.
        if (hs.term === want.hsTerm) assert.equal(hs.vote, 1, `round ${round}: vote`);
        else assert.deepEqual([hs.term, hs.vote], [raft.term(last), 0], `round ${round}: term raised to the log's`);
        assert.ok(raft.firstIndex() >= want.first, `round ${round}: first index went back`);
        let at = raft.firstIndex();
        while (at <= raft.lastIndex()) {
          await raft.fetchEntries(at, raft.lastIndex() + 1);
          for (const e of raft.entries(at, raft.lastIndex() + 1, 1 << 20)) {
            assert.equal(e.index, at);
            assert.ok(Buffer.from(e.data).equals(crashEntryData(e.index, e.term)), `round ${round}: entry ${e.index} bytes`);
            at++;
          }
        }
      } finally {
        await storage.close();
      }
    }
    assert.ok(totalAcked > ROUNDS * 5, `the writer made too little progress (${totalAcked} batches)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
