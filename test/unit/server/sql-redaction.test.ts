import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { REDACTED_SQL_CHARS, redactSql } from '../../../src/server/sql-redaction.js';

function timed<T>(fn: () => T): { value: T; ms: number } {
  const started = process.hrtime.bigint();
  const value = fn();
  return { value, ms: Number(process.hrtime.bigint() - started) / 1e6 };
}

describe('redactSql', () => {
  it('blanks every quoted literal, with escapes and doubled quotes inside', () => {
    assert.equal(redactSql("SET @pw = 'se''cr\\'et', @x = \"a\\\"b\""), 'SET @pw = ?, @x = ?');
    assert.equal(redactSql('SELECT @@server_id'), 'SELECT @@server_id');
  });

  it(`keeps the first ${REDACTED_SQL_CHARS} characters and blanks a literal the cut leaves open`, () => {
    const sql = `SET @x = '${'s'.repeat(500)}'`;
    assert.equal(redactSql(sql), 'SET @x = ?');
    assert.equal(redactSql(`SELECT ${'1,'.repeat(300)}1`).length, REDACTED_SQL_CHARS);
  });

  it("takes a few ms for a 128 KB unterminated '\\'\\'… statement (no quadratic regex over the whole text)", () => {
    const sql = `SELECT '${"\\'".repeat(64 * 1024)}`;
    const { value, ms } = timed(() => redactSql(sql));
    assert.equal(value, 'SELECT ?');
    assert.ok(ms < 50, `took ${ms.toFixed(1)} ms`);
  });
});
