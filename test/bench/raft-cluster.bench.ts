// Raft cluster throughput and commit latency: three nodes as separate OS processes
// (test/integration/raft/raft-process.ts: LevelDB with synced writes, TcpTransport on loopback,
// RaftNode on the system clock), all on one machine and one filesystem. Proposals are made inside
// the leader's process, as the relay's syncer does; latency is propose() → resolved (committed on
// a quorum of synced copies and applied at the leader). The application's apply only checks the
// payload and stages the applied index: this measures raft + storage, not the relay.
//
// Beside it, in the same run and the same directory: the disk's own synced-append rate for the
// same sizes (append + fdatasync on a plain file, one record per sync). Disk, serial and
// pipelined slices alternate, so a load change on a shared machine hits every column alike.
// ratio = cluster entries/s ÷ disk synced appends/s (above 1 means group commit pays off).
//
//   node --import tsx test/bench/raft-cluster.bench.ts       (or dist/test/bench/raft-cluster.bench.js)
// Env: BENCH_SECONDS (per cell, default 5), BENCH_RAFT_INFLIGHT (pipelined proposals, default 64),
// BENCH_RAFT_SIZES (bytes, default 65536,1024), BENCH_DIR (default the OS temp dir).
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { RaftProcess, type LoadResult } from '../integration/raft/raft-process-client.js';
import { payload } from '../integration/raft/raft-process.js';
import { CLI_FILE, cliShebang } from '../helpers/cli-shebang.js';

// Raft nodes run with the allocator settings a relay node gets from the CLI's shebang.
const NODE_ENV = cliShebang(CLI_FILE).env;

const SECONDS = Number(process.env.BENCH_SECONDS ?? '5');
const INFLIGHT = Number(process.env.BENCH_RAFT_INFLIGHT ?? '64');
const SIZES = (process.env.BENCH_RAFT_SIZES ?? '65536,1024').split(',').map(Number);
const HEARTBEAT_MS = 100; // the server's defaults
const ELECTION_MS = 1000;
const SLICE_MS = 1000;
const root = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'binrelay-raft-bench-'));

class Cell {
  count = 0;
  bytes = 0;
  ms = 0;
  errors = 0;
  firstError: string | null = null;
  readonly latUs: number[] = [];

  add(r: LoadResult): void {
    this.count += r.count;
    this.bytes += r.bytes;
    this.ms += r.elapsedMs;
    this.errors += r.errors;
    this.firstError ??= r.firstError;
    for (const l of r.latencyUs) this.latUs.push(l);
  }

  rate(): number {
    return this.ms === 0 ? 0 : this.count / (this.ms / 1000);
  }

  mbs(): number {
    return this.ms === 0 ? 0 : this.bytes / (this.ms / 1000) / 1e6;
  }

  pctMs(p: number): number {
    const s = [...this.latUs].sort((a, b) => a - b);
    return (s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0) / 1000;
  }
}

/** The peer: append `size` bytes to a plain file and fdatasync, one record per sync, for `ms`. */
function diskSlice(fd: number, buf: Buffer, ms: number, cell: Cell): void {
  const start = performance.now();
  const end = start + ms;
  let t = start;
  while (t < end) {
    writeSync(fd, buf);
    fdatasyncSync(fd);
    const now = performance.now();
    cell.latUs.push(Math.round((now - t) * 1000));
    cell.count++;
    cell.bytes += buf.length;
    t = now;
  }
  cell.ms += t - start;
}

async function leaderOf(procs: readonly RaftProcess[]): Promise<RaftProcess> {
  const until = performance.now() + 10_000;
  while (performance.now() < until) {
    for (const p of procs) if ((await p.status()).role === 'leader') return p;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('no leader within 10 s');
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const ms = (n: number): string => n.toFixed(n < 10 ? 2 : 1);

const procs: RaftProcess[] = [];
try {
  for (const id of [1, 2, 3]) procs.push(await RaftProcess.spawn(id, join(root, `n${id}`), '127.0.0.1:0', NODE_ENV));
  const peers = new Map(procs.map((p) => [p.id, p.address]));
  await Promise.all(procs.map((p) => p.start({ peers, heartbeatIntervalMs: HEARTBEAT_MS, electionTimeoutMs: ELECTION_MS })));
  let leader = await leaderOf(procs);
  await leader.load(1024, 8, 500, 1); // warm up: connections, JIT, LevelDB files

  console.log(`raft cluster: 3 node processes on loopback TCP, LevelDB synced writes, all in ${root}; ${availableParallelism()} CPUs shared`);
  console.log(`proposals made in the leader's process; serial = 1 in flight, pipelined = ${INFLIGHT} in flight; ` +
    `${SECONDS} s per cell in alternating ${SLICE_MS / 1000} s slices; heartbeat ${HEARTBEAT_MS} ms, election ${ELECTION_MS} ms`);
  console.log(`${'entry'.padEnd(7)} | ${'mode'.padEnd(14)} | ${'entries/s'.padStart(9)} | ${'MB/s'.padStart(6)} | ` +
    `${'p50 ms'.padStart(7)} | ${'p99 ms'.padStart(7)} | ratio to disk`);
  let seq = 1_000;
  for (const size of SIZES) {
    const fd = openSync(join(root, `disk-${size}`), 'w');
    const buf = payload(0, size);
    const disk = new Cell();
    const serial = new Cell();
    const piped = new Cell();
    for (let k = 0; k < Math.max(1, Math.round((SECONDS * 1000) / SLICE_MS)); k++) {
      diskSlice(fd, buf, SLICE_MS, disk);
      for (const [cell, inflight] of [[serial, 1], [piped, INFLIGHT]] as const) {
        let r = await leader.load(size, inflight, SLICE_MS, seq);
        if (r.count === 0 && r.errors > 0) { // leadership moved: find the new leader and redo the slice
          leader = await leaderOf(procs);
          r = await leader.load(size, inflight, SLICE_MS, seq + 10_000_000);
        }
        seq += 20_000_000;
        cell.add(r);
      }
    }
    closeSync(fd);
    rmSync(join(root, `disk-${size}`));
    const label = `${size >= 1024 ? `${size / 1024} KiB` : `${size} B`}`.padEnd(7);
    const row = (mode: string, c: Cell, ratio: string): void => {
      console.log(`${label} | ${mode.padEnd(14)} | ${fmt(c.rate()).padStart(9)} | ${c.mbs().toFixed(1).padStart(6)} | ` +
        `${ms(c.pctMs(50)).padStart(7)} | ${ms(c.pctMs(99)).padStart(7)} | ${ratio}` +
        (c.errors > 0 ? `  (${c.errors} errors, first: ${c.firstError})` : ''));
    };
    row('disk fdatasync', disk, '1');
    row('serial', serial, `${(serial.rate() / disk.rate()).toFixed(2)}×`);
    row(`pipelined ${INFLIGHT}`, piped, `${(piped.rate() / disk.rate()).toFixed(2)}×`);
  }
} finally {
  await Promise.all(procs.map((p) => p.stop()));
  rmSync(root, { recursive: true, force: true });
}
