// Real binrelay clusters for tests: every node is a separate `binrelay start` process (the
// compiled CLI, or the TypeScript one under tsx while developing) with its own data dir and
// loopback ports. Nodes can be SIGKILLed and restarted from their data dirs.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, openSync, closeSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminClient, type AdminClient } from '../../api/admin-client.js';
import { freePort } from './mariadb.js';
import { CLI_FILE, cliShebang } from './cli-shebang.js';

export interface RelayNodeProcess {
  name: string;
  adminAddr: string;
  peerAddr: string;
  dataDir: string;
  logFile: string;
  child: ChildProcess | null;
}

export interface ApiAnswer {
  status: number;
  body: { message: string; data?: unknown; error?: { code: string } & Record<string, unknown> };
}

/** The loader flags of this process (tsx while developing), without the test runner's own. */
function loaderArgs(): string[] {
  const out: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--import' || a === '--require' || a === '--loader') out.push(a, argv[++i]!);
    else if (/^--(import|require|loader)=/.test(a)) out.push(a);
  }
  return out;
}

/** What the CLI's shebang sets for a node; spawning node directly skips the shebang. */
const SHEBANG = cliShebang(CLI_FILE);

const running = new Set<ChildProcess>();
/** Nodes the test stopped or killed itself (any other exit is a failure worth its log). */
const stoppedByTest = new WeakSet<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export interface RelayClusterOptions {
  /** The nodes serve their admin API over HTTPS (admin-tls in extraArgs): api() verifies it with this CA file. */
  adminCa?: string;
  /** Arguments of node i only, on every start (e.g. the address it advertises). */
  nodeArgs?: (i: number) => string[];
}

export class RelayCluster {
  readonly nodes: RelayNodeProcess[];
  /** How many nodes the cluster started with (the rest were added later). */
  private bootSize = 0;
  /** How api() reaches the nodes: http, or https verified with options.adminCa. */
  private readonly admin: AdminClient;

  private constructor(
    readonly baseDir: string,
    nodes: RelayNodeProcess[],
    private readonly extraArgs: string[],
    private readonly env: Readonly<Record<string, string>>,
    private readonly options: RelayClusterOptions = {},
  ) {
    this.nodes = nodes;
    this.admin = adminClient(options.adminCa ? { ca: readFileSync(options.adminCa) } : undefined);
  }

  /** `env`: extra environment of every node, e.g. BINRELAY_ADMIN_TOKEN (api() then sends it). */
  static async start(
    size: number, extraArgs: string[] = [], env: Readonly<Record<string, string>> = {}, options: RelayClusterOptions = {},
  ): Promise<RelayCluster> {
    const baseDir = mkdtempSync(join(tmpdir(), 'binrelay-cluster-'));
    const nodes: RelayNodeProcess[] = [];
    for (let i = 1; i <= size; i++) {
      nodes.push({
        name: `n${i}`, adminAddr: `127.0.0.1:${await freePort()}`, peerAddr: `127.0.0.1:${await freePort()}`,
        dataDir: join(baseDir, `n${i}`), logFile: join(baseDir, `n${i}.log`), child: null,
      });
    }
    const cluster = new RelayCluster(baseDir, nodes, extraArgs, env, options);
    cluster.bootSize = size;
    for (let i = 0; i < size; i++) cluster.launch(i);
    // A node that cannot start (say, its port was taken) fails here with its log, not later as a
    // cluster one node short.
    for (let i = 0; i < size; i++) await cluster.waitUp(i);
    await cluster.waitForLeader();
    return cluster;
  }

  get initialCluster(): string {
    return this.nodes.map((n) => `${n.name}=${n.peerAddr}`).join(',');
  }

  /** An original member passes the members the cluster started with, on every start (the
   *  cluster id derives from them); a member added later passes every node. */
  private initialClusterOf(i: number): string {
    return i < this.bootSize ? this.nodes.slice(0, this.bootSize).map((n) => `${n.name}=${n.peerAddr}`).join(',') : this.initialCluster;
  }

  /** Starts node i's process (again, after a kill: it restarts from its data dir). `wrap` turns
   *  the node's command line into the one to run (e.g. inside a namespace with its own mounts). */
  launch(i: number, args: string[] = [], wrap?: (argv: string[]) => string[]): void {
    const node = this.nodes[i]!;
    const log = openSync(node.logFile, 'a');
    // TEST_NODE_FLAGS: extra node flags for the nodes only (e.g. --cpu-prof when profiling).
    const nodeFlags = [...SHEBANG.flags, ...(process.env.TEST_NODE_FLAGS ?? '').split(' ').filter(Boolean)];
    const argv = [process.execPath, ...loaderArgs(), ...nodeFlags, CLI_FILE, 'start',
      '--name', node.name, '--data-dir', node.dataDir, '--admin-addr', node.adminAddr, '--peer-addr', node.peerAddr,
      '--initial-cluster', this.initialClusterOf(i), '--heartbeat-interval', '50ms', '--election-timeout', '500ms',
      '--log-level', 'debug', ...this.extraArgs, ...(this.options.nodeArgs?.(i) ?? []), ...args];
    const [command, ...commandArgs] = wrap ? wrap(argv) : argv;
    const child = spawn(command!, commandArgs, { stdio: ['ignore', log, log], env: { ...process.env, ...SHEBANG.env, ...this.env } });
    closeSync(log);
    running.add(child);
    child.once('exit', () => running.delete(child));
    node.child = child;
  }

  /** A new member's process (not yet in the raft configuration: add it with POST /members),
   *  started empty with `--initial-cluster-state existing`; returns its index. */
  async addNode(args: string[] = [], wrap?: (argv: string[]) => string[]): Promise<number> {
    const i = this.nodes.length;
    const name = `n${i + 1}`;
    this.nodes.push({
      name, adminAddr: `127.0.0.1:${await freePort()}`, peerAddr: `127.0.0.1:${await freePort()}`,
      dataDir: join(this.baseDir, name), logFile: join(this.baseDir, `${name}.log`), child: null,
    });
    this.launch(i, ['--initial-cluster-state', 'existing', ...args], wrap);
    return i;
  }

  /** The process of node i exited (or was never started). */
  isDown(i: number): boolean {
    const child = this.nodes[i]!.child;
    return !child || child.exitCode !== null || child.signalCode !== null;
  }

  /** Waits until node i answers /healthz. */
  async waitUp(i: number, ms = 20_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      if (this.isDown(i)) throw new Error(`node ${this.nodes[i]!.name} exited; its log ends:\n${this.logTail(i)}`);
      try {
        if ((await this.api(i, 'GET', '/healthz')).status === 200) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`node ${this.nodes[i]!.name} not up within ${ms} ms (log ${this.nodes[i]!.logFile})`);
  }

  /** Throws, with the end of its log, if node i's process exited without the test stopping it. */
  assertRunning(i: number): void {
    const child = this.nodes[i]!.child;
    if (!child || !this.isDown(i) || stoppedByTest.has(child)) return;
    throw new Error(`node ${this.nodes[i]!.name} exited on its own (${child.signalCode ?? `code ${child.exitCode}`}); its log ends:\n${this.logTail(i)}`);
  }

  /** The last lines of node i's log (a failure message carries them: CI keeps no data dirs). */
  logTail(i: number, lines = 12): string {
    return readFileSync(this.nodes[i]!.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  }

  /** The structured log lines of node i with `event`. */
  logEvents(i: number, event: string): Record<string, unknown>[] {
    const lines = readFileSync(this.nodes[i]!.logFile, 'utf8').split('\n');
    const out: Record<string, unknown>[] = [];
    for (const line of lines) {
      if (!line.includes(`"${event}"`)) continue;
      try {
        const parsed = JSON.parse(line) as Record<string, unknown>;
        if (parsed.event === event) out.push(parsed);
      } catch {
        // a line cut by a SIGKILL
      }
    }
    return out;
  }

  /** Exit code of node i's process once it exited on its own (null while it runs). */
  exitCode(i: number): Promise<number | null> {
    const child = this.nodes[i]!.child;
    if (!child) return Promise.resolve(null);
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
    return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /** Exit code of node i once it exited on its own, failing the test if it still runs `ms` later. */
  async exitWithin(i: number, ms: number): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'running'>((resolve) => (timer = setTimeout(() => resolve('running'), ms)));
    const code = await Promise.race([this.exitCode(i), timeout]);
    clearTimeout(timer);
    if (code === 'running') throw new Error(`node ${this.nodes[i]!.name} still runs ${ms} ms later; its log ends:\n${this.logTail(i)}`);
    return code;
  }

  kill(i: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.nodes[i]!.child;
    if (!child || this.isDown(i)) return Promise.resolve();
    stoppedByTest.add(child);
    return new Promise((resolve) => {
      // A node that does not stop on SIGTERM within 15 s is killed (and the test goes on).
      const timer = signal === 'SIGKILL' ? null : setTimeout(() => child.kill('SIGKILL'), 15_000);
      child.once('exit', () => {
        if (timer) clearTimeout(timer);
        resolve();
      });
      child.kill(signal);
    });
  }

  async api(i: number, method: string, path: string, body?: unknown): Promise<ApiAnswer> {
    const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
    if (this.env.BINRELAY_ADMIN_TOKEN) headers.authorization = `Bearer ${this.env.BINRELAY_ADMIN_TOKEN}`;
    const res = await this.admin.fetch(this.nodes[i]!.adminAddr, path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    return { status: res.status, body: (await res.json()) as ApiAnswer['body'] };
  }

  /** Index of the node that reports itself leader (asking every live node), or -1. */
  async leaderIndex(): Promise<number> {
    for (let i = 0; i < this.nodes.length; i++) {
      if (this.isDown(i)) continue;
      try {
        const health = await this.api(i, 'GET', '/healthz');
        if ((health.body.data as { role: string }).role === 'leader') return i;
      } catch {
        // not up yet
      }
    }
    return -1;
  }

  async waitForLeader(ms = 20_000): Promise<number> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      const i = await this.leaderIndex();
      if (i >= 0) return i;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no leader within ${ms} ms (logs in ${this.baseDir})`);
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((_, i) => this.kill(i, 'SIGTERM')));
    if (!process.env.TEST_KEEP_DIRS) rmSync(this.baseDir, { recursive: true, force: true });
  }
}
