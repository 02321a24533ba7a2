// Child process of crash.test.ts: reopens the store in argv[2] and writes raft batches in a loop
// until it is SIGKILLed. Before each write it prints the state the store must have if that write
// lands (`intent`), after the write resolves (synced) it prints `acked`. Lines go out with
// writeSync so none is lost in a buffer when the kill comes.
//
//   intent <seq> <firstIndex> <lastIndex> <termOfLast> <hsTerm> <commit> <first new entry>
//   acked <seq>
import { writeSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { Entry } from '../../../raft/core/types.js';
import { metaKey } from '../../../storage/keys.js';
import { openStorage } from '../../../storage/storage.js';
import { u64Bytes, u64FromBytes } from '../../../storage/u64.js';
import { seededBelow } from '../../helpers/seeded-random.js';

/** The bytes entry (index, term) must hold: the parent recomputes them to check every entry. */
export function crashEntryData(index: number, term: number): Buffer {
  const size = (index * 31 + term * 17) % 2048;
  const out = Buffer.allocUnsafe(size);
  for (let k = 0; k < size; k++) out[k] = (index + term * 7 + k) & 0xff;
  return out;
}

export const SEQ_RECORD = 'crash.seq';

const rng = seededBelow;

function say(line: string): void {
  writeSync(1, `${line}\n`);
}

async function main(dir: string, seed: number): Promise<void> {
  const r = rng(seed);
  const storage = await openStorage(dir);
  const raft = storage.raft;
  const seqBytes = storage.meta.get(SEQ_RECORD);
  let seq = seqBytes === undefined ? 0 : u64FromBytes(seqBytes);
  let hs = raft.initialState().hardState;
  let term = Math.max(1, hs.term);
  say('ready');
  for (;;) {
    seq++;
    const last = raft.lastIndex();
    const op = r(100);
    if (op < 5 && hs.commit - 50 > raft.firstIndex()) {
      const index = hs.commit - 50;
      await raft.compact({ index, term: raft.term(index), confState: { voters: [1], learners: [] }, data: Buffer.alloc(0) });
    }
    let start = last + 1;
    if (op >= 90 && last > hs.commit) {
      start = Math.max(hs.commit + 1, last - r(10)); // a new leader overwrites an uncommitted suffix
      term++;
    } else if (op >= 85) {
      term++;
    }
    const entries: Entry[] = [];
    const n = 1 + r(20);
    for (let i = start; i < start + n; i++) entries.push({ index: i, term, type: 'normal', data: crashEntryData(i, term) });
    const newLast = start + n - 1;
    hs = { term, vote: 1, commit: Math.min(newLast, hs.commit + r(25)) };
    const first = raft.firstIndex();
    say(`intent ${seq} ${first} ${newLast} ${term} ${hs.term} ${hs.commit} ${start}`);
    raft.stage(metaKey(SEQ_RECORD), u64Bytes(seq));
    await raft.persist({ entries, hardState: hs, snapshot: null, sync: true });
    say(`acked ${seq}`);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv[2] ?? '', Number(process.argv[3] ?? '1')).catch((err: unknown) => {
    say(`error ${err instanceof Error ? err.stack : String(err)}`);
    process.exit(1);
  });
}
