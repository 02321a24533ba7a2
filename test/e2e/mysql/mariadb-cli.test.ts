// The real `mariadb` command-line client (libmariadb) against a server built from src/mysql/.
// A missing binary is a failure, not a skip: these tests are the proof that real clients work.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { type SampleServer, startSampleServer } from './sample-server.js';

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function requireMariadbCli(): void {
  const probe = spawnSync('mariadb', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(`the mariadb client binary is missing (${probe.error?.message ?? probe.stderr}); install it: apt-get install -y mariadb-client`);
  }
}

/** A test that fails (never skips) with the install hint when the binary is missing. */
function cliIt(name: string, body: () => Promise<void>): void {
  it(name, async () => {
    requireMariadbCli();
    await body();
  });
}

function run(command: string, args: readonly string[], input?: string): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(command, args, { timeout: 20_000, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

function mariadb(port: number, user: string, password: string | null, ...rest: string[]): Promise<CliResult> {
  const auth = password === null ? [`-u${user}`] : [`-u${user}`, `-p${password}`];
  return run('mariadb', ['--no-defaults', '-h127.0.0.1', `-P${port}`, ...auth, ...rest]);
}

describe('mariadb CLI against a MariaDB-flavored server', () => {
  let s: SampleServer;
  before(async () => {
    s = await startSampleServer();
  });
  after(() => s?.close());

  cliIt('logs in with mysql_native_password and prints SELECT 1', async () => {
    const r = await mariadb(s.port, 'repl', 'replpw', '-e', 'SELECT 1');
    assert.equal(r.stderr, '');
    assert.equal(r.code, 0);
    assert.equal(r.stdout, '1\n1\n');
  });

  cliIt('prints a small result set with NULL in --batch output', async () => {
    const r = await mariadb(s.port, 'repl', 'replpw', '--batch', '-e', 'SELECT id, name, note FROM fruits');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'id\tname\tnote\n1\tapple\tNULL\n2\tbanana\tyellow\n3\tcherry\tred, small\n');
  });

  cliIt('draws the same result set as a table, numbers right-aligned', async () => {
    const r = await mariadb(s.port, 'repl', 'replpw', '--table', '-e', 'SELECT id, name, note FROM fruits');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      [
        '+------+--------+------------+',
        '| id   | name   | note       |',
        '+------+--------+------------+',
        '|    1 | apple  | NULL       |',
        '|    2 | banana | yellow     |',
        '|    3 | cherry | red, small |',
        '+------+--------+------------+',
        '',
      ].join('\n'),
    );
  });

  cliIt('fails a wrong password with exit code 1 and ERROR 1045 (28000)', async () => {
    const r = await mariadb(s.port, 'repl', 'wrong', '-e', 'SELECT 1');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /^ERROR 1045 \(28000\): Access denied for user 'repl'@'127\.0\.0\.1' \(using password: YES\)$/m);
    assert.equal(r.stdout, '');
  });

  cliIt('fails an unknown user the same way', async () => {
    const r = await mariadb(s.port, 'nobody', 'x', '-e', 'SELECT 1');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /ERROR 1045 \(28000\): Access denied for user 'nobody'@'127\.0\.0\.1'/);
  });

  cliIt('logs in a user with an empty password without -p', async () => {
    const r = await mariadb(s.port, 'empty', null, '-e', 'SELECT 1');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '1\n1\n');
  });

  cliIt('reports ERROR 1064 for an unknown statement and runs the next one in the same session', async () => {
    const r = await mariadb(s.port, 'repl', 'replpw', '-e', 'BOGUS; SELECT 1', '--force');
    assert.match(
      r.stderr,
      /ERROR 1064 \(42000\) at line 1: You have an error in your SQL syntax; .* near 'BOGUS' at line 1/,
    );
    assert.equal(r.stdout, '1\n1\n');
    const sessions = [...s.queries.values()].filter((q) => q.includes('BOGUS'));
    assert.equal(sessions.length, 1);
    assert.deepEqual(sessions[0], ['BOGUS', 'SELECT 1']);
  });

  cliIt('reads a 17 MB value that the server split across 0xFFFFFF packets', async () => {
    const r = await mariadb(s.port, 'repl', 'replpw', '--max-allowed-packet=64M', '--batch', '--skip-column-names', '-e', "SELECT REPEAT('x', 17000000)");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.length, 17_000_001);
    assert.ok(/^x+\n$/.test(r.stdout));
  });

  cliIt('shows our version (5.5.5- prefix stripped) and version_comment in the interactive banner', async () => {
    // `script` gives the client a terminal, so it runs interactively and asks @@version_comment.
    const cmd = `mariadb --no-defaults -h127.0.0.1 -P${s.port} -urepl -preplpw`;
    const r = await run('script', ['-qec', cmd, '/dev/null'], 'SELECT 1;\nquit\n');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    // libmariadb strips the "5.5.5-" compatibility prefix from a MariaDB server's version.
    assert.match(r.stdout, /Server version: 10\.11\.19-MariaDB-binrelay-log binrelay test server/);
    assert.match(r.stdout, /Your MariaDB connection id is \d+/);
    assert.ok([...s.queries.values()].some((q) => q[0] === 'select @@version_comment limit 1'));
  });
});

describe('mariadb CLI against a MySQL-flavored server (caching_sha2_password)', () => {
  let s: SampleServer;
  before(async () => {
    s = await startSampleServer({ flavor: 'mysql' });
  });
  after(() => s?.close());

  cliIt('logs in through the fast path and runs a query', async () => {
    const r = await mariadb(s.port, 'repl', 'replpw', '-e', 'SELECT 1');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '1\n1\n');
  });

  cliIt('fails a wrong password with ERROR 1045', async () => {
    const r = await mariadb(s.port, 'repl', 'wrong', '-e', 'SELECT 1');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /ERROR 1045 \(28000\): Access denied for user 'repl'@'127\.0\.0\.1' \(using password: YES\)/);
  });
});
