// log-format pretty (src/pretty-log-stream.ts): one readable line per JSON log line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/logger.js';
import { prettyLine } from '../../src/pretty-log-stream.js';

test('time, level, node, event and message lead; other fields follow as key=value; an error stack is indented below', () => {
  const line = prettyLine(JSON.stringify({ level: 40, time: '2026-12-05T06:33:00.123Z', node: 'n1', event: 'syncer.reconnect', msg: 'reconnecting', attempt: 2, peers: [1, 2], err: { message: 'boom', stack: 'Error: boom\n    at x' } }));
  assert.equal(line, '06:33:00.123 WARN  n1 syncer.reconnect reconnecting  attempt=2 peers=[1,2]\n    Error: boom\n        at x\n');
  assert.equal(prettyLine('not json'), 'not json\n');
});

test('a pretty logger still redacts secrets', () => {
  let out = '';
  const sink = new Writable({ write(chunk: Buffer, _e, done) { out += chunk.toString(); done(); } });
  const logger = createLogger('info', 'n1', sink, 'pretty');
  logger.info({ event: 'x.y', password: 'hunter2', settings: { mysql_password: 'pw2' } }, 'hello');
  assert.match(out, /^\d\d:\d\d:\d\d\.\d{3} INFO {2}n1 x\.y hello {2}password=\*\*\* settings=\{"mysql_password":"\*\*\*"\}\n$/);
});
