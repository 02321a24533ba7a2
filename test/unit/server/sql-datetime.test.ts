import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateTime, readSqlDatetime, shiftDate, type TimeExpr } from '../../../src/server/sql-datetime.js';

function instant(text: string, source: 'string' | 'number' = 'string'): string | null {
  const r = readSqlDatetime(text, source);
  return r.kind === 'datetime' ? r.date.toISOString() : null;
}

const NOW = new Date('2026-11-23T10:00:00.750Z');

function at(text: string): TimeExpr {
  return { base: { kind: 'string', text }, shifts: [] };
}

describe('datetime literals as MariaDB reads them (UTC)', () => {
  it('reads the delimited forms: date only, hours only, minutes, seconds, fractions, T, any punctuation', () => {
    assert.equal(instant('2026-12-04 10:00:00'), '2026-12-04T10:00:00.000Z');
    assert.equal(instant('2026-12-04'), '2026-12-04T00:00:00.000Z');
    assert.equal(instant('2026-12-04 10'), '2026-12-04T10:00:00.000Z');
    assert.equal(instant('2026-12-04 10:30'), '2026-12-04T10:30:00.000Z');
    assert.equal(instant('2026-12-04T10:30:15.125'), '2026-12-04T10:30:15.125Z');
    assert.equal(instant('2026/12/4 1.2.3'), '2026-12-04T01:02:03.000Z');
    assert.equal(instant('  2026-12-04  10:00:00  '), '2026-12-04T10:00:00.000Z');
  });

  it('reads two-digit years as the server does: 00–69 are 20xx, 70–99 19xx', () => {
    assert.equal(instant('26-12-04'), '2026-12-04T00:00:00.000Z');
    assert.equal(instant('70-01-01'), '1970-01-01T00:00:00.000Z');
  });

  it('reads compact digits by their count, as strings and numbers', () => {
    assert.equal(instant('20261204100000'), '2026-12-04T10:00:00.000Z');
    assert.equal(instant('20261204'), '2026-12-04T00:00:00.000Z');
    assert.equal(instant('261204'), '2026-12-04T00:00:00.000Z');
    assert.equal(instant('261204100000'), '2026-12-04T10:00:00.000Z');
    assert.equal(instant('20261204100000.5', 'number'), '2026-12-04T10:00:00.500Z');
    assert.equal(instant('2026', 'number'), null);
  });

  it('refuses what is not a date or names no real day or time', () => {
    for (const text of ['garbage', '', '2026-02-30', '2026-00-10', '2026-13-01', '2026-12-04 25:00:00', '2026-12-04 10:60', '2026-12', '12:00:00', '2026']) {
      assert.deepEqual(readSqlDatetime(text), { kind: 'invalid' }, text);
    }
    assert.equal(instant('2024-02-29'), '2024-02-29T00:00:00.000Z');
  });

  it('reads the zero date as its own value, and marks what it ignored', () => {
    assert.deepEqual(readSqlDatetime('0000-00-00 00:00:00'), { kind: 'zero' });
    assert.deepEqual(readSqlDatetime('0000-00-00'), { kind: 'zero' });
    const garbage = readSqlDatetime('2026-12-04 10:00:00 +01:00');
    assert.ok(garbage.kind === 'datetime' && garbage.truncated === 'Warning' && garbage.hasTime);
    assert.equal(garbage.date.toISOString(), '2026-12-04T10:00:00.000Z', 'the offset is ignored');
    const dateOnly = readSqlDatetime('2026-12-04xyz');
    assert.ok(dateOnly.kind === 'datetime' && dateOnly.truncated === 'Warning' && !dateOnly.hasTime);
    const nanos = readSqlDatetime('2026-12-04 10:00:00.123456789');
    assert.ok(nanos.kind === 'datetime' && nanos.truncated === 'Note');
  });
});

describe('INTERVAL arithmetic', () => {
  const d = new Date('2026-03-31T12:00:00Z');

  it('moves by fixed units', () => {
    assert.equal(shiftDate(d, { sign: -1, amount: 90, unit: 'SECOND' })?.toISOString(), '2026-03-31T11:58:30.000Z');
    assert.equal(shiftDate(d, { sign: -1, amount: 15, unit: 'MINUTE' })?.toISOString(), '2026-03-31T11:45:00.000Z');
    assert.equal(shiftDate(d, { sign: 1, amount: 12, unit: 'HOUR' })?.toISOString(), '2026-04-01T00:00:00.000Z');
    assert.equal(shiftDate(d, { sign: -1, amount: 7, unit: 'DAY' })?.toISOString(), '2026-03-24T12:00:00.000Z');
    assert.equal(shiftDate(d, { sign: -1, amount: 2, unit: 'WEEK' })?.toISOString(), '2026-03-17T12:00:00.000Z');
  });

  it('moves by calendar units, clamping the day to the target month', () => {
    assert.equal(shiftDate(d, { sign: -1, amount: 1, unit: 'MONTH' })?.toISOString(), '2026-02-28T12:00:00.000Z');
    assert.equal(shiftDate(d, { sign: 1, amount: 1, unit: 'QUARTER' })?.toISOString(), '2026-06-30T12:00:00.000Z');
    assert.equal(shiftDate(new Date('2024-02-29T00:00:00Z'), { sign: 1, amount: 1, unit: 'YEAR' })?.toISOString(), '2025-02-28T00:00:00.000Z');
    assert.equal(shiftDate(d, { sign: -1, amount: 13, unit: 'MONTH' })?.toISOString(), '2025-02-28T12:00:00.000Z');
  });

  it('is null outside years 1–9999', () => {
    assert.equal(shiftDate(new Date('9999-12-31T00:00:00Z'), { sign: 1, amount: 1, unit: 'DAY' }), null);
    assert.equal(shiftDate(new Date('2026-01-01T00:00:00Z'), { sign: -1, amount: 2026, unit: 'YEAR' }), null);
    assert.equal(shiftDate(new Date('2026-01-01T00:00:00Z'), { sign: 1, amount: 1e15, unit: 'WEEK' }), null);
    assert.equal(shiftDate(new Date('2026-01-01T00:00:00Z'), { sign: 1, amount: 1e15, unit: 'MONTH' }), null);
  });
});

describe('time expressions', () => {
  it('NOW() is the clock in whole seconds', () => {
    assert.deepEqual(evaluateTime({ base: { kind: 'now' }, shifts: [] }, NOW), { date: new Date('2026-11-23T10:00:00Z'), conditions: [] });
    assert.deepEqual(evaluateTime({ base: { kind: 'now' }, shifts: [{ sign: -1, amount: 7, unit: 'DAY' }] }, NOW).date, new Date('2026-11-16T10:00:00Z'));
  });

  it('an unreadable literal is NULL with warning 1292 in ER_WRONG_VALUE words', () => {
    assert.deepEqual(evaluateTime(at('garbage'), NOW), {
      date: null, conditions: [{ level: 'Warning', code: 1292, message: "Incorrect datetime value: 'garbage'" }],
    });
  });

  it('ignored characters give 1292 "Truncated incorrect …" naming the type read; extra fraction digits a Note', () => {
    assert.deepEqual(evaluateTime(at('2020-12-04xyz'), NOW), {
      date: new Date('2020-12-04T00:00:00Z'), conditions: [{ level: 'Warning', code: 1292, message: "Truncated incorrect date value: '2020-12-04xyz'" }],
    });
    assert.deepEqual(evaluateTime(at('2020-12-04 10:00:00.1234567'), NOW).conditions, [
      { level: 'Note', code: 1292, message: "Truncated incorrect datetime value: '2020-12-04 10:00:00.1234567'" },
    ]);
  });

  it('the zero date is NULL without a warning; leaving the datetime range warns 1441', () => {
    assert.deepEqual(evaluateTime(at('0000-00-00 00:00:00'), NOW), { date: null, conditions: [] });
    assert.deepEqual(evaluateTime({ base: { kind: 'string', text: '9999-12-31 23:59:59' }, shifts: [{ sign: 1, amount: 1, unit: 'DAY' }] }, NOW), {
      date: null, conditions: [{ level: 'Warning', code: 1441, message: 'Datetime function: datetime field overflow' }],
    });
  });
});
