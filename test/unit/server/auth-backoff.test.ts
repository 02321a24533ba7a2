import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AuthBackoff, DEFAULT_AUTH_BACKOFF } from '../../../src/server/auth-backoff.js';

describe('AuthBackoff', () => {
  it('lets the first failures through, then doubles the block with each failure up to the ceiling', () => {
    let now = 0;
    const b = new AuthBackoff(DEFAULT_AUTH_BACKOFF, () => now);
    assert.deepEqual([b.failed('a'), b.failed('a'), b.failed('a')], [0, 0, 0]);
    assert.equal(b.failed('a'), 1000);
    assert.equal(b.blockedFor('a'), 1000);
    assert.equal(b.blockedFor('b'), 0, 'per address');
    now += 1000;
    assert.equal(b.blockedFor('a'), 0);
    assert.equal(b.failed('a'), 2000);
    for (let i = 0; i < 20; i++) b.failed('a');
    assert.equal(b.failed('a'), 60_000);
  });

  it('forgets an address after a login or a quiet period', () => {
    let now = 0;
    const b = new AuthBackoff(DEFAULT_AUTH_BACKOFF, () => now);
    for (let i = 0; i < 4; i++) b.failed('a');
    b.succeeded('a');
    assert.equal(b.blockedFor('a'), 0);
    assert.equal(b.failed('a'), 0);
    for (let i = 0; i < 3; i++) b.failed('a');
    now += DEFAULT_AUTH_BACKOFF.forgetAfterMs;
    assert.equal(b.failures('a'), 0);
    assert.equal(b.failed('a'), 0, 'starts over');
  });

  it('tracks a bounded number of addresses', () => {
    const b = new AuthBackoff({ ...DEFAULT_AUTH_BACKOFF, maxTracked: 2, freeFailures: 0 });
    b.failed('a');
    b.failed('b');
    b.failed('c');
    assert.equal(b.blockedFor('a'), 0, 'the least recent failure is forgotten');
    assert.ok(b.blockedFor('c') > 0);
  });
});
