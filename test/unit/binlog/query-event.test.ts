import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyQuery, parseQueryEvent, queryKindOf } from '../../../src/binlog/query-event.js';
import { parseFormatDescription } from '../../../src/binlog/format-description.js';
import { allFixtureListings, detailFields, readEventsOf } from './listing.js';

test('QUERY events decode to the database and statement the listings show', () => {
  let n = 0;
  for (const f of allFixtureListings()) {
    const events = readEventsOf(f.path);
    const fde = parseFormatDescription(events[0]!.bytes);
    f.events.forEach((listed, i) => {
      if (listed.type !== 'QUERY') return;
      const q = parseQueryEvent(events[i]!, fde);
      assert.equal(q.errorCode, 0);
      if (f.name.startsWith('mysql8')) {
        const d = detailFields(listed.detail);
        assert.equal(q.database, d.db, `${f.name} @${listed.pos}`);
        // The listing truncates long statements and folds whitespace.
        assert.ok(q.query.replace(/\s+/g, ' ').startsWith(d.q!.replace(/\s+/g, ' ').trimEnd()), `${f.name} @${listed.pos}: ${q.query}`);
      } else {
        assert.match(listed.detail, new RegExp(`thread_id=${q.threadId}\\s+exec_time=${q.execTime}\\s+error_code=0`));
      }
      n++;
    });
  }
  assert.ok(n >= 30);
});

test('BEGIN, COMMIT, ROLLBACK and XA statements are classified by the trx boundary parser rules', () => {
  assert.equal(classifyQuery('BEGIN'), 'BEGIN');
  assert.equal(classifyQuery("XA START X'616263',X'',1"), 'BEGIN');
  assert.equal(classifyQuery('COMMIT'), 'COMMIT');
  assert.equal(classifyQuery('ROLLBACK'), 'ROLLBACK');
  assert.equal(classifyQuery('rollback'), 'ROLLBACK');
  assert.equal(classifyQuery('ROLLBACK TO SAVEPOINT s1'), 'STATEMENT');
  assert.equal(classifyQuery('SAVEPOINT s1'), 'STATEMENT');
  assert.equal(classifyQuery("XA COMMIT X'616263',X'',1"), 'XA_END');
  assert.equal(classifyQuery("XA ROLLBACK X'616263',X'',1"), 'XA_END');
  assert.equal(classifyQuery("XA END X'616263',X'',1"), 'STATEMENT');
  assert.equal(classifyQuery('CREATE TABLE t (a int)'), 'STATEMENT');
  assert.equal(classifyQuery('BEGINNING'), 'STATEMENT');
  assert.equal(classifyQuery('COMMITTED'), 'STATEMENT');
});

test('queryKindOf, which decodes only the statement start, agrees with a full parse on every fixture QUERY', () => {
  for (const f of allFixtureListings()) {
    for (const ev of readEventsOf(f.path)) {
      if (ev.header.type !== 2) continue;
      assert.equal(queryKindOf(ev), parseQueryEvent(ev).kind, `${f.name} @${ev.offset}`);
    }
  }
});
