// A user's clone has nothing beside it: no file of the repo may reach outside it for fixtures,
// docs or tools (the design workspace next to the repo exists only where the project was written).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const SKIPPED_DIRS = new Set(['node_modules', 'dist', '.git']);
const OUTSIDE = ['..', 'shared'].join('/');

function* repoFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name)) yield* repoFiles(join(dir, entry.name));
    } else if (entry.isFile()) {
      yield join(dir, entry.name);
    }
  }
}

test('no file of the repo refers to the design workspace beside it', () => {
  const root = process.cwd();
  const offenders: string[] = [];
  let read = 0;
  for (const file of repoFiles(root)) {
    const text = readFileSync(file);
    read++;
    if (text.includes(OUTSIDE)) offenders.push(relative(root, file));
  }
  assert.ok(read > 100, `walked the repo (${read} files)`);
  assert.deepEqual(offenders, []);
});
