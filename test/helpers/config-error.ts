// The ConfigError a config call throws (fails the test when it throws nothing or something else).
import assert from 'node:assert/strict';
import { ConfigError } from '../../src/config.js';

export function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a ConfigError');
}
