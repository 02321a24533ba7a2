import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAddress } from '../../../raft/transport.js';

test('peer addresses are host:port or [ipv6]:port', () => {
  assert.deepEqual(parseAddress('127.0.0.1:9696'), { host: '127.0.0.1', port: 9696 });
  assert.deepEqual(parseAddress('relay-2.internal:0'), { host: 'relay-2.internal', port: 0 });
  assert.deepEqual(parseAddress('[::1]:9696'), { host: '::1', port: 9696 });
  for (const bad of ['127.0.0.1', ':9696', '::1:9696', 'host:70000', 'host:port']) {
    assert.throws(() => parseAddress(bad), RangeError, bad);
  }
});
