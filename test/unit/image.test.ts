// The Dockerfile and .dockerignore, read for the facts the image depends on (no docker daemon is
// needed): a non-root user, a HEALTHCHECK through the CLI's own health command, a final stage that
// holds the compiled relay and everything it imports but no tests, a base image whose Node satisfies
// package.json's engines, and a build context without dependencies, builds, history or secrets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliShebang, envAssignments } from '../helpers/cli-shebang.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DIST = join(ROOT, 'dist');
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const finalStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
const instructions = (stage: string, name: string): string[] =>
  stage.split('\n').filter((line) => line.startsWith(`${name} `)).map((line) => line.slice(name.length + 1).trim());

/** Every compiled module `entry` loads, static and dynamic imports followed. */
function importGraph(entry: string): Set<string> {
  const seen = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from |import\(|import )'(\.{1,2}\/[^']+)'/g)) queue.push(resolve(dirname(file), m[1]!));
  }
  return seen;
}

test('the final stage runs as a non-root user with a HEALTHCHECK through `binrelay health`', () => {
  const [user] = instructions(finalStage, 'USER');
  assert.ok(user !== undefined && !['root', '0'].includes(user), `USER ${user}`);
  const [healthcheck] = instructions(finalStage, 'HEALTHCHECK');
  assert.ok(healthcheck, 'a HEALTHCHECK');
  const cmd = JSON.parse(/CMD (\[.*\])$/.exec(healthcheck)![1]!) as string[];
  assert.deepEqual(cmd.slice(0, 3), ['node', 'dist/src/cli.js', 'health']);
  assert.match(readFileSync(join(DIST, 'src/cli.js'), 'utf8'), /case 'health':/);
});

test('the final stage copies the compiled relay and all it imports, and no tests', () => {
  const copied = instructions(finalStage, 'COPY').map((args) => args.split(/\s+/).at(-2)!.replace('/app/', ''));
  assert.ok(!copied.some((from) => /test|^dist$|^\.$/.test(from)), `copied: ${copied.join(' ')}`);
  const distDirs = copied.filter((from) => from.startsWith('dist/'));
  for (const file of importGraph(join(DIST, 'src/cli.js'))) {
    const rel = relative(ROOT, file);
    assert.ok(distDirs.some((dir) => rel.startsWith(`${dir}/`)), `${rel} is imported at run time but not copied into the image`);
  }
  assert.ok(copied.includes('package.json'), 'package.json (the version) is copied');
});

test("the base image's Node satisfies package.json's engines; build and run on the same image", () => {
  const bases = instructions(dockerfile, 'FROM').map((args) => args.split(/\s+/)[0]!);
  assert.equal(new Set(bases).size, 1, bases.join(', '));
  const major = Number(/^node:(\d+)-/.exec(bases[0]!)?.[1]);
  const engines = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
  const min = /^>=(\d+)(?:\.(\d+))?$/.exec(engines);
  assert.ok(min, `engines.node ${engines} is a plain lower bound`);
  assert.ok(major > Number(min[1]), `node:${major} satisfies ${engines}`);
  assert.ok(major % 2 === 0, 'an LTS line (even major)');
});

test('.dockerignore keeps dependencies, builds, history, test data and secrets out of the build context', () => {
  const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  for (const entry of ['node_modules', 'dist', '.git', 'data', 'test/fixtures', '.env', '*.env', '*.key']) {
    assert.ok(ignored.includes(entry), `${entry} is ignored`);
  }
  for (const copied of instructions(dockerfile, 'COPY').filter((args) => !args.startsWith('--from'))) {
    for (const source of copied.split(/\s+/).slice(0, -1)) assert.ok(existsSync(join(ROOT, source)) && !ignored.includes(source), `COPY ${source}`);
  }
});

test("the final stage runs node with the CLI shebang's allocator env and V8 flags", () => {
  const shebang = cliShebang(join(ROOT, 'src/cli.ts'));
  assert.ok(Object.keys(shebang.env).length > 0, 'the shebang sets an env');
  const env = envAssignments(instructions(finalStage, 'ENV').flatMap((args) => args.split(/\s+/)));
  for (const [key, value] of Object.entries(shebang.env)) assert.equal(env[key], value, `ENV ${key}`);
  const [entrypoint] = instructions(finalStage, 'ENTRYPOINT');
  const argv = JSON.parse(entrypoint!) as string[];
  assert.deepEqual(argv.slice(0, 1 + shebang.flags.length), ['node', ...shebang.flags]);
});
