import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CliUsageError, parseCli, replayCommand } from './cli.js';

test('defaults and explicit options', () => {
  assert.deepEqual(parseCli(['--seed-start', '7']), { seedStart: 7, seeds: 1, steps: 3000, nodes: undefined, verbose: false, lyingFsync: false, heavy: false });
  assert.deepEqual(parseCli(['--seed-start', '1', '--seeds', '10', '--steps', '500', '--nodes', '5', '--verbose']),
    { seedStart: 1, seeds: 10, steps: 500, nodes: 5, verbose: true, lyingFsync: false, heavy: false });
});

test('bad values are usage errors', () => {
  for (const argv of [['--seeds', '0'], ['--steps', 'x'], ['--nodes', '4'], ['--seed-start', '-1'], ['--bogus']]) {
    assert.throws(() => parseCli(argv), CliUsageError);
  }
});

test('the replay command reproduces the run options', () => {
  assert.equal(replayCommand(42, { steps: 800, nodes: 3, lyingFsync: false, heavy: false }), 'npm run sim -- --seed-start 42 --seeds 1 --steps 800 --nodes 3');
  assert.equal(replayCommand(42, { steps: 800, nodes: undefined, lyingFsync: true, heavy: true }), 'npm run sim -- --seed-start 42 --seeds 1 --steps 800 --lying-fsync --heavy');
});
