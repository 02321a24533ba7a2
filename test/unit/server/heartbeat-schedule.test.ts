import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { HeartbeatSchedule, heartbeatPeriodMs } from '../../../src/server/heartbeat-schedule.js';

describe('heartbeat scheduling', () => {
  it('takes the period in nanoseconds, as replicas set it, and 0 as none', () => {
    assert.equal(heartbeatPeriodMs(2_000_000_000n), 2000);
    assert.equal(heartbeatPeriodMs(30_000_001_024n), 30000, "a replica's default (slave_net_timeout/2)");
    assert.equal(heartbeatPeriodMs(1_000n), 1, 'never below a millisecond');
    assert.equal(heartbeatPeriodMs(0n), null);
    assert.equal(heartbeatPeriodMs(-5n), null);
    assert.equal(heartbeatPeriodMs(10n ** 20n), 0x7fffffff);
  });

  it('is due one period after the last thing sent, and sending restarts the wait', () => {
    const s = new HeartbeatSchedule(500_000_000n, 1000);
    assert.equal(s.dueIn(1000), 500);
    assert.equal(s.isDue(1499), false);
    assert.equal(s.isDue(1500), true);
    s.activity(1400); // events went out
    assert.equal(s.dueIn(1500), 400);
    s.activity(1900); // a heartbeat went out
    assert.equal(s.dueIn(2000), 400);
    assert.equal(s.dueIn(5000), 0, 'never negative');
  });

  it('never falls due without a period', () => {
    const s = new HeartbeatSchedule(0n, 0);
    assert.equal(s.dueIn(10 ** 9), null);
    assert.equal(s.isDue(10 ** 9), false);
  });
});
