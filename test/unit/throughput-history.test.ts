import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ThroughputHistory } from '../../src/throughput-history.js';

test('rates are the counters\' growth per second between samples, oldest first, ten minutes kept', () => {
  let now = 1_000_000;
  const counters = { ingestedBytes: 0, servedBytes: 0 };
  const history = new ThroughputHistory(counters, () => now);
  history.sample();
  now += 5000;
  counters.ingestedBytes = 50_000;
  counters.servedBytes = 10_000;
  history.sample();
  now += 2000;
  counters.ingestedBytes = 50_000;
  counters.servedBytes = 30_000;
  history.sample();
  assert.deepEqual(history.points(), [
    { at: 1_005_000, ingest_bytes_per_s: 10_000, served_bytes_per_s: 2_000 },
    { at: 1_007_000, ingest_bytes_per_s: 0, served_bytes_per_s: 10_000 },
  ]);
  for (let i = 0; i < 500; i++) {
    now += 5000;
    history.sample();
  }
  assert.equal(history.points().length, 120);
  assert.equal(history.points().at(-1)!.at, now);
});
