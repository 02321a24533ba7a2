// The pieces every fuzz surface shares: the run's seed (FUZZ_SEED, or a fresh one that is always
// printed), one seeded generator per surface and worker (so a surface's inputs replay whatever the
// others do), byte and text mutations, a ring of the last inputs sent (printed when the test
// fails), time-bounded workers and one raw TCP exchange.
import { randomInt } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { seededRandom } from '../seeded-random.js';

/** FUZZ_SEED (decimal or 0x-hex) or a fresh random seed. */
export function fuzzSeed(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.FUZZ_SEED?.trim();
  if (!raw) return randomInt(1, 2 ** 31);
  const seed = Number(raw);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`FUZZ_SEED must be a non-negative integer, got ${JSON.stringify(raw)}`);
  return seed >>> 0;
}

/** The seed of one stream of a run (a surface, a worker): FNV-1a of the name mixed into the seed. */
export function streamSeed(seed: number, name: string): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (const byte of Buffer.from(name, 'utf8')) h = Math.imul(h ^ byte, 0x01000193) >>> 0;
  return h;
}

const INTERESTING_BYTES = [0x00, 0x01, 0x7f, 0x80, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe, 0xff];
const INTERESTING_U32 = [0, 1, 4, 0xff, 0xffff, 0xffffff, 0x1000000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];
const TEXT_TOKENS = [
  "'", '"', '`', '\\', '%', '_', '%%%%%%%%', '_%_%_%_%', ';', '--', '#', '/*', '*/', '/*!50000', '\0', '@', '@@', '@@global.',
  '(', ')', ',', '=', ':=', ' LIKE ', ' AND ', ' OR ', ' NULL ', '0x', 'x\'', "b'", 'N\'', '1e999', '-', '18446744073709551616',
  '\u00e9', '\u{1F600}', '\uFFFD', '\r\n', '\t', '  ', 'ＳＥＬＥＣＴ',
];

/** Seeded choices and mutations for one stream. */
export class Fuzz {
  readonly #next: () => number;

  constructor(readonly seed: number) {
    this.#next = seededRandom(seed);
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.#next() * n);
  }

  /** An integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.#next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  /** A size that is usually small and sometimes large: [0, max], log-distributed. */
  size(max: number): number {
    return Math.min(max, Math.floor(Math.exp(this.#next() * Math.log(max + 1))) - 1 + this.int(2));
  }

  bytes(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }

  u32(): number {
    return this.chance(0.5) ? this.pick(INTERESTING_U32) : this.int(2 ** 32);
  }

  /** `input` with 1 to `maxOps` byte-level mutations (flips, interesting values, inserts, cuts). */
  mutate(input: Uint8Array, maxOps = 4): Buffer {
    let b = Buffer.from(input);
    const ops = this.range(1, maxOps);
    for (let k = 0; k < ops; k++) {
      const at = b.length === 0 ? 0 : this.int(b.length);
      switch (this.int(8)) {
        case 0:
          if (b.length > 0) b[at] = b[at]! ^ (1 << this.int(8));
          break;
        case 1:
          if (b.length > 0) b[at] = this.pick(INTERESTING_BYTES);
          break;
        case 2:
          if (b.length >= 4) b.writeUInt32LE(this.pick(INTERESTING_U32), this.int(b.length - 3));
          break;
        case 3:
          b = Buffer.concat([b.subarray(0, at), this.bytes(this.size(64)), b.subarray(at)]);
          break;
        case 4:
          b = Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + this.size(32)))]);
          break;
        case 5:
          b = b.subarray(0, at);
          break;
        case 6: {
          const len = Math.min(b.length - at, 1 + this.size(16));
          b = Buffer.concat([b.subarray(0, at + len), b.subarray(at, at + len), b.subarray(at + len)]);
          break;
        }
        default:
          if (b.length > 0) b[at] = this.int(256);
      }
    }
    return b;
  }

  /** `text` with token-level mutations: SQL/JSON punctuation, wildcards, odd characters, cuts. */
  mutateText(text: string, maxOps = 3): string {
    let s = text;
    const ops = this.range(1, maxOps);
    for (let k = 0; k < ops; k++) {
      const at = this.int(s.length + 1);
      switch (this.int(5)) {
        case 0:
          s = s.slice(0, at) + this.pick(TEXT_TOKENS) + s.slice(at);
          break;
        case 1:
          s = s.slice(0, at) + s.slice(at + 1 + this.size(8));
          break;
        case 2:
          s = s.slice(0, at) + this.pick(TEXT_TOKENS).repeat(this.size(200)) + s.slice(at);
          break;
        case 3:
          s = s.slice(0, at);
          break;
        default:
          s = this.mutate(Buffer.from(s, 'utf8'), 2).toString('utf8');
      }
    }
    return s;
  }
}

/** The inputs of one surface, to print when the test fails: the last few, and those sent around
 *  a given moment (an event-loop stall) among the recent ones kept. */
export class InputLog {
  readonly #ring: { at: number; line: string }[] = [];
  count = 0;

  constructor(readonly surface: string, private readonly keep = 30_000) {}

  record(what: string, bytes?: Uint8Array): void {
    this.count++;
    const at = Date.now();
    const hex = bytes === undefined ? '' : ` [${bytes.length} B] ${Buffer.from(bytes.subarray(0, 64)).toString('hex')}${bytes.length > 64 ? '…' : ''}`;
    this.#ring.push({ at, line: `#${this.count} ${new Date(at).toISOString()} ${what.length > 200 ? `${what.slice(0, 200)}… (${what.length} chars)` : what}${hex}` });
    if (this.#ring.length > this.keep) this.#ring.shift();
  }

  /** The last 12 inputs, or those sent in [from, to]. */
  dump(window?: { from: number; to: number }): string {
    const lines = window ? this.#ring.filter((r) => r.at >= window.from && r.at <= window.to) : this.#ring.slice(-12);
    const title = window ? `sent from ${new Date(window.from).toISOString()} to ${new Date(window.to).toISOString()}` : 'last';
    return `--- ${this.surface}: inputs ${title} (${this.count} sent in all) ---\n${lines.map((r) => r.line).join('\n')}`;
  }
}

/** Runs `workers` loops of `step` while `going()`; each worker has its own seeded stream
 *  `<surface>#<k>`. A step that throws ends the run with its error. */
export async function runWorkers(seed: number, surface: string, workers: number, going: () => boolean,
  step: (fuzz: Fuzz, worker: number) => Promise<void>): Promise<void> {
  await Promise.all(Array.from({ length: workers }, async (_, k) => {
    const fuzz = new Fuzz(streamSeed(seed, `${surface}#${k}`));
    while (going()) await step(fuzz, k);
  }));
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A TCP socket from `localAddress` that collects what it receives (the first 64 KiB: a dump
 *  streams far more); never throws on socket errors. */
export class Probe {
  readonly #kept: Buffer[] = [];
  #keptBytes = 0;
  /** Bytes received since the last clear(), kept or not. */
  receivedBytes = 0;
  closed = false;
  readonly #waiters: (() => void)[] = [];

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.receivedBytes += chunk.length;
      if (this.#keptBytes < 65536) {
        this.#kept.push(chunk);
        this.#keptBytes += chunk.length;
      }
      this.#wake();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
      this.#wake();
    });
  }

  /** Null when the connection is refused or not made within 2 s. */
  static open(port: number, localAddress: string): Promise<Probe | null> {
    return new Promise((resolve) => {
      const socket = connect({ port, host: '127.0.0.1', localAddress });
      const timer = setTimeout(() => {
        socket.destroy();
        resolve(null);
      }, 2000);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(new Probe(socket));
      });
      socket.once('error', () => {
        clearTimeout(timer);
        resolve(null);
      });
    });
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  /** Waits until `bytes` were received since the last clear(), the socket closed, or `ms`
   *  passed; returns the kept bytes. */
  async waitFor(bytes: number, ms: number): Promise<Buffer> {
    const deadline = Date.now() + ms;
    while (!this.closed && this.receivedBytes < bytes && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, deadline - Date.now());
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return Buffer.concat(this.#kept);
  }

  /** Forgets what was received (a new exchange starts). */
  clear(): void {
    this.#kept.length = 0;
    this.#keptBytes = 0;
    this.receivedBytes = 0;
  }

  write(bytes: Uint8Array): void {
    if (!this.closed) this.socket.write(bytes);
  }

  /** Sends `bytes`, recorded in `log` as `what`, then waits up to `ms` for the answer or the close. */
  async send(log: InputLog, what: string, bytes: Uint8Array, ms: number): Promise<void> {
    log.record(what, bytes);
    this.write(bytes);
    await this.waitFor(Number.MAX_SAFE_INTEGER, ms);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** `fn` on a fresh probe from `localAddress`, destroyed afterwards; `fallback` when the
 *  connection is not made (refused, or a full backlog). */
export async function withProbe<T>(port: number, localAddress: string, fallback: T, fn: (probe: Probe) => Promise<T>): Promise<T> {
  const probe = await Probe.open(port, localAddress);
  if (!probe) return fallback;
  try {
    return await fn(probe);
  } finally {
    probe.destroy();
  }
}

/** A loopback address other than 127.0.0.1 (which the replica uses): `127.<net>.<1..250>`, so the
 *  fuzzers' sockets and failed logins count against other hosts, as an outsider's would. */
export function outsiderAddress(fuzz: Fuzz, net: number): string {
  return `127.${net}.${fuzz.range(0, 3)}.${fuzz.range(1, 250)}`;
}
