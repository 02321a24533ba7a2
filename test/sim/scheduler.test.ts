import { test } from 'node:test';
import assert from 'node:assert/strict';
import { drainMicrotasks, Scheduler } from './scheduler.js';

test('events run in (time, scheduling order) order and time never goes back', () => {
  const s = new Scheduler();
  const ran: string[] = [];
  s.at(5, 'c', () => ran.push('c'));
  s.at(1, 'a', () => ran.push('a'));
  s.at(5, 'd', () => ran.push('d'));
  s.at(1, 'b', () => {
    ran.push('b');
    s.after(0, 'b2', () => ran.push('b2'));
  });
  let last = 0;
  while (s.step() !== null) {
    assert.ok(s.nowMs >= last);
    last = s.nowMs;
  }
  assert.deepEqual(ran, ['a', 'b', 'b2', 'c', 'd']);
  assert.equal(s.nowMs, 5);
});

test('cancelled events never run; pending counts live events', () => {
  const s = new Scheduler();
  const ran: string[] = [];
  const x = s.after(2, 'x', () => ran.push('x'));
  s.after(3, 'y', () => ran.push('y'));
  assert.equal(s.pending, 2);
  s.cancel(x);
  s.cancel(x);
  assert.equal(s.pending, 1);
  assert.equal(s.peekMs(), 3);
  while (s.step() !== null);
  assert.deepEqual(ran, ['y']);
  assert.equal(s.peekMs(), null);
});

test('scheduling in the past is refused', () => {
  const s = new Scheduler();
  s.at(10, 'later', () => undefined);
  s.step();
  assert.throws(() => s.at(5, 'past', () => undefined), { code: 'SIM_SCHEDULER' });
});

test('drainMicrotasks lets promise chains started by an event finish', async () => {
  const s = new Scheduler();
  const seen: number[] = [];
  s.at(1, 'chain', () => {
    void Promise.resolve().then(() => seen.push(1)).then(() => Promise.resolve(2)).then((v) => seen.push(v));
  });
  s.step();
  assert.deepEqual(seen, []);
  await drainMicrotasks();
  assert.deepEqual(seen, [1, 2]);
});
