// Synced append rate: the disk's own (append + fdatasync/fsync on a plain file) beside our
// RaftStore.persist({sync: true}) for the same record sizes, one run, printed side by side.
// Then the floor a commit meets on this disk: 1 KiB O_DSYNC appends to three files at the same
// moment (three nodes on one disk), time until two of the three are durable (a majority), beside
// one writer alone. Then open() time on a large log (open() reads every record of the segment
// files: CRC, index, term).
//
//   node --import tsx test/bench/storage-append.bench.ts        (or dist/test/bench/*.bench.js)
// Env: BENCH_SECONDS (per measurement, default 3), BENCH_OPEN_MB (log size for the open test,
// default 256; 0 skips it), BENCH_DIR (where temp files go, default the OS temp dir: put it on the disk you care about).
import { closeSync, constants, fdatasyncSync, fsyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Entry } from '../../raft/core/types.js';
import type { SegmentRaftStore } from '../../storage/raft-store.js';
import { openStorage } from '../../storage/storage.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? '3');
const OPEN_MB = Number(process.env.BENCH_OPEN_MB ?? '256');
const root = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'binrelay-bench-'));

interface Result {
  readonly records: number;
  readonly bytes: number;
  readonly seconds: number;
  readonly latUs: number[];
}

const rate = (r: Result): number => r.records / r.seconds;
const mbs = (r: Result): number => r.bytes / r.seconds / 1e6;
function pct(r: Result, p: number): number {
  const s = [...r.latUs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
}
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const cell = (r: Result, unit: string): string =>
  `${fmt(rate(r))} ${unit}/s ${mbs(r).toFixed(1)} MB/s p50 ${fmt(pct(r, 50))} µs p99 ${fmt(pct(r, 99))} µs`;

/** Accumulates records, bytes, time and per-record latency over several slices. */
class Meter {
  records = 0;
  bytes = 0;
  ms = 0;
  readonly latUs: number[] = [];
  result(): Result {
    return { records: this.records, bytes: this.bytes, seconds: this.ms / 1000, latUs: this.latUs };
  }
}

/** The peer: append `size` bytes to a plain file and make it durable, for `ms`. */
function diskSlice(fd: number, buf: Buffer, sync: (fd: number) => void, ms: number, m: Meter): void {
  const start = performance.now();
  const end = start + ms;
  let t = start;
  while (t < end) {
    writeSync(fd, buf);
    sync(fd);
    const now = performance.now();
    m.latUs.push((now - t) * 1000);
    m.records++;
    m.bytes += buf.length;
    t = now;
  }
  m.ms += t - start;
}

function entriesOf(first: number, count: number, size: number, payload: Buffer): Entry[] {
  const out: Entry[] = [];
  for (let k = 0; k < count; k++) out.push({ index: first + k, term: 1, type: 'normal', data: payload.subarray(0, size) });
  return out;
}

function payloadOf(size: number): Buffer {
  const payload = Buffer.alloc(size);
  for (let i = 0; i < size; i++) payload[i] = (i * 2654435761) >>> 24; // incompressible-ish
  return payload;
}

/** Ours: one synced persist (entries + hard state, as a Ready) after another, for `ms`. */
async function storeSlice(store: SegmentRaftStore, payload: Buffer, perBatch: number, ms: number, m: Meter): Promise<void> {
  const start = performance.now();
  const end = start + ms;
  let t = start;
  while (t < end) {
    const first = store.lastIndex() + 1;
    await store.persist({
      entries: entriesOf(first, perBatch, payload.length, payload),
      hardState: { term: 1, vote: 1, commit: first + perBatch - 1 }, snapshot: null, sync: true,
    });
    const now = performance.now();
    m.latUs.push((now - t) * 1000);
    m.records += perBatch;
    m.bytes += perBatch * payload.length;
    t = now;
  }
  m.ms += t - start;
}

/** Measures the peer and ours in alternating 500 ms slices, so load changes on a shared
 *  machine hit both sides alike. */
async function compare(size: number, perBatch: number, sync: (fd: number) => void): Promise<{ disk: Result; ours: Result }> {
  const path = join(root, `raw-${size}`);
  const fd = openSync(path, 'w');
  const dir = join(root, `store-${size}-${perBatch}`);
  const storage = await openStorage(dir);
  const store = storage.raft;
  const payload = payloadOf(size);
  const disk = new Meter();
  const ours = new Meter();
  const slices = Math.max(1, Math.round((SECONDS * 1000) / 500));
  for (let k = 0; k < slices; k++) {
    diskSlice(fd, payload, sync, 500, disk);
    await storeSlice(store, payload, perBatch, 500, ours);
  }
  closeSync(fd);
  rmSync(path);
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
  return { disk: disk.result(), ours: ours.result() };
}

/** 1 KiB synced appends to `writers` files at once, round after round, through the thread pool
 *  as the nodes' own appends go: per round, the time until `quorum` of them are durable. */
async function syncedAppendRounds(writers: number, quorum: number): Promise<Result> {
  const handles = await Promise.all(Array.from({ length: writers }, (_, i) =>
    open(join(root, `floor-${writers}-${i}`), constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND | constants.O_DSYNC)));
  const record = payloadOf(1024);
  const m = new Meter();
  const start = performance.now();
  while (performance.now() - start < SECONDS * 1000) {
    const t = performance.now();
    let done = 0;
    let quorumAt = 0;
    await Promise.all(handles.map((h) => h.write(record).then(() => {
      if (++done === quorum) quorumAt = performance.now();
    })));
    m.latUs.push((quorumAt - t) * 1000);
    m.records++;
    m.bytes += record.length;
  }
  m.ms = performance.now() - start;
  await Promise.all(handles.map((h) => h.close()));
  return m.result();
}

async function openTime(totalMb: number): Promise<void> {
  const dir = join(root, 'open');
  const size = 64 * 1024;
  const count = Math.ceil((totalMb * 1024 * 1024) / size);
  let storage = await openStorage(dir);
  const payload = payloadOf(size);
  let term = 1;
  const fillStart = performance.now();
  for (let next = 1; next <= count; next += 64) {
    if (next % 4096 === 1) term++; // some term runs, as after leader changes
    const n = Math.min(64, count - next + 1);
    const entries: Entry[] = entriesOf(next, n, size, payload).map((e) => ({ ...e, term }));
    await storage.raft.persist({ entries, hardState: null, snapshot: null, sync: false });
  }
  const fillS = (performance.now() - fillStart) / 1000;
  await storage.close();
  const t0 = performance.now();
  storage = await openStorage(dir);
  const ms = performance.now() - t0;
  await storage.close();
  console.log(`\nopen() of a ${totalMb} MiB log (${fmt(count)} × 64 KiB entries, filled unsynced at ${(totalMb / fillS).toFixed(0)} MiB/s):`);
  console.log(`  open (reads and checks every record, warms 8 MiB of tail)  ${fmt(ms)} ms  → ~${fmt((ms / totalMb) * 1024)} ms per GiB`);
  rmSync(dir, { recursive: true, force: true });
}

try {
  console.log(`synced append, ${SECONDS} s per cell in alternating 500 ms slices, dir ${root}`);
  console.log(`${'record'.padEnd(8)} | ${'disk: append + fdatasync (the peer)'.padEnd(52)} | ${'ours: RaftStore.persist({sync}), 1 entry/batch'.padEnd(58)} | ratio`);
  for (const size of [1024, 64 * 1024]) {
    const { disk, ours } = await compare(size, 1, fdatasyncSync);
    const label = `${size / 1024} KiB`.padEnd(8);
    console.log(`${label} | ${cell(disk, 'rec').padEnd(52)} | ${cell(ours, 'ent').padEnd(58)} | ${(rate(ours) / rate(disk)).toFixed(2)}×`);
  }
  const { disk: fsync1k, ours: group } = await compare(1024, 64, fsyncSync);
  console.log(`\n(reference) 1 KiB append + fsync: ${cell(fsync1k, 'rec')}`);
  console.log(`(group commit) persist 64 × 1 KiB per synced batch: ${fmt(rate(group))} ent/s ${mbs(group).toFixed(1)} MB/s, batch p50 ${fmt(pct(group, 50))} µs p99 ${fmt(pct(group, 99))} µs`);
  const alone = await syncedAppendRounds(1, 1);
  const majority = await syncedAppendRounds(3, 2);
  console.log(`\nthe commit floor on this disk: 1 KiB O_DSYNC appends, ${SECONDS} s each`);
  console.log(`  one writer alone:                                p50 ${fmt(pct(alone, 50))} µs p99 ${fmt(pct(alone, 99))} µs`);
  console.log(`  three files at once, until two are durable:      p50 ${fmt(pct(majority, 50))} µs p99 ${fmt(pct(majority, 99))} µs`);
  console.log('  (a commit waits for this much at least; issue 12 asks ≤ 1 ms p50 / 5 ms p99 for the whole added latency)');
  if (OPEN_MB > 0) await openTime(OPEN_MB);
} finally {
  rmSync(root, { recursive: true, force: true });
}
