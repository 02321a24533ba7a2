// One raft node as an OS process, for cluster-process.test.ts and the raft cluster bench: real
// LevelDB (openStorage in argv[3]), real TcpTransport on argv[4] (host:port, port 0 picks one),
// RaftNode on the system clock. The parent drives it with JSON lines on stdin and reads JSON lines
// on stdout (pino logs go to stderr):
//
//   at start          → {"event":"listening","port":p}
//   {"id":1,"op":"start","peers":{"1":"127.0.0.1:p1",…},"join":false,"knownPeers":{…},
//    "heartbeatIntervalMs":50,"electionTimeoutMs":500}          → {"id":1,"ok":true}
//   {"id":2,"op":"propose","seq":7,"bytes":1024}               → {"id":2,"ok":true,"index":42}
//   {"id":3,"op":"status"}                                     → {"id":3,"ok":true,"status":{…}}
//   {"id":4,"op":"addLearner"|"addVoter","node":4,"address":"…"} / {"op":"removeMember","node":3}
//                                                              → {"id":4,"ok":true,"index":…}
//   {"id":5,"op":"dump"}   → {"id":5,"ok":true,"commitIndex":…,"appliedIndex":…,"entries":[[index,term,kind,seq],…]}
//   {"id":6,"op":"load","bytes":65536,"concurrency":8,"durationMs":5000,"seqBase":1e9}
//                          → {"id":6,"ok":true,"count":…,"bytes":…,"elapsedMs":…,"errors":…,"latencyUs":[…]}
//   {"id":7,"op":"stop"}   → {"id":7,"ok":true}, then the process exits 0
//   a failure             → {"id":…,"ok":false,"code":"RAFT_NOT_LEADER","leader":2,"message":"…"}
//   pushed                → {"event":"leader","leader":2,"term":3,"role":"follower"}, {"event":"removed"},
//                            {"event":"stopped","error":null|"…"}
//
// `dump` reads the committed log back from its segment files (readLog verifies every CRC):
// kind "n" a payload entry with its sequence number, "e" an empty entry (a new leader's), "c" a
// conf change, "x" a payload whose bytes are not what `payload(seq, size)` makes. The apply
// callback checks every payload the same way (a bad one stops the node) and stages the applied
// index into the next raft batch, as the relay does, so a restart resumes after it.
import { writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { pino, type Logger } from 'pino';
import { systemClock } from '../../../raft/clock.js';
import { Sfc32, seededRng } from '../../../raft/core/rng.js';
import type { Entry, NodeId } from '../../../raft/core/types.js';
import { RaftNode } from '../../../raft/node.js';
import { TcpTransport } from '../../../raft/transport.js';
import { openStorage, type Storage } from '../../../storage/storage.js';

/** Bytes every payload draws from: deterministic, so any process can check any entry, and
 *  random, so LevelDB's compression does not shrink what the bench writes. */
const POOL_BYTES = 1024 * 1024 + 64 * 1024;
let pool: Buffer | null = null;
function payloadPool(): Buffer {
  if (pool === null) {
    const rng = new Sfc32(0x5eed);
    pool = Buffer.allocUnsafe(POOL_BYTES);
    for (let i = 0; i < POOL_BYTES; i += 4) pool.writeUInt32LE(rng.nextU32(), i);
  }
  return pool;
}

export const PAYLOAD_BYTES_MIN = 8;

/** The payload of proposal `seq`: its sequence number (u64 BE), then `size - 8` pool bytes from
 *  an offset that depends on seq. */
export function payload(seq: number, size: number): Buffer {
  if (size < PAYLOAD_BYTES_MIN || size > 64 * 1024) throw new RangeError(`payload size ${size} not in [8, 65536]`);
  const out = Buffer.allocUnsafe(size);
  out.writeBigUInt64BE(BigInt(seq), 0);
  const off = (seq * 7919) % (POOL_BYTES - 64 * 1024);
  payloadPool().copy(out, 8, off, off + size - 8);
  return out;
}

/** The sequence number of a payload, or null when its bytes are not payload(seq, size). */
export function payloadSeq(data: Uint8Array): number | null {
  if (data.length < PAYLOAD_BYTES_MIN || data.length > 64 * 1024) return null;
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const seq = Number(buf.readBigUInt64BE(0));
  if (!Number.isSafeInteger(seq)) return null;
  const off = (seq * 7919) % (POOL_BYTES - 64 * 1024);
  return buf.compare(payloadPool(), off, off + buf.length - 8, 8) === 0 ? seq : null;
}

/** One dumped entry: [index, term, kind, seq] (seq 0 unless kind is "n"). */
export type DumpedEntry = [number, number, 'n' | 'e' | 'c' | 'x', number];

type Request = { id: number; op: string } & Record<string, unknown>;

const pause = new Int32Array(new SharedArrayBuffer(4));

function say(obj: unknown): void {
  // Synchronous, so a line written before a SIGKILL is not lost in a buffer. The pipe may be
  // non-blocking and a line (a latency list) larger than its buffer: write it all, waiting for
  // the reader, or the line is cut and the next one lands in its middle.
  const line = Buffer.from(`${JSON.stringify(obj)}\n`);
  for (let at = 0; at < line.length;) {
    try {
      at += writeSync(1, line, at);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      Atomics.wait(pause, 0, 0, 1);
    }
  }
}

function errorReply(id: number, err: unknown): Record<string, unknown> {
  const e = err as { code?: unknown; leader?: unknown; message?: unknown };
  return {
    id, ok: false, code: typeof e.code === 'string' ? e.code : 'ERROR',
    leader: typeof e.leader === 'number' ? e.leader : 0, message: String(e.message ?? err),
  };
}

function addressMap(v: unknown): Map<NodeId, string> {
  return new Map(Object.entries((v ?? {}) as Record<string, string>).map(([k, a]) => [Number(k), a]));
}

class ProcessNode {
  private storage: Storage | null = null;
  private raft: RaftNode | null = null;

  constructor(
    private readonly id: NodeId,
    private readonly dir: string,
    private readonly transport: TcpTransport,
    private readonly log: Logger,
  ) {}

  private get node(): RaftNode {
    if (this.raft === null) throw Object.assign(new Error('not started'), { code: 'NOT_STARTED' });
    return this.raft;
  }

  async handle(req: Request): Promise<Record<string, unknown>> {
    switch (req.op) {
      case 'start': return this.start(req);
      case 'propose': return { index: await this.node.propose(payload(Number(req.seq), Number(req.bytes))) };
      case 'status': return { status: this.node.status() };
      case 'addLearner': return { index: await this.node.addLearner(Number(req.node), String(req.address)) };
      case 'addVoter': return { index: await this.node.addVoter(Number(req.node), String(req.address)) };
      case 'removeMember': return { index: await this.node.removeMember(Number(req.node)) };
      case 'dump': return this.dump();
      case 'load': return this.load(req);
      default: throw Object.assign(new Error(`unknown op ${req.op}`), { code: 'BAD_OP' });
    }
  }

  private async start(req: Request): Promise<Record<string, unknown>> {
    if (this.raft !== null) throw Object.assign(new Error('already started'), { code: 'BAD_OP' });
    const storage = await openStorage(this.dir);
    this.storage = storage;
    const store = storage.raft;
    const raft = await RaftNode.start({
      id: this.id,
      peers: addressMap(req.peers),
      knownPeers: addressMap(req.knownPeers),
      join: req.join === true,
      store, transport: this.transport, clock: systemClock, rng: seededRng(randomBytes(4).readUInt32LE(0)),
      heartbeatIntervalMs: Number(req.heartbeatIntervalMs), electionTimeoutMs: Number(req.electionTimeoutMs),
      logger: this.log,
      appliedIndex: store.appliedIndex(),
      apply: (entries: readonly Entry[]) => {
        for (const e of entries) {
          if (e.type === 'normal' && e.data.length > 0 && payloadSeq(e.data) === null) {
            throw new Error(`entry ${e.index} holds a payload that is not one we proposed`);
          }
        }
        store.stageAppliedIndex(entries[entries.length - 1]!.index);
      },
    });
    raft.on('leaderChanged', (c) => say({ event: 'leader', leader: c.leader, term: c.term, role: c.role }));
    raft.on('removed', () => say({ event: 'removed' }));
    raft.on('stopped', (err) => say({ event: 'stopped', error: err === null ? null : err.message }));
    this.raft = raft;
    return {};
  }

  /** The committed log as it is on disk. */
  private async dump(): Promise<Record<string, unknown>> {
    const st = this.node.status();
    const store = this.storage!.raft;
    const first = store.firstIndex();
    const hi = Math.min(st.commitIndex, store.lastIndex()) + 1;
    const entries: DumpedEntry[] = [];
    for (const e of first < hi ? await store.readLog(first, hi) : []) {
      if (e.type === 'confChange') entries.push([e.index, e.term, 'c', 0]);
      else if (e.data.length === 0) entries.push([e.index, e.term, 'e', 0]);
      else {
        const seq = payloadSeq(e.data);
        entries.push([e.index, e.term, seq === null ? 'x' : 'n', seq ?? 0]);
      }
    }
    return { commitIndex: st.commitIndex, appliedIndex: st.appliedIndex, firstIndex: first, entries };
  }

  /** A closed loop of `concurrency` proposers on this node for `durationMs` (the bench: the
   *  relay's proposals also start in the leader's own process). Latency = propose → resolved. */
  private async load(req: Request): Promise<Record<string, unknown>> {
    const node = this.node;
    const size = Number(req.bytes);
    const until = performance.now() + Number(req.durationMs);
    let seq = Number(req.seqBase ?? 1);
    const latencyMs: number[] = [];
    let errors = 0;
    let firstError: string | null = null;
    const started = performance.now();
    let finished = started;
    const worker = async (): Promise<void> => {
      while (performance.now() < until) {
        const data = payload(seq++, size);
        const t0 = performance.now();
        try {
          await node.propose(data);
          finished = performance.now();
          latencyMs.push(finished - t0);
        } catch (err) {
          errors++;
          firstError ??= (err as Error).message;
          if (!node.running || (err as { code?: unknown }).code === 'RAFT_NOT_LEADER') return;
          await new Promise((r) => setTimeout(r, 10));
        }
      }
    };
    await Promise.all(Array.from({ length: Number(req.concurrency ?? 1) }, () => worker()));
    return {
      count: latencyMs.length, bytes: latencyMs.length * size, elapsedMs: finished - started, errors, firstError,
      latencyUs: latencyMs.map((ms) => Math.round(ms * 1000)),
    };
  }

  async stop(): Promise<void> {
    await this.raft?.stop();
    await this.storage?.close();
    if (this.raft === null) await this.transport.close();
  }
}

async function main(argv: readonly string[]): Promise<void> {
  const [idArg, dir, listen] = argv;
  if (idArg === undefined || dir === undefined || listen === undefined) throw new Error('usage: raft-process <id> <dir> <listen host:port>');
  const id = Number(idArg);
  const log = pino({ level: process.env.RAFT_PROCESS_LOG ?? 'warn', base: { node: id } }, pino.destination(2));
  const transport = await TcpTransport.start({ nodeId: id, listen, clusterId: 'it-process', clusterToken: 'it-token', logger: log });
  const node = new ProcessNode(id, dir, transport, log);
  say({ event: 'listening', port: transport.address().port });
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  let stopping = false;
  for await (const line of lines) {
    if (line.trim() === '') continue;
    const req = JSON.parse(line) as Request;
    if (req.op === 'stop') {
      stopping = true;
      await node.stop();
      say({ id: req.id, ok: true });
      break;
    }
    // Requests run concurrently (a propose waits for its commit); replies carry the request id.
    node.handle(req).then((r) => say({ id: req.id, ok: true, ...r }), (err: unknown) => say(errorReply(req.id, err)));
  }
  if (!stopping) await node.stop(); // stdin closed: the parent is gone
  process.exit(0);
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`raft-process: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
