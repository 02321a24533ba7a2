// The parent's side of raft-process.ts: spawns one node process and talks to it over its JSON-line
// protocol. Used by cluster-process.test.ts and test/bench/raft-cluster.bench.ts.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { NodeId } from '../../../raft/core/types.js';
import type { RaftNodeStatus } from '../../../raft/node-options.js';
import type { DumpedEntry } from './raft-process.js';

const SCRIPT = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? './raft-process.ts' : './raft-process.js', import.meta.url));

/** A failed request: the node's error code (RAFT_NOT_LEADER…, or PROCESS_EXITED / TIMEOUT). */
export class RequestError extends Error {
  constructor(readonly code: string, message: string, readonly leader: NodeId = 0) {
    super(message);
  }
}

export interface LeaderEvent {
  readonly node: NodeId;
  readonly leader: NodeId;
  readonly term: number;
  readonly role: string;
  /** performance.now() in the parent when the line arrived. */
  readonly at: number;
}

export interface Dump {
  readonly commitIndex: number;
  readonly appliedIndex: number;
  readonly firstIndex: number;
  readonly entries: DumpedEntry[];
}

export interface LoadResult {
  readonly count: number;
  readonly bytes: number;
  readonly elapsedMs: number;
  readonly errors: number;
  readonly firstError: string | null;
  /** propose → resolved, per committed entry, in µs (completion order). */
  readonly latencyUs: number[];
}

export interface StartOptions {
  readonly peers: ReadonlyMap<NodeId, string>;
  readonly knownPeers?: ReadonlyMap<NodeId, string>;
  readonly join?: boolean;
  readonly heartbeatIntervalMs: number;
  readonly electionTimeoutMs: number;
}

type Reply = Record<string, unknown> & { id: number; ok: boolean };

export class RaftProcess {
  private readonly pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private readonly stderrTail: string[] = [];
  private exitInfo: string | null = null;
  /** Resolves when the process has exited (with its signal or code). */
  readonly exited: Promise<string>;
  port = 0;
  onLeader: (e: LeaderEvent) => void = () => undefined;
  onStopped: (error: string | null) => void = () => undefined;

  private constructor(readonly id: NodeId, readonly dir: string, private readonly child: ChildProcessWithoutNullStreams) {
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.exitInfo = signal ?? String(code);
        for (const p of this.pending.values()) p.reject(new RequestError('PROCESS_EXITED', `node ${id} exited (${this.exitInfo})`));
        this.pending.clear();
        resolve(this.exitInfo);
      });
    });
    child.stdin.on('error', () => undefined); // EPIPE after the process died: the exit handler reports it
    child.stderr.setEncoding('utf8');
    createInterface({ input: child.stderr, crlfDelay: Infinity }).on('line', (line) => {
      this.stderrTail.push(line);
      if (this.stderrTail.length > 40) this.stderrTail.shift();
    });
  }

  /** Spawns node `id` on data dir `dir`, listening on `listen` (port 0: any free port). */
  static async spawn(id: NodeId, dir: string, listen = '127.0.0.1:0', env: NodeJS.ProcessEnv = {}): Promise<RaftProcess> {
    const child = spawn(process.execPath, [...process.execArgv, SCRIPT, String(id), dir, listen], {
      stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env },
    });
    const p = new RaftProcess(id, dir, child);
    const listening = new Promise<number>((resolve, reject) => {
      p.exited.then((how) => reject(new Error(`node ${id} exited (${how}) before listening:\n${p.logTail()}`)), () => undefined);
      createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', (line) => {
        const msg = JSON.parse(line) as Record<string, unknown>;
        if (msg.event === 'listening') resolve(Number(msg.port));
        else p.onLine(msg);
      });
    });
    p.port = await listening;
    return p;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  get alive(): boolean {
    return this.exitInfo === null;
  }

  /** The last lines the process wrote to stderr (its warnings and errors). */
  logTail(): string {
    return this.stderrTail.join('\n');
  }

  private onLine(msg: Record<string, unknown>): void {
    if (msg.event === 'leader') {
      this.onLeader({ node: this.id, leader: Number(msg.leader), term: Number(msg.term), role: String(msg.role), at: performance.now() });
    } else if (msg.event === 'stopped') {
      this.onStopped(msg.error === null ? null : String(msg.error));
    } else if (typeof msg.id === 'number') {
      const p = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      p?.resolve(msg as Reply);
    }
  }

  /** Sends one request; rejects with RequestError when the node answers ok: false. */
  async request(op: string, fields: Record<string, unknown> = {}, timeoutMs = 30_000): Promise<Reply> {
    if (!this.alive) throw new RequestError('PROCESS_EXITED', `node ${this.id} is not running`);
    const id = this.nextId++;
    const reply = await new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RequestError('TIMEOUT', `node ${this.id}: ${op} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (r) => { clearTimeout(timer); resolve(r); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      });
      this.child.stdin.write(`${JSON.stringify({ id, op, ...fields })}\n`);
    });
    if (!reply.ok) throw new RequestError(String(reply.code), `node ${this.id}: ${op}: ${String(reply.message)}`, Number(reply.leader ?? 0));
    return reply;
  }

  async start(o: StartOptions): Promise<void> {
    await this.request('start', {
      peers: Object.fromEntries(o.peers), knownPeers: Object.fromEntries(o.knownPeers ?? []), join: o.join === true,
      heartbeatIntervalMs: o.heartbeatIntervalMs, electionTimeoutMs: o.electionTimeoutMs,
    });
  }

  async propose(seq: number, bytes: number): Promise<number> {
    return Number((await this.request('propose', { seq, bytes })).index);
  }

  async status(): Promise<RaftNodeStatus> {
    return (await this.request('status')).status as RaftNodeStatus;
  }

  async membership(op: 'addLearner' | 'addVoter' | 'removeMember', node: NodeId, address = ''): Promise<number> {
    return Number((await this.request(op, { node, address })).index);
  }

  async dump(): Promise<Dump> {
    return (await this.request('dump', {}, 60_000)) as unknown as Dump;
  }

  async load(bytes: number, concurrency: number, durationMs: number, seqBase: number): Promise<LoadResult> {
    return (await this.request('load', { bytes, concurrency, durationMs, seqBase }, durationMs + 60_000)) as unknown as LoadResult;
  }

  /** SIGKILL: no chance to flush or close anything. */
  async kill(): Promise<void> {
    if (this.alive) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** Graceful stop (RaftNode.stop, storage closed); SIGKILL if it does not exit in time. */
  async stop(timeoutMs = 10_000): Promise<void> {
    if (!this.alive) return;
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    try {
      await this.request('stop', {}, timeoutMs).catch(() => undefined);
      await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}
