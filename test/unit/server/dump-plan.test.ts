import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isLaterFile } from '../../../src/server/dump-plan.js';

describe('requests past the relay end', () => {
  it('know a later file of the same sequence from an unknown one', () => {
    assert.equal(isLaterFile('up-bin.000007', 'up-bin.000006'), true);
    assert.equal(isLaterFile('up-bin.000010', 'up-bin.000009'), true);
    assert.equal(isLaterFile('up-bin.000005', 'up-bin.000006'), false, 'an older (purged) file');
    assert.equal(isLaterFile('nope-bin.000007', 'up-bin.000006'), false, 'another sequence');
    assert.equal(isLaterFile('garbage', 'up-bin.000006'), false);
  });
});
