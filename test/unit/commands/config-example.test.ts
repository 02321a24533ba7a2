// `binrelay config example` and `binrelay --version`, run as the compiled CLI: the example is a
// config `binrelay start` loads, and it names every key of the config schema.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configSchema, loadConfig } from '../../../src/config.js';

const CLI = fileURLToPath(new URL('../../../src/cli.js', import.meta.url));
const PACKAGE = fileURLToPath(new URL('../../../../package.json', import.meta.url));

function cli(args: string[]): string {
  return execFileSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
}

test('config example prints a commented YAML config that loads as it is', () => {
  const example = cli(['config', 'example']);
  assert.match(example, /^# /m);
  const dir = mkdtempSync(join(tmpdir(), 'binrelay-example-'));
  try {
    writeFileSync(join(dir, 'binrelay.yaml'), example);
    const config = loadConfig(['--config', join(dir, 'binrelay.yaml')], {});
    assert.equal(config.name, 'node1');
    assert.equal(config.adminAddr, '127.0.0.1:9595');
    assert.deepEqual(config.notes, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('config example names every key of the config schema, set or commented out', () => {
  const example = cli(['config', 'example']);
  for (const key of Object.keys(configSchema.shape)) {
    assert.match(example, new RegExp(`^#? ?${key.replace(/[.-]/g, '\\$&')}:`, 'm'), `${key} is missing from the example`);
  }
});

test('--version prints the version of package.json', () => {
  const { version } = JSON.parse(readFileSync(PACKAGE, 'utf8')) as { version: string };
  assert.equal(cli(['--version']), `binrelay ${version}\n`);
});
