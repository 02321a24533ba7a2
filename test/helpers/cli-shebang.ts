// What the CLI's shebang sets for a node process (allocator env and V8 flags). Tests and benches
// that spawn `node` directly skip the shebang, so they read it from the CLI file and set the same:
// one source of truth, and a node under test runs the way `binrelay start` runs it.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The CLI file: compiled, or the TypeScript one under tsx while developing. */
export const CLI_FILE = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? '../../src/cli.ts' : '../../src/cli.js', import.meta.url));

export interface ShebangSettings {
  readonly env: Readonly<Record<string, string>>;
  readonly flags: readonly string[];
}

/** Parses `#!/usr/bin/env -S KEY=VALUE… node --flag…` at the top of `cliFile`. */
export function cliShebang(cliFile: string): ShebangSettings {
  const first = readFileSync(cliFile, 'utf8').split('\n', 1)[0]!;
  const m = /^#!\/usr\/bin\/env -S (.*)$/.exec(first);
  if (!m) throw new Error(`${cliFile} does not start with an env -S shebang: ${first}`);
  const words = m[1]!.trim().split(/\s+/);
  const at = words.indexOf('node');
  if (at < 0) throw new Error(`${cliFile}: the shebang runs no node: ${first}`);
  const assignments = words.slice(0, at);
  const bad = assignments.find((w) => w.indexOf('=') <= 0);
  if (bad !== undefined) throw new Error(`${cliFile}: '${bad}' in the shebang is no KEY=VALUE`);
  return { env: envAssignments(assignments), flags: words.slice(at + 1) };
}

/** The `KEY=VALUE` words among `words` as an env (as `env -S` and a Dockerfile's ENV read them). */
export function envAssignments(words: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const w of words) {
    const eq = w.indexOf('=');
    if (eq > 0) env[w.slice(0, eq)] = w.slice(eq + 1);
  }
  return env;
}
