// `binrelay start --help` is generated from the config schema: every key of the schema is in it
// with a description, and each environment variable it names is the one config loading reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { configSchema, envValues } from '../../src/config.js';
import { configKeyDocs } from '../../src/config-help.js';

const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));

/** Every key of the schema, nested ones dotted, walked here apart from the help's own walk. */
function schemaKeys(shape: Record<string, z.ZodType>, prefix = ''): string[] {
  const keys: string[] = [];
  for (const [name, schema] of Object.entries(shape)) {
    let inner: z.ZodType = schema;
    while (inner instanceof z.ZodOptional || inner instanceof z.ZodDefault) inner = inner.unwrap() as z.ZodType;
    keys.push(`${prefix}${name}`);
    if (inner instanceof z.ZodObject) keys.push(...schemaKeys(inner.shape as Record<string, z.ZodType>, `${prefix}${name}.`));
  }
  return keys;
}

const help = execFileSync(process.execPath, [CLI, 'start', '--help'], { encoding: 'utf8' });
const docs = configKeyDocs();

test('start --help lists every key of the config schema with its flag, environment variable and description', () => {
  const keys = schemaKeys(configSchema.shape);
  assert.ok(keys.includes('binlog-server.tls.cert') && keys.includes('advertise-admin-addr'), keys.join(' '));
  assert.deepEqual(docs.map((d) => d.key), keys);
  for (const doc of docs) {
    assert.ok(doc.description.length > 10, `${doc.key} has a description (.describe or key() in src/config.ts)`);
    if (doc.section) {
      assert.ok(help.includes(`${doc.key}: ${doc.description}`), `section ${doc.key} in the help`);
      continue;
    }
    const line = help.split('\n').find((l) => l.trimStart().startsWith(`${doc.flag} `));
    assert.ok(line, `${doc.flag} is in the help`);
    assert.ok(line.includes(doc.env) && line.includes(doc.value), `${doc.flag}: ${line}`);
  }
});

test('each environment variable the help names sets its key in config loading', () => {
  for (const doc of docs.filter((d) => !d.section)) {
    const expected: Record<string, unknown> = {};
    let at = expected;
    const parts = doc.key.split('.');
    for (const part of parts.slice(0, -1)) at = (at[part] = {}) as Record<string, unknown>;
    at[parts[parts.length - 1]!] = 'x';
    assert.deepEqual(envValues({ [doc.env]: 'x' }), expected, doc.env);
  }
});

test('the help shows defaults as they are written, the secrets as secrets, and what existing means', () => {
  const byKey = new Map(docs.map((d) => [d.key, d]));
  assert.equal(byKey.get('admin-request-timeout')!.default, '30s');
  assert.equal(byKey.get('raft-log-retain.bytes')!.default, '256MiB');
  assert.equal(byKey.get('binlog-server.wait-timeout')!.default, '8h');
  assert.equal(byKey.get('initial-cluster-state')!.value, 'new|existing');
  assert.deepEqual(docs.filter((d) => d.secret).map((d) => d.key), ['cluster-token', 'admin-token', 'binlog-server.password']);
  assert.match(help, /--cluster-token SECRET +BINRELAY_CLUSTER_TOKEN \(a secret: set it there or in the --config file, not as a flag\)/);
  assert.match(help, /existing: a\s+node added to a running cluster \(POST \/members first/);
});
