import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CodecError } from '../../../raft/codec.js';
import { TermRuns } from '../../../storage/term-runs.js';
import { seededBelow } from '../../helpers/seeded-random.js';

const rng = seededBelow;

test('term runs answer the term of every index and start a run only when the term changes', () => {
  const runs = TermRuns.empty();
  assert.equal(runs.append(1, 1), true);
  assert.equal(runs.append(2, 1), false);
  assert.equal(runs.append(3, 3), true);
  assert.equal(runs.append(4, 3), false);
  assert.deepEqual(runs.toArray(), [[1, 1], [3, 3]]);
  assert.equal(runs.termAt(0), undefined);
  assert.equal(runs.termAt(2), 1);
  assert.equal(runs.termAt(3), 3);
  assert.equal(runs.termAt(1000), 3);
});

test('truncating a suffix drops the runs that start inside it', () => {
  const runs = TermRuns.empty();
  [[1, 1], [5, 2], [9, 4]].forEach(([i, t]) => runs.append(i!, t!));
  assert.equal(runs.truncateFrom(12), false);
  assert.equal(runs.truncateFrom(9), true);
  assert.deepEqual(runs.toArray(), [[1, 1], [5, 2]]);
  assert.equal(runs.truncateFrom(6), false);
  runs.append(6, 3);
  assert.deepEqual(runs.toArray(), [[1, 1], [5, 2], [6, 3]]);
  runs.truncateFrom(1);
  assert.equal(runs.length, 0);
});

test('trimming a prefix makes the run holding the new first index start there', () => {
  const runs = TermRuns.empty();
  [[1, 1], [5, 2], [9, 4]].forEach(([i, t]) => runs.append(i!, t!));
  assert.equal(runs.trimBefore(7), true);
  assert.deepEqual(runs.toArray(), [[7, 2], [9, 4]]);
  assert.equal(runs.trimBefore(7), false);
  runs.trimBefore(20);
  assert.deepEqual(runs.toArray(), [[20, 4]]);
});

test('terms never go down and runs only grow forward', () => {
  const runs = TermRuns.empty();
  runs.append(5, 3);
  assert.throws(() => runs.append(6, 2), RangeError);
  assert.throws(() => runs.append(5, 4), RangeError);
});

test('term runs match a per-index model under random appends, truncations and trims', () => {
  for (let seed = 1; seed <= 200; seed++) {
    const r = rng(seed);
    const runs = TermRuns.empty();
    const model: number[] = []; // model[i] = term of index i (index >= first)
    let first = 1;
    let term = 1;
    for (let step = 0; step < 60; step++) {
      const op = r(10);
      if (op < 6) {
        if (r(3) === 0) term += 1 + r(2);
        const n = 1 + r(5);
        for (let k = 0; k < n; k++) {
          const index = first + model.length;
          runs.append(index, term);
          model.push(term);
        }
      } else if (op < 8 && model.length > 0) {
        const cut = r(model.length);
        runs.truncateFrom(first + cut);
        model.length = cut;
        term += 1;
      } else if (model.length > 1) {
        const drop = r(model.length);
        first += drop;
        model.splice(0, drop);
        runs.trimBefore(first);
      }
      for (let k = 0; k < model.length; k++) assert.equal(runs.termAt(first + k), model[k], `seed ${seed} step ${step} index ${first + k}`);
      assert.deepEqual(TermRuns.decode(runs.encode()).toArray(), runs.toArray());
    }
  }
});

test('a decoded term-runs record must be strictly increasing', () => {
  const runs = TermRuns.empty();
  runs.append(1, 1);
  runs.append(5, 2);
  const bytes = runs.encode();
  bytes.writeUInt32BE(1, 1 + 4 + 16 + 4); // second run start := 1
  assert.throws(() => TermRuns.decode(bytes), (err: unknown) => err instanceof CodecError && err.code === 'ERR_RAFT_CODEC_CORRUPT');
});
