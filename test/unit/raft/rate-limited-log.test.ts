import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RateLimitedLog } from '../../../raft/rate-limited-log.js';

test('at most N lines a minute; the next line written carries how many were dropped', () => {
  let now = 0;
  const log = new RateLimitedLog(3, () => now);
  const written = [];
  for (let i = 0; i < 100; i++) {
    const take = log.take();
    if (take) written.push(take.suppressed);
  }
  assert.deepEqual(written, [0, 0, 0]);
  now = 59_999;
  assert.equal(log.take(), null);
  now = 60_000;
  assert.deepEqual(log.take(), { suppressed: 98 });
  assert.deepEqual(log.take(), { suppressed: 0 });
});

test('a count still owed is handed to a summary once, then reset', () => {
  const log = new RateLimitedLog(1, () => 0);
  log.take();
  log.take();
  log.take();
  assert.equal(log.takeSuppressed(), 2);
  assert.equal(log.takeSuppressed(), 0);
});
