import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SystemClock } from '../../../raft/clock.js';

test('the system clock is monotonic and its timers fire and cancel', async () => {
  const clock = new SystemClock();
  const t0 = clock.nowMs();
  let ticks = 0;
  const stopTicks = clock.every(5, () => ticks++);
  let fired = false;
  let cancelledFired = false;
  clock.after(10, () => {
    fired = true;
  });
  const cancel = clock.after(10, () => {
    cancelledFired = true;
  });
  cancel();
  await new Promise((r) => setTimeout(r, 60));
  stopTicks();
  const seen = ticks;
  await new Promise((r) => setTimeout(r, 20));
  assert.ok(seen >= 3, `ticked ${seen} times`);
  assert.equal(ticks, seen, 'no tick after stop');
  assert.equal(fired, true);
  assert.equal(cancelledFired, false);
  assert.ok(clock.nowMs() - t0 >= 60);
  assert.throws(() => clock.every(0, () => undefined), RangeError);
});
