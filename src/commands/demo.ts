// `binrelay demo`: the whole thing on one machine, thrown away afterwards. A MariaDB upstream, a
// 3-node cluster in this process, the syncer, a binlog server on every node, a MariaDB replica
// on one of them and a small workload; it prints where to look and the replica's progress, and
// Ctrl-C (or --duration) stops and removes everything.
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { RelayNode } from '../node.js';
import { MariaDbMissingError, requireMariaDbBinaries, startMariaDb, type MariaDb } from '../demo/throwaway-mariadb.js';
import { freePort } from '../demo/free-port.js';

const USAGE = `usage: binrelay demo [--duration SECONDS]

Starts a throwaway MariaDB upstream, a 3-node binrelay cluster, the syncer, binlog servers, a
MariaDB replica of one node and a small workload, and prints the replica's progress. Ctrl-C (or
the end of --duration) stops and removes everything. Needs MariaDB installed
(apt-get install -y mariadb-server mariadb-client).
`;

const RELAY_USER = 'repl';
const RELAY_PASSWORD = 'relaypw';
const WRITE_EVERY_MS = 200;
const REPORT_EVERY_MS = 2000;

interface DemoNode {
  name: string;
  adminAddr: string;
  binlogAddr: string;
  node: RelayNode;
}

async function api(adminAddr: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`http://${adminAddr}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = (await res.json()) as { message: string; data?: unknown };
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${answer.message}`);
  return answer.data;
}

async function until(what: string, ms: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function parseDuration(args: string[]): number | null {
  const i = args.indexOf('--duration');
  if (i < 0) return 0;
  const seconds = Number(args[i + 1]);
  return Number.isFinite(seconds) && seconds > 0 ? seconds : null;
}

export async function runDemo(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  const durationS = parseDuration(args);
  if (durationS === null) {
    process.stderr.write(`binrelay demo: --duration needs a positive number of seconds\n\n${USAGE}`);
    return 2;
  }
  try {
    requireMariaDbBinaries();
  } catch (err) {
    if (err instanceof MariaDbMissingError) {
      process.stderr.write(`binrelay demo: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  const say = (line: string): boolean => process.stdout.write(`${line}\n`);
  const baseDir = await mkdtemp(join(tmpdir(), 'binrelay-demo-'));
  const logFile = join(baseDir, 'nodes.log');
  const logStream = createWriteStream(logFile);
  const logger = createLogger('info', 'demo', logStream);
  const servers: MariaDb[] = [];
  const nodes: DemoNode[] = [];
  let stopping: (() => void) | null = null;
  const stopped = new Promise<void>((resolve) => (stopping = resolve));
  const onSignal = (): void => stopping?.();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let workload: NodeJS.Timeout | null = null;
  let report: NodeJS.Timeout | null = null;
  try {
    say(`binrelay demo: working in ${baseDir} (node logs: ${logFile})`);
    const upstream = await startMariaDb({ serverId: 1, name: 'up' });
    servers.push(upstream);
    await upstream.exec(`CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY 'replpw';
      GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO 'repl'@'127.0.0.1';
      CREATE DATABASE demo; CREATE TABLE demo.events (id INT AUTO_INCREMENT PRIMARY KEY, note VARCHAR(64), at TIMESTAMP(6) DEFAULT NOW(6))`);
    say(`upstream MariaDB on 127.0.0.1:${upstream.port}`);

    const names = ['n1', 'n2', 'n3'];
    const addrs = await Promise.all(names.map(async () => ({ admin: `127.0.0.1:${await freePort()}`, peer: `127.0.0.1:${await freePort()}`, binlog: `127.0.0.1:${await freePort()}` })));
    const initialCluster = names.map((n, i) => `${n}=${addrs[i]!.peer}`).join(',');
    const started = await Promise.all(names.map((name, i) => RelayNode.start(loadConfig([
      '--name', name, '--data-dir', join(baseDir, name), '--admin-addr', addrs[i]!.admin,
      '--peer-addr', addrs[i]!.peer, '--initial-cluster', initialCluster,
    ], {}), logger.child({ node: name }), (err) => {
      say(`node ${name} failed: ${err.message}`);
      stopping?.();
    })));
    started.forEach((node, i) => nodes.push({ name: names[i]!, adminAddr: addrs[i]!.admin, binlogAddr: addrs[i]!.binlog, node }));
    await until('a leader', 20_000, async () => ((await api(nodes[0]!.adminAddr, 'GET', '/healthz')) as { leader: string | null }).leader !== null);
    await api(nodes[1]!.adminAddr, 'PUT', '/binlog/syncer/start', { mysql_addr: `127.0.0.1:${upstream.port}`, mysql_user: 'repl', mysql_password: 'replpw' });
    for (const n of nodes) await api(n.adminAddr, 'PUT', '/binlog/server/start', { addr: n.binlogAddr, user: RELAY_USER, password: RELAY_PASSWORD });

    const replica = await startMariaDb({ serverId: 3, name: 'replica' });
    servers.push(replica);
    const served = nodes[2]!;
    const [host, port] = served.binlogAddr.split(':');
    await replica.exec(`CHANGE MASTER TO MASTER_HOST='${host}', MASTER_PORT=${port}, MASTER_USER='${RELAY_USER}',
      MASTER_PASSWORD='${RELAY_PASSWORD}', MASTER_CONNECT_RETRY=1, MASTER_USE_GTID=slave_pos; START SLAVE`);

    let written = 0;
    workload = setInterval(() => {
      void upstream.exec(`INSERT INTO demo.events (note) VALUES ('event ${written + 1}')`).then(() => written++, () => undefined);
    }, WRITE_EVERY_MS);
    const replicaRows = async (): Promise<number> =>
      Number((await replica.query('SELECT COUNT(*) AS n FROM demo.events').catch(() => [{ n: 0 }]))[0]?.n ?? 0);
    report = setInterval(() => {
      void (async () => {
        const [status] = await replica.query('SHOW SLAVE STATUS').catch(() => []);
        say(`upstream wrote ${written} rows; replica of ${served.name} has ${await replicaRows()}; Seconds_Behind_Master ${String(status?.Seconds_Behind_Master ?? 'n/a')}`);
      })();
    }, REPORT_EVERY_MS);

    say('');
    for (const n of nodes) say(`${n.name}: dashboard http://${n.adminAddr}/   API http://${n.adminAddr}/docs   metrics http://${n.adminAddr}/metrics   binlog server ${n.binlogAddr}`);
    say(`a MariaDB replica (server_id 3) replicates from ${served.name}; point another one at any node with:`);
    say(`  CHANGE MASTER TO MASTER_HOST='${host}', MASTER_PORT=${port}, MASTER_USER='${RELAY_USER}', MASTER_PASSWORD='${RELAY_PASSWORD}', MASTER_USE_GTID=slave_pos; START SLAVE;`);
    say(durationS > 0 ? `running for ${durationS} s` : 'Ctrl-C stops and removes everything');
    say('');
    const timer = durationS > 0 ? setTimeout(() => stopping?.(), durationS * 1000) : null;
    await stopped;
    if (timer) clearTimeout(timer);
    clearInterval(workload);
    workload = null;
    clearInterval(report);
    report = null;
    // Let the last inserts land, then see that the replica has every row.
    await new Promise((r) => setTimeout(r, WRITE_EVERY_MS * 2));
    const total = Number((await upstream.query('SELECT COUNT(*) AS n FROM demo.events'))[0]?.n ?? 0);
    await until('the replica to catch up', 15_000, async () => (await replicaRows()) === total).catch(() => undefined);
    const got = await replicaRows();
    say(`replica received ${got} of ${total} rows`);
    return got === total && total > 0 ? 0 : 1;
  } catch (err) {
    say(`binrelay demo: ${(err as Error).message} (node logs: ${logFile})`);
    return 1;
  } finally {
    if (workload) clearInterval(workload);
    if (report) clearInterval(report);
    say('stopping and removing everything');
    // The replica first, the upstream last: nothing is left talking to a server that is gone.
    await servers[1]?.stop().catch(() => undefined);
    await Promise.allSettled(nodes.map((n) => n.node.stop()));
    await servers[0]?.stop().catch(() => undefined);
    logStream.end();
    await rm(baseDir, { recursive: true, force: true });
    // Until here a second Ctrl-C does not cut the clean-up short.
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
