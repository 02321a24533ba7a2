import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { FloodGuardedLog } from '../../../src/server/flood-guarded-log.js';

function capture(): { lines: Record<string, unknown>[]; logger: pino.Logger } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: pino({ level: 'info' }, sink) };
}

describe('FloodGuardedLog', () => {
  it('writes at most N lines per event per minute and reports the rest as suppressed', async () => {
    let now = 0;
    const { lines, logger } = capture();
    const log = new FloodGuardedLog(logger, 3, () => now);
    for (let i = 0; i < 10; i++) log.write('warn', { event: 'server.protocol.error', i }, 'x');
    log.write('warn', { event: 'server.auth.failed' }, 'y');
    now += 60_000;
    log.write('warn', { event: 'server.protocol.error', i: 10 }, 'x');
    for (let i = 0; i < 5; i++) log.write('warn', { event: 'server.protocol.error' }, 'x');
    log.flush();
    await new Promise((r) => setImmediate(r));
    const protocol = lines.filter((l) => l.event === 'server.protocol.error');
    assert.deepEqual(protocol.map((l) => l.i), [0, 1, 2, 10, undefined, undefined], '3 a minute');
    assert.equal(protocol[3]!.suppressed, 7, 'the first line of the next minute counts what was dropped');
    assert.equal(protocol[4]!.suppressed, undefined);
    assert.equal(lines.filter((l) => l.event === 'server.auth.failed').length, 1, 'each event has its own budget');
    const summary = lines.find((l) => l.event === 'server.log.suppressed');
    assert.deepEqual([summary?.of, summary?.suppressed], ['server.protocol.error', 3]);
  });
});
