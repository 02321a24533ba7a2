import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LikePattern, MAX_LIKE_PATTERN_LENGTH } from '../../../src/server/like-pattern.js';
import { answerQuery } from '../../../src/server/query-responder.js';
import { responderContext } from '../../helpers/responder-context.js';

function like(pattern: string, text: string): boolean {
  const p = LikePattern.compile(pattern);
  assert.ok(p, `pattern ${pattern} compiles`);
  return p.matches(text);
}

describe('LIKE patterns', () => {
  it('match case-insensitively with % and _ and honour escapes', () => {
    assert.ok(like('SERVER_ID', 'server_id'));
    assert.ok(like('gtid%', 'gtid_binlog_pos'));
    assert.ok(!like('gtid\\_mode', 'gtidXmode'));
    assert.ok(like('gtid\\_mode', 'gtid_mode'));
    assert.ok(!like('rpl_semi_sync_master_enabled', 'server_id'));
  });

  it('follow SQL LIKE on the edge cases', () => {
    assert.ok(like('', ''));
    assert.ok(!like('', 'a'));
    assert.ok(like('%', ''));
    assert.ok(like('%%', 'anything'));
    assert.ok(!like('_', ''));
    assert.ok(like('_', 'é'), '_ is one character, not one UTF-16 unit');
    assert.ok(like('a%b%c', 'aXXbYYc'));
    assert.ok(like('a%b%c', 'abbbcc'));
    assert.ok(!like('a%b%c', 'acb'));
    assert.ok(like('%ab', 'aab'), 'a run gives back characters it took');
    assert.ok(like('%a_c%', 'xxabcx'));
    assert.ok(!like('%a_c', 'xxabcx'));
    assert.ok(like('100\\%', '100%'));
    assert.ok(!like('100\\%', '1000'));
    assert.ok(like('a\\', 'a\\'), 'a trailing backslash is literal');
    assert.ok(like('\\a', 'a'), 'an escaped ordinary character is itself');
    assert.ok(like('GTID%POS', 'gtid_binlog_pos'));
  });

  it('answers 30 % signs followed by a character that never matches within a few ms (no backtracking blow-up)', async () => {
    const pattern = `${'%'.repeat(30)}!`;
    const started = process.hrtime.bigint();
    const answer = await answerQuery(`SHOW VARIABLES LIKE '${pattern}'`, responderContext());
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    assert.equal(answer.kind, 'rows');
    assert.deepEqual(answer.kind === 'rows' ? answer.rows : null, []);
    assert.ok(ms < 50, `took ${ms.toFixed(1)} ms`);
  });

  it('stays linear on a long adversarial pattern and name', () => {
    const p = LikePattern.compile(`${'%a'.repeat(500)}!`)!;
    const started = process.hrtime.bigint();
    assert.equal(p.matches('a'.repeat(64)), false);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    assert.ok(ms < 20, `took ${ms.toFixed(1)} ms`);
  });

  it(`does not compile a pattern longer than ${MAX_LIKE_PATTERN_LENGTH} characters`, () => {
    assert.equal(LikePattern.compile('%'.repeat(MAX_LIKE_PATTERN_LENGTH + 1)), null);
    assert.ok(LikePattern.compile('%'.repeat(MAX_LIKE_PATTERN_LENGTH)));
  });
});
