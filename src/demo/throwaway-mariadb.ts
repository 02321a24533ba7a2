// Throwaway MariaDB servers, for `binrelay demo` and the tests: each gets its own temp datadir and
// a free loopback port, binlog on (ROW, CRC32, GTID strict), and is always stopped and removed —
// also when the process dies (an exit hook kills what is left). If MariaDB is not installed, start
// fails with the command that installs it (so a test that needs it fails, never skips).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { freePort } from './free-port.js';

const INSTALL_HINT =
  'MariaDB is required: apt-get update && apt-get install -y mariadb-server mariadb-client';

export class MariaDbMissingError extends Error {
  readonly code = 'MARIADB_MISSING';
}

/** Throws unless the MariaDB binaries are on PATH. */
export function requireMariaDbBinaries(): void {
  for (const bin of ['mariadbd', 'mariadb-install-db', 'mariadb', 'mariadb-binlog']) {
    const found = spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' });
    if (found.status !== 0) throw new MariaDbMissingError(`${bin} not found. ${INSTALL_HINT}`);
  }
}

export interface MariaDbOptions {
  /** server_id of the instance (default: 1). */
  serverId?: number;
  /** Extra mariadbd flags, e.g. ['--max-binlog-size=4096']. Later flags win. */
  args?: string[];
  /** Prefix of the binlog file names (default: 'up' → up-bin.000001). */
  name?: string;
}

export type Row = Record<string, unknown>;

export interface MariaDb {
  readonly port: number;
  readonly serverId: number;
  readonly dataDir: string;
  readonly baseDir: string;
  /** Runs one statement, returns its rows (empty for statements without a result set). */
  query(sql: string, params?: unknown[]): Promise<Row[]>;
  /** Runs a script of several statements separated by ';'. */
  exec(sql: string): Promise<void>;
  /** Absolute paths of the binlog files, oldest first. */
  binlogPaths(): Promise<string[]>;
  /** Waits for the server to exit cleanly (SHUTDOWN), then removes its directory. */
  stop(): Promise<void>;
  /** Kills the server process with `signal` (a crash: SIGKILL) and waits for it to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the server again on its data dir and port (after kill()). */
  restart(): Promise<void>;
}

// Debian puts mariadbd in /usr/sbin, which a non-login PATH may lack.
if (!(process.env.PATH ?? '').split(':').includes('/usr/sbin')) process.env.PATH = `${process.env.PATH ?? ''}:/usr/sbin`;

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Runs a command to completion, collecting its output (never throws on a non-zero exit). */
export function run(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** Runs `mariadb-binlog --no-defaults ARGS` and returns its stdout (throws on a non-zero exit). */
export async function mariadbBinlog(args: string[]): Promise<string> {
  const result = await run('mariadb-binlog', ['--no-defaults', ...args]);
  if (result.code !== 0) throw new Error(`mariadb-binlog ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return result.stdout;
}

/** Runs the `mariadb` CLI with --no-defaults; returns exit code and output. */
export function mariadbCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return run('mariadb', ['--no-defaults', ...args]);
}

async function waitUntilReady(port: number, child: ChildProcess, errorLog: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      const log = await run('tail', ['-n', '30', errorLog]);
      throw new Error(`mariadbd exited with ${child.exitCode} during start-up:\n${log.stdout}`);
    }
    try {
      const conn = await mysql.createConnection({ host: '127.0.0.1', port, user: 'root' });
      await conn.end();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`mariadbd on port ${port} not ready after 30 s (log: ${errorLog})`);
}

export async function startMariaDb(options: MariaDbOptions = {}): Promise<MariaDb> {
  requireMariaDbBinaries();
  const serverId = options.serverId ?? 1;
  const name = options.name ?? 'up';
  const baseDir = await mkdtemp(join(tmpdir(), `binrelay-mariadb-${name}-`));
  const dataDir = join(baseDir, 'data');
  await run('mkdir', ['-p', join(baseDir, 'tmp')]);
  // Its own tmpdir: bootstraps running at once in the shared /tmp fail now and then ("Could not
  // remove temporary table '/tmp/#sql-temptable-…'", then 1051 Unknown table 'mysql.tmp_user_sys').
  const install = await run('mariadb-install-db', [
    '--no-defaults', `--datadir=${dataDir}`, '--user=root', `--tmpdir=${join(baseDir, 'tmp')}`,
    '--auth-root-authentication-method=normal', '--skip-test-db', '--skip-name-resolve',
  ]);
  if (install.code !== 0) throw new Error(`mariadb-install-db failed: ${install.stderr}${install.stdout}`);

  const port = await freePort();
  const errorLog = join(baseDir, 'error.log');
  const launch = (): ChildProcess => spawn('mariadbd', [
    '--no-defaults', '--user=root', `--datadir=${dataDir}`, `--tmpdir=${join(baseDir, 'tmp')}`,
    `--port=${port}`, '--bind-address=127.0.0.1', `--socket=${join(baseDir, 'mysqld.sock')}`,
    `--pid-file=${join(baseDir, 'mysqld.pid')}`, `--log-error=${errorLog}`, '--skip-name-resolve',
    `--server-id=${serverId}`, `--log-bin=${name}-bin`, `--relay-log=${name}-relay-bin`,
    '--binlog-format=ROW', '--binlog-checksum=CRC32', '--log-slave-updates=ON',
    '--gtid-strict-mode=ON', '--gtid-domain-id=0',
    '--innodb-buffer-pool-size=64M', '--innodb-log-file-size=48M',
    '--innodb-flush-log-at-trx-commit=2', '--sync-binlog=0', '--max-allowed-packet=256M',
    '--skip-log-bin-trust-function-creators', '--performance-schema=OFF',
    ...(options.args ?? []),
  ], { stdio: 'ignore' });
  let child = launch();
  running.add(child);
  child.once('exit', () => running.delete(child));
  try {
    await waitUntilReady(port, child, errorLog);
  } catch (err) {
    child.kill('SIGKILL');
    await rm(baseDir, { recursive: true, force: true });
    throw err;
  }

  const pool = mysql.createPool({
    host: '127.0.0.1', port, user: 'root', multipleStatements: true, connectionLimit: 4,
    supportBigNumbers: true, bigNumberStrings: true,
  });

  const instance: MariaDb = {
    port, serverId, dataDir, baseDir,
    async query(sql, params) {
      const [rows] = await pool.query(sql, params);
      return Array.isArray(rows) ? (rows as Row[]) : [];
    },
    async exec(sql) {
      await pool.query(sql);
    },
    async binlogPaths() {
      const [rows] = await pool.query('SHOW BINARY LOGS');
      return (rows as Row[]).map((r) => join(dataDir, String(r.Log_name)));
    },
    async kill(signal = 'SIGKILL') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill(signal);
      await exited;
    },
    async restart() {
      child = launch();
      running.add(child);
      const started = child;
      started.once('exit', () => running.delete(started));
      await waitUntilReady(port, started, errorLog);
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((r) => child.once('exit', () => r()));
        try {
          await pool.query('SHUTDOWN');
        } catch {
          child.kill('SIGTERM');
        }
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }
      await pool.end().catch(() => undefined);
      await rm(baseDir, { recursive: true, force: true });
    },
  };
  return instance;
}

/** Lists a directory's binlog files (name-bin.NNNNNN) without asking the server. */
export async function listBinlogFiles(dataDir: string, name = 'up'): Promise<string[]> {
  const files = await readdir(dataDir);
  return files.filter((f) => new RegExp(`^${name}-bin\\.\\d{6}$`).test(f)).sort().map((f) => join(dataDir, f));
}

/** Points `replica` at a binlog server on loopback `port` (user repl / relaypw) and starts it:
 *  GTID (slave_pos) or file/position (no). */
export async function pointReplica(replica: MariaDb, port: number, mode: 'slave_pos' | 'no'): Promise<void> {
  await replica.exec(`STOP SLAVE; CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=${port}, MASTER_USER='repl',
    MASTER_PASSWORD='relaypw', MASTER_CONNECT_RETRY=1, MASTER_USE_GTID=${mode}; START SLAVE`);
}

/** SHOW SLAVE STATUS as one row ({} when the server is no replica). */
export async function slaveStatus(replica: MariaDb): Promise<Row> {
  return (await replica.query('SHOW SLAVE STATUS'))[0] ?? {};
}
