import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRng } from '../../../../raft/core/rng.js';

test('equal seeds give equal sequences, different seeds differ', () => {
  const a = seededRng(7);
  const b = seededRng(7);
  const c = seededRng(8);
  const sa = Array.from({ length: 20 }, () => a.nextU32());
  const sb = Array.from({ length: 20 }, () => b.nextU32());
  const sc = Array.from({ length: 20 }, () => c.nextU32());
  assert.deepEqual(sa, sb);
  assert.notDeepEqual(sa, sc);
  for (const x of sa) assert.ok(Number.isInteger(x) && x >= 0 && x < 2 ** 32);
});

test('intBelow stays in range and covers every value', () => {
  const r = seededRng(1);
  const seen = new Set<number>();
  for (let i = 0; i < 2000; i++) {
    const x = r.intBelow(10);
    assert.ok(x >= 0 && x < 10);
    seen.add(x);
  }
  assert.equal(seen.size, 10);
  assert.equal(r.intBelow(1), 0);
  assert.throws(() => r.intBelow(0), RangeError);
});
