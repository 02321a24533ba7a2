// `npm run bench`: runs every benchmark script (test/bench/*.bench.js) one after another, each in
// its own process so one's memory and caches don't colour the next. Each prints our figure beside
// the real peer's from the same run. Filter by name: `npm run bench -- codec`.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';

const here = dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
const benches = readdirSync(here)
  .filter((f) => f.endsWith('.bench.js'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();

let failed = 0;
for (const bench of benches) {
  console.log(`\n=== ${bench.replace(/\.bench\.js$/, '')} ===`);
  const result = spawnSync(process.execPath, [join(here, bench)], { stdio: 'inherit' });
  if (result.status !== 0) {
    failed++;
    console.log(`!!! ${bench} exited with ${result.status ?? result.signal}`);
  }
}
process.exit(failed === 0 ? 0 : 1);
