// Admin bodies nested deeper than JSON_DEPTH_MAX are refused before they are parsed (api/json-depth.ts):
// the fuzz test (test/e2e/security/fuzz.test.ts) saw such bodies stall the node's event loop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAdminServer, type AdminServerOptions } from '../../../api/server.js';
import { JSON_DEPTH_MAX, jsonNestedDeeperThan } from '../../../api/json-depth.js';
import { silentLogger } from '../../../src/logger.js';

const nested = (depth: number, inner = '1'): string => `${'['.repeat(depth)}${inner}${']'.repeat(depth)}`;

test('nesting is counted over arrays and objects, never inside strings', () => {
  assert.equal(jsonNestedDeeperThan(nested(3), 3), false);
  assert.equal(jsonNestedDeeperThan(nested(4), 3), true);
  assert.equal(jsonNestedDeeperThan('{"a":{"b":[{}]}}', 4), false);
  assert.equal(jsonNestedDeeperThan('{"a":{"b":[{}]}}', 3), true);
  assert.equal(jsonNestedDeeperThan(`{"a":"${'[{'.repeat(50)}"}`, 1), false);
  assert.equal(jsonNestedDeeperThan(`{"a":"\\"${'['.repeat(50)}"}`, 1), false, 'an escaped quote does not end the string');
  assert.equal(jsonNestedDeeperThan(`["\\\\", ${nested(3)}]`, 3), true, 'an escaped backslash does');
  assert.equal(jsonNestedDeeperThan('[[', 1), true, 'unclosed counts too');
});

test(`a body nested deeper than ${JSON_DEPTH_MAX} levels is 400 BAD_JSON, the route never sees it`, async () => {
  const server = createAdminServer({ backend: {} as AdminServerOptions['backend'], logger: silentLogger });
  const send = (payload: string) => server.inject({ method: 'PUT', url: '/members', headers: { 'content-type': 'application/json' }, payload });
  const deep = await send(nested(JSON_DEPTH_MAX + 1));
  assert.equal(deep.statusCode, 400);
  assert.deepEqual(deep.json(), { message: `JSON nested deeper than ${JSON_DEPTH_MAX} levels`, error: { code: 'BAD_JSON' } });
  // Half a megabyte of nesting around a __proto__ key once took the parser 350 ms.
  const huge = await send(nested(250_000, '{"__proto__": {}}'));
  assert.equal(huge.json().error.code, 'BAD_JSON');
  // At the limit the body is parsed and reaches the route's validation.
  const atLimit = await send(nested(JSON_DEPTH_MAX));
  assert.equal(atLimit.statusCode, 400);
  assert.equal(atLimit.json().error.code, 'BAD_REQUEST');
  await server.close();
});
