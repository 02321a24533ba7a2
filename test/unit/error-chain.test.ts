// The one-line text of a failure names its root cause, not only the wrapper that caught it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errorChainText } from '../../src/error-chain.js';

test('a wrapper is followed by each cause down the chain', () => {
  const root = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  const store = new Error('raft store write failed', { cause: root });
  const node = new Error('persist failed, node stopped', { cause: store });
  assert.equal(errorChainText(node), 'persist failed, node stopped: raft store write failed: ENOSPC: no space left on device, write');
});

test('a cause the outer message already quotes is not repeated', () => {
  const root = new Error('EIO: i/o error, write');
  const outer = new Error(`applying up to entry 9 failed, node stopped: ${root.message}`, { cause: root });
  assert.equal(errorChainText(outer), 'applying up to entry 9 failed, node stopped: EIO: i/o error, write');
});

test('a non-error cause and a non-error value are written as text', () => {
  assert.equal(errorChainText(new Error('open failed', { cause: 'disk gone' })), 'open failed: disk gone');
  assert.equal(errorChainText('plain'), 'plain');
});

test('a cycle of causes ends', () => {
  const a = new Error('a');
  const b = new Error('b', { cause: a });
  (a as { cause?: unknown }).cause = b;
  assert.equal(errorChainText(b), 'b: a');
});
