// `binrelay demo` as a user runs it (the CLI as a child process, real MariaDB upstream and
// replica): it runs until Ctrl-C (SIGINT), the replica has received every row of the workload
// through the relay, and nothing is left behind — no directory, no server process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { run } from '../../helpers/mariadb.js';

const CLI = fileURLToPath(new URL('../../../src/cli.js', import.meta.url));

test('the demo replicates its workload to a real replica through the cluster; Ctrl-C removes everything', { timeout: 120_000 }, async () => {
  const child = spawn(process.execPath, [CLI, 'demo'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let interrupted = false;
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    // Ctrl-C once the replica has been seen receiving rows.
    if (!interrupted && /replica of n\d has [1-9]/.test(out)) {
      interrupted = true;
      child.kill('SIGINT');
    }
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, 0, out);
  const received = /replica received (\d+) of (\d+) rows/.exec(out);
  assert.ok(received, out);
  assert.ok(Number(received[2]) >= 1, `the workload wrote rows: ${received[0]}`);
  assert.equal(received[1], received[2]);
  assert.match(out, /dashboard http:\/\/127\.0\.0\.1:\d+\/ /);
  assert.match(out, /CHANGE MASTER TO MASTER_HOST='127\.0\.0\.1', MASTER_PORT=\d+/);
  const dir = /working in (\S+)/.exec(out)![1]!;
  assert.equal(existsSync(dir), false, `${dir} removed`);
  const left = await run('pgrep', ['-f', dir]);
  assert.equal(left.stdout.trim(), '', 'no process of the demo is left');
});
