import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspectFile } from '../../../src/commands/inspect.js';
import { allFixtureListings, fixturePath } from '../binlog/listing.js';

async function lines(path: string, json: boolean) {
  let out = '';
  const result = await inspectFile(path, { json }, (t) => (out += t));
  return { lines: out.split('\n').filter((l) => l !== ''), result };
}

test('--json prints one object per event with exactly pos, end, type, serverId, gtid, as the listings show', async () => {
  for (const f of allFixtureListings()) {
    const { lines: got, result } = await lines(f.path, true);
    assert.equal(result.error, undefined);
    assert.equal(result.events, f.events.length);
    assert.deepEqual(
      got.map((l) => JSON.parse(l) as unknown),
      f.events.map((e) => ({ pos: e.pos, end: e.end, type: e.type, serverId: e.serverId, gtid: e.gtid })),
      f.name,
    );
    for (const l of got) assert.deepEqual(Object.keys(JSON.parse(l) as object), ['pos', 'end', 'type', 'serverId', 'gtid']);
  }
});

test('text lines start with aligned pos=, end=, type=, server_id=, gtid= columns', async () => {
  for (const f of allFixtureListings()) {
    const { lines: got } = await lines(f.path, false);
    assert.equal(got.length, f.events.length);
    got.forEach((line, i) => {
      const m = /^pos=(\d+) +end=(\d+) +type=(\S+) +server_id=(\d+) +gtid=(\S+)/.exec(line);
      assert.ok(m, line);
      const e = f.events[i]!;
      assert.deepEqual([Number(m[1]), Number(m[2]), m[3], Number(m[4]), m[5]], [e.pos, e.end, e.type, e.serverId, e.gtid ?? '-'], f.name);
      assert.equal(line.indexOf('end='), got[0]!.indexOf('end='), 'columns are aligned');
      assert.equal(line.indexOf('server_id='), got[0]!.indexOf('server_id='));
    });
  }
});

test('a TRANSACTION_PAYLOAD is listed once at its file offset, as the top level of the listing shows', async () => {
  const f = allFixtureListings().find((x) => x.name.endsWith('transaction_compression.000001'))!;
  const { lines: got } = await lines(f.path, true);
  const payload = got.map((l) => JSON.parse(l) as { type: string; pos: number }).filter((e) => e.type === 'TRANSACTION_PAYLOAD');
  assert.deepEqual(payload.map((p) => p.pos), [274]);
  assert.equal(f.events.find((e) => e.type === 'TRANSACTION_PAYLOAD')!.inner!.length, 4, 'the listing shows 4 compressed inner events');
  assert.equal(got.length, 5);
});

test('a corrupt or truncated file prints the good events, then reports a typed error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'binrelay-inspect-'));
  try {
    const f = allFixtureListings().find((x) => x.name === 'mysql57-binlog/mysql_bin.000011')!;
    const bytes = readFileSync(f.path);
    const bad = Buffer.from(bytes);
    const victim = f.events[20]!;
    bad[victim.pos + 30] ^= 0x01;
    writeFileSync(join(dir, 'flipped'), bad);
    const flipped = await lines(join(dir, 'flipped'), true);
    assert.equal(flipped.lines.length, 20);
    assert.equal(flipped.result.error?.code, 'BINLOG_BAD_CHECKSUM');
    assert.equal(flipped.result.error?.offset, victim.pos);

    writeFileSync(join(dir, 'cut'), bytes.subarray(0, victim.pos + 10));
    const cut = await lines(join(dir, 'cut'), false);
    assert.equal(cut.lines.length, 20);
    assert.equal(cut.result.error?.code, 'BINLOG_TRUNCATED');
    assert.equal(cut.result.error?.offset, victim.pos);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Under tsx the tests run from .ts sources; compiled, from dist/. Spawn the matching cli.
const here = fileURLToPath(import.meta.url);
const cli = fileURLToPath(new URL(here.endsWith('.ts') ? '../../../src/cli.ts' : '../../../src/cli.js', import.meta.url));

function runCli(args: string[]) {
  const execArgv = here.endsWith('.ts') && !process.execArgv.some((a) => a.includes('tsx')) ? ['--import', 'tsx'] : process.execArgv.filter((a) => !a.startsWith('--test'));
  return spawnSync(process.execPath, [...execArgv, cli, ...args], { encoding: 'utf8', cwd: process.cwd() });
}

test('the binrelay CLI runs inspect: output, --help, usage errors and exit codes', async () => {
  const path = fixturePath('mysql8-binlog', 'mysql_type_bit.000001');
  const ok = runCli(['inspect', path, '--json']);
  assert.equal(ok.status, 0, ok.stderr);
  let expected = '';
  await inspectFile(path, { json: true }, (t) => (expected += t));
  assert.equal(ok.stdout, expected);

  const help = runCli(['inspect', '--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /usage: binrelay inspect FILE \[--json\]/);

  assert.equal(runCli(['inspect']).status, 2);
  assert.equal(runCli(['inspect', path, '--bogus']).status, 2);
  const missing = runCli(['inspect', join(tmpdir(), 'no-such-binlog.000001')]);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /no such file/);

  const dir = mkdtempSync(join(tmpdir(), 'binrelay-inspect-'));
  try {
    const cut = join(dir, 'cut.000001');
    writeFileSync(cut, readFileSync(path).subarray(0, 500));
    const r = runCli(['inspect', cut]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /BINLOG_TRUNCATED/);
    assert.equal(r.stdout.trim().split('\n').length, 4, 'the 4 whole events before the cut are listed');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
