// A statement longer than MAX_STATEMENT_CHARS is refused before it is lexed: the fuzz test
// (test/e2e/security/fuzz.test.ts) saw the node's event loop stall on long COM_QUERY texts, and a
// 16 MiB literal (within max_allowed_packet) took 3.5 s to lex.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { answerQuery, type ResponderContext } from '../../../src/server/query-responder.js';
import { MAX_STATEMENT_CHARS } from '../../../src/server/session-limits.js';
import { responderContext } from '../../helpers/responder-context.js';

/** What SET and SELECT of literals use; anything else would throw. */
function context(): ResponderContext {
  const unused = (): never => {
    throw new Error('not used by these statements');
  };
  return responderContext({
    binaryLogs: unused, replicaHosts: unused, processes: unused, kill: unused, binlogGtidPos: unused, binlogEvents: unused, purgeBinaryLogs: unused,
    dumpsReading: unused, counters: unused, now: () => new Date(0),
  });
}

test('a statement of MAX_STATEMENT_CHARS is answered; one character more is ER_TOO_LONG_STRING, unread', async () => {
  const padded = (n: number): string => `SET @a = 1${' '.repeat(n - 'SET @a = 1'.length)}`;
  const ctx = context();
  assert.deepEqual(await answerQuery(padded(MAX_STATEMENT_CHARS), ctx), { kind: 'ok' });
  assert.deepEqual(await answerQuery(padded(MAX_STATEMENT_CHARS + 1), ctx), {
    kind: 'error', code: 1162, sqlState: '42000', message: "Result string is longer than 'max_allowed_packet' bytes",
  });
  const warnings = await answerQuery('SHOW WARNINGS', ctx);
  assert.ok(warnings.kind === 'rows');
  assert.deepEqual(warnings.rows, [['Error', 1162, "Result string is longer than 'max_allowed_packet' bytes"]]);
});

test('a 16 MiB statement is refused without lexing it (no event-loop stall)', async () => {
  const big = 16 * 1024 * 1024 - 32;
  for (const sql of [`SELECT '${'\\n'.repeat(big / 2)}'`, `SELECT 1${' '.repeat(big)}`, `SELECT \`${'a'.repeat(big)}\``]) {
    const started = performance.now();
    const answer = await answerQuery(sql, context());
    const ms = performance.now() - started;
    assert.equal(answer.kind === 'error' && answer.code, 1162);
    assert.ok(ms < 200, `answered in ${ms.toFixed(0)} ms (lexing took 0.5 to 3.5 s)`);
  }
});
