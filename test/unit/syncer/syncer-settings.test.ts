// The syncer's settings: one upstream (mysql_addr) or candidates (mysql_addrs), validated by zod.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { syncerStartSchema, upstreamCandidates } from '../../../src/syncer/syncer-settings.js';

const credentials = { mysql_user: 'repl', mysql_password: 'pw' };

test('mysql_addr alone still works, with a 5 s failover time and no force', () => {
  const s = syncerStartSchema.parse({ mysql_addr: 'db1:3306', ...credentials });
  assert.deepEqual(upstreamCandidates(s), ['db1:3306']);
  assert.equal(s.failover_after_ms, 5000);
  assert.equal(s.force, false);
});

test('candidates follow mysql_addr first, then mysql_addrs in order, each once', () => {
  const s = syncerStartSchema.parse({ mysql_addr: 'db2:3306', mysql_addrs: ['db1:3306', 'db2:3306', 'db3:3306'], ...credentials });
  assert.deepEqual(upstreamCandidates(s), ['db2:3306', 'db1:3306', 'db3:3306']);
});

test('settings without any upstream, or with a bad failover time, are refused', () => {
  assert.equal(syncerStartSchema.safeParse({ ...credentials }).success, false);
  assert.equal(syncerStartSchema.safeParse({ mysql_addrs: [], ...credentials }).success, false);
  assert.equal(syncerStartSchema.safeParse({ mysql_addr: 'db1:3306', failover_after_ms: 10, ...credentials }).success, false);
  assert.equal(syncerStartSchema.safeParse({ mysql_addrs: ['not an address'], ...credentials }).success, false);
});
