import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimRandom } from './prng.js';

const draw = (r: SimRandom, n: number): number[] => Array.from({ length: n }, () => r.nextU32());

test('a (seed, label) stream replays exactly', () => {
  assert.deepEqual(draw(new SimRandom(42, 'network'), 20), draw(new SimRandom(42, 'network'), 20));
});

test('sub-streams are independent: other labels and seeds differ, and drawing from one does not move another', () => {
  const a = draw(new SimRandom(42, 'network'), 20);
  assert.notDeepEqual(a, draw(new SimRandom(42, 'disk'), 20));
  assert.notDeepEqual(a, draw(new SimRandom(43, 'network'), 20));
  const root = new SimRandom(42, 'root');
  const net = root.stream('network');
  draw(root.stream('disk'), 1000);
  assert.deepEqual(draw(net, 20), a);
});

test('distributions stay in range', () => {
  const r = new SimRandom(1, 'ranges');
  for (let k = 0; k < 2000; k++) {
    const i = r.intBelow(7);
    assert.ok(Number.isInteger(i) && i >= 0 && i < 7);
    const b = r.intBetween(3, 5);
    assert.ok(b >= 3 && b <= 5);
    const f = r.float();
    assert.ok(f >= 0 && f < 1);
    assert.ok(r.exponential(2) >= 0);
  }
  assert.equal(r.chance(0), false);
  assert.equal(r.chance(1), true);
  assert.throws(() => r.pick([]), RangeError);
});

test('exponential has roughly the requested mean; shuffle is a permutation', () => {
  const r = new SimRandom(9, 'stats');
  let sum = 0;
  for (let k = 0; k < 20000; k++) sum += r.exponential(5);
  assert.ok(Math.abs(sum / 20000 - 5) < 0.25, `mean ${sum / 20000}`);
  const items = [1, 2, 3, 4, 5, 6, 7, 8];
  assert.deepEqual(r.shuffle(items).sort((x, y) => x - y), items);
});
