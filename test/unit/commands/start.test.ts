// `binrelay start` as a process: what it refuses before starting, and how it ends when something
// goes wrong after it started (the compiled CLI, spawned).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../helpers/mariadb.js';

const CLI = fileURLToPath(new URL('../../../src/cli.js', import.meta.url));
const DOCKERFILE = fileURLToPath(new URL('../../../../Dockerfile', import.meta.url));

interface Run {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** Starts `binrelay start ARGS` in a fresh data dir (laid out first by `prepare`, if given), with
 *  only `env` (and PATH) as environment. */
function start(args: string[], env: Record<string, string> = {}, nodeFlags: string[] = [], prepare?: (dataDir: string) => void): Run {
  const dataDir = mkdtempSync(join(tmpdir(), 'binrelay-start-'));
  prepare?.(dataDir);
  const child = spawn(process.execPath, [...nodeFlags, CLI, 'start', '--data-dir', dataDir, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => {
    rmSync(dataDir, { recursive: true, force: true });
    resolve(code);
  }));
  return { child, output: () => out, exited };
}

async function exitWithin(run: Run, ms: number): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
  const code = await Promise.race([run.exited, timeout]);
  clearTimeout(timer);
  if (code === 'timeout') {
    run.child.kill('SIGKILL');
    assert.fail(`binrelay start still running after ${ms} ms:\n${run.output()}`);
  }
  return code;
}

async function loopbackAddrs(): Promise<string[]> {
  return ['--admin-addr', `127.0.0.1:${await freePort()}`, '--peer-addr', `127.0.0.1:${await freePort()}`];
}

async function waitHealthy(adminAddr: string, run: Run): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (run.child.exitCode !== null) assert.fail(`node exited:\n${run.output()}`);
    const ok = await fetch(`http://${adminAddr}/healthz`).then((r) => r.status === 200, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`node not healthy:\n${run.output()}`);
}

test('a 0.0.0.0 admin address without an admin token: exits non-zero naming admin-token and how to set it', async () => {
  const run = start(['--admin-addr', `0.0.0.0:${await freePort()}`, '--peer-addr', `127.0.0.1:${await freePort()}`]);
  assert.equal(await exitWithin(run, 10_000), 2);
  assert.match(run.output(), /admin-token: admin-addr 0\.0\.0\.0:\d+ is not a loopback address/);
  assert.match(run.output(), /BINRELAY_ADMIN_TOKEN/);
});

test('a 0.0.0.0 peer address without a cluster token: exits non-zero naming cluster-token', async () => {
  const run = start(['--admin-addr', `127.0.0.1:${await freePort()}`, '--peer-addr', `0.0.0.0:${await freePort()}`]);
  assert.equal(await exitWithin(run, 10_000), 2);
  assert.match(run.output(), /cluster-token: peer-addr 0\.0\.0\.0:\d+ is not a loopback address/);
  assert.match(run.output(), /BINRELAY_CLUSTER_TOKEN/);
});

test('loopback addresses start without tokens; 0.0.0.0 starts with both tokens and an advertised address from the environment', async () => {
  const args = await loopbackAddrs();
  const run = start(args);
  await waitHealthy(args[1]!, run);
  run.child.kill('SIGTERM');
  assert.equal(await exitWithin(run, 20_000), 0);

  const [port, peerPort] = [await freePort(), await freePort()];
  const wildcard = ['--admin-addr', `0.0.0.0:${port}`, '--peer-addr', `0.0.0.0:${peerPort}`];
  const tokens = { BINRELAY_ADMIN_TOKEN: 'admin-secret', BINRELAY_CLUSTER_TOKEN: 'cluster-secret' };
  const unadvertised = start(wildcard, tokens);
  assert.equal(await exitWithin(unadvertised, 10_000), 2);
  assert.match(unadvertised.output(), /advertise-peer-addr: peer-addr 0\.0\.0\.0:\d+ listens on every interface/);
  const exposed = start(wildcard, { ...tokens, BINRELAY_ADVERTISE_PEER_ADDR: `localhost:${peerPort}` });
  await waitHealthy(`127.0.0.1:${port}`, exposed);
  const cluster = await fetch(`http://127.0.0.1:${port}/cluster`);
  assert.equal(cluster.status, 401, 'the admin token is enforced');
  exposed.child.kill('SIGTERM');
  assert.equal(await exitWithin(exposed, 20_000), 0);
  assert.doesNotMatch(exposed.output(), /admin-secret|cluster-secret/, 'tokens never reach the log');
  const started = JSON.parse(exposed.output().split('\n').find((l) => l.includes('"node.started"'))!) as Record<string, unknown>;
  assert.deepEqual([started.advertisePeerAddr, started.advertiseAdminAddr], [`localhost:${peerPort}`, `localhost:${port}`]);
});

test('the image runs as a non-root user and its command refuses to start without both tokens', async () => {
  const dockerfile = readFileSync(DOCKERFILE, 'utf8');
  const finalStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  const user = /^USER\s+(\S+)/m.exec(finalStage);
  assert.ok(user && user[1] !== 'root' && user[1] !== '0', 'the final stage sets a non-root USER');
  const cmd = JSON.parse(/^CMD\s+(\[.*\])\s*$/m.exec(finalStage)![1]!) as string[];
  assert.equal(cmd[0], 'start');
  // The image's own command (its ports swapped for free ones, its data dir for a temporary one).
  const args: string[] = [];
  for (let i = 1; i < cmd.length; i += 2) {
    if (cmd[i] === '--data-dir') continue;
    const value = /^0\.0\.0\.0:\d+$/.test(cmd[i + 1]!) ? `0.0.0.0:${await freePort()}` : cmd[i + 1]!;
    args.push(cmd[i]!, value);
  }
  const run = start(args);
  assert.equal(await exitWithin(run, 10_000), 2);
  assert.match(run.output(), /admin-token, cluster-token: /);
});

test('the admin port in use: exits non-zero naming admin-addr, before it opens storage or joins raft', async () => {
  const taken: Server = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  const port = (taken.address() as { port: number }).port;
  const peerPort = await freePort();
  try {
    const run = start(['--admin-addr', `127.0.0.1:${port}`, '--peer-addr', `127.0.0.1:${peerPort}`]);
    assert.equal(await exitWithin(run, 10_000), 1);
    assert.match(run.output(), /admin API cannot listen on 127\.0\.0\.1:\d+ \(admin-addr\): .*EADDRINUSE/);
    assert.doesNotMatch(run.output(), /"event":"(raft\.started|transport\.listening)"/, 'raft never started');
  } finally {
    taken.close();
  }
});

test('storage that cannot open: exits non-zero, and the stderr line says why, not only that it failed', async () => {
  // LevelDB's CURRENT names a manifest that is not there: level wraps the reason ("IO error: …
  // No such file or directory") as the cause of "Database failed to open".
  const run = start(await loopbackAddrs(), {}, [], (dataDir) => {
    mkdirSync(join(dataDir, 'leveldb'));
    writeFileSync(join(dataDir, 'leveldb', 'CURRENT'), 'MANIFEST-999999\n');
  });
  assert.equal(await exitWithin(run, 10_000), 1);
  const stderrLine = run.output().split('\n').find((l) => l.startsWith('binrelay start: node failed'));
  assert.match(stderrLine ?? '', /^binrelay start: node failed: Database failed to open: IO error: .*MANIFEST-999999: No such file or directory$/,
    `the last line names the missing manifest:\n${run.output()}`);
});

test('an uncaught exception or unhandled rejection in a running node: one fatal log line, exit code 1', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'binrelay-crash-'));
  try {
    for (const [origin, code] of [
      ['uncaughtException', "setTimeout(() => { throw new Error('injected crash'); }, 1500);"],
      ['unhandledRejection', "setTimeout(() => { Promise.reject(new Error('injected crash')); }, 1500);"],
    ] as const) {
      const inject = join(dir, `${origin}.mjs`);
      writeFileSync(inject, code);
      const args = await loopbackAddrs();
      const run = start(args, {}, ['--import', inject]);
      await waitHealthy(args[1]!, run);
      assert.equal(await exitWithin(run, 10_000), 1, origin);
      const fatal = run.output().split('\n').filter((l) => l.includes('"event":"node.crashed"')).map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.equal(fatal.length, 1, `${origin}: ${run.output()}`);
      assert.equal(fatal[0]!.origin, origin);
      assert.equal(fatal[0]!.level, 60);
      assert.match((fatal[0]!.err as { message: string }).message, /injected crash/);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Starts a node with `args`, waits until it is healthy, stops it with SIGTERM; its output. */
async function startAndStop(args: string[], adminAddr: string): Promise<string> {
  const run = start(args);
  await waitHealthy(adminAddr, run);
  run.child.kill('SIGTERM');
  assert.equal(await exitWithin(run, 20_000), 0);
  return run.output();
}

test('a start without tokens prints no deprecation warning and no token placeholder', async () => {
  const args = await loopbackAddrs();
  const output = await startAndStop(args, args[1]!);
  assert.doesNotMatch(output, /FSTDEP|DeprecationWarning/);
  const starting = output.split('\n').find((line) => line.includes('"node.starting"'));
  assert.ok(starting, output);
  const config = (JSON.parse(starting) as { config: Record<string, unknown> }).config;
  assert.equal('adminToken' in config, false, 'an unset admin token is not logged as "***"');
  assert.equal('clusterToken' in config, false);
});

test('--log-format pretty writes one readable line per event instead of JSON', async () => {
  const args = await loopbackAddrs();
  const output = await startAndStop([...args, '--log-format', 'pretty'], args[1]!);
  const lines = output.split('\n').filter(Boolean);
  assert.ok(lines.every((line) => !line.startsWith('{')), output);
  assert.ok(lines.some((line) => /^\d\d:\d\d:\d\d\.\d{3} INFO {2}node1 node\.started node started {2}id=\d+/.test(line)), output);
});

test("a kingbus config file starts a node, each kingbus key noted in the log", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'binrelay-kingbus-'));
  const [admin, peer] = [await freePort(), await freePort()];
  // kingbus's etc/kingbus.yaml, with this machine's ports and directories.
  const file = join(dir, 'kingbus.yaml');
  writeFileSync(file, `name: 'kingbus_0'
admin-url: http://127.0.0.1:${admin}
metrics-addr: 127.0.0.1:2728
heartbeat-interval: 100ms
election-timeout: 1000ms
initial-cluster: kingbus_0=http://127.0.0.1:${peer}
initial-cluster-state: new
peer-url: http://127.0.0.1:${peer}
reserve-data-size: 20
log-dir: ${join(dir, 'log')}
log-level: debug
`);
  try {
    const output = await startAndStop(['--config', file], `127.0.0.1:${admin}`);
    const notes = output.split('\n').filter((line) => line.includes('"config.kingbus_key"')).map((line) => (JSON.parse(line) as { note: string }).note);
    for (const key of ['admin-url', 'peer-url', 'metrics-addr', 'log-dir', 'reserve-data-size']) {
      assert.ok(notes.some((note) => note.startsWith(`${key} (kingbus)`)), `${key} noted: ${JSON.stringify(notes)}`);
    }
    const starting = JSON.parse(output.split('\n').find((line) => line.includes('"node.starting"'))!) as { config: { binlogRetention: { maxBytes: number } } };
    assert.equal(starting.config.binlogRetention.maxBytes, 20e9);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
