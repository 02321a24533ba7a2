import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/logger.js';
import { recentProblems } from '../../src/recent-problems.js';

const sink = (): Writable => new Writable({ write: (_chunk, _enc, done) => done() });

test('warnings and errors a logger writes are kept as event, message and time only, newest first', () => {
  const log = createLogger('info', 'n1', sink());
  log.info({ event: 'syncer.started' }, 'syncer started');
  log.warn({ event: 'syncer.error', mysql_password: 'secret-pw', error: 'ECONNREFUSED' }, 'syncer lost the upstream');
  log.error({ event: 'node.failed' }, 'node failed: EIO');
  const [newest, previous] = recentProblems();
  assert.equal(newest!.event, 'node.failed');
  assert.equal(newest!.level, 'error');
  assert.equal(newest!.message, 'node failed: EIO');
  assert.equal(previous!.event, 'syncer.error');
  assert.equal(previous!.level, 'warn');
  assert.ok(!JSON.stringify(recentProblems()).includes('secret-pw'));
  assert.ok(!recentProblems().some((p) => p.event === 'syncer.started'), 'info lines are not problems');
  for (let i = 0; i < 80; i++) log.warn({ event: 'flood' }, `line ${i}`);
  assert.equal(recentProblems().length, 50);
  assert.equal(recentProblems()[0]!.message, 'line 79');
});
