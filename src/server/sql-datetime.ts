// Datetime values as the binlog server reads them in PURGE … BEFORE: a literal in the forms
// MariaDB's str_to_datetime accepts, NOW(), and `± INTERVAL n unit` on either. Values are in the
// server's time zone, which is UTC (@@system_time_zone), as NOW() is rendered. What the server
// cannot read is NULL with MariaDB's warning (checked against mariadbd 10.11.18), and a PURGE
// BEFORE NULL purges nothing.
import {
  ER_DATETIME_FUNCTION_OVERFLOW,
  ER_TRUNCATED_WRONG_VALUE,
  ER_WRONG_VALUE,
  errorMessage,
} from '../mysql/error-codes.js';
import type { SqlCondition } from './session-warnings.js';

export const INTERVAL_UNITS = ['SECOND', 'MINUTE', 'HOUR', 'DAY', 'WEEK', 'MONTH', 'QUARTER', 'YEAR'] as const;
export type IntervalUnit = (typeof INTERVAL_UNITS)[number];

export function isIntervalUnit(word: string): word is IntervalUnit {
  return (INTERVAL_UNITS as readonly string[]).includes(word);
}

export interface IntervalShift {
  sign: 1 | -1;
  amount: number;
  unit: IntervalUnit;
}

export type TimeBase =
  | { kind: 'now' }
  /** A string literal, as written (without quotes). */
  | { kind: 'string'; text: string }
  /** A number literal (20261204, 20261204100000.5). */
  | { kind: 'number'; text: string };

export interface TimeExpr {
  base: TimeBase;
  /** Applied left to right, as `x - INTERVAL 1 DAY + INTERVAL 2 HOUR` is. */
  shifts: IntervalShift[];
}

/** A value and the conditions reading it raised; null is SQL NULL. */
export interface TimeValue {
  date: Date | null;
  conditions: SqlCondition[];
}

/** How the server reads a datetime literal. */
export type DatetimeReading =
  | {
      kind: 'datetime';
      date: Date;
      /** Characters the server ignored: garbage after the value (Warning) or fraction digits
       *  past microseconds (Note), reported as "Truncated incorrect date|datetime value". */
      truncated: 'Warning' | 'Note' | null;
      /** Whether a time was written; the truncation warning names the type read. */
      hasTime: boolean;
    }
  /** 0000-00-00 [00:00:00]: a valid value before every file; purges nothing, silently. */
  | { kind: 'zero' }
  | { kind: 'invalid' };

const SECOND_MS = 1000;
const UNIT_MS: Partial<Record<IntervalUnit, number>> = {
  SECOND: SECOND_MS,
  MINUTE: 60 * SECOND_MS,
  HOUR: 3600 * SECOND_MS,
  DAY: 86_400 * SECOND_MS,
  WEEK: 7 * 86_400 * SECOND_MS,
};
const UNIT_MONTHS: Partial<Record<IntervalUnit, number>> = { MONTH: 1, QUARTER: 3, YEAR: 12 };
const MAX_YEAR = 9999;

function daysInMonth(year: number, month: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month, 0);
  return d.getUTCDate();
}

/** YY → YYYY as the server reads two-digit years: 70–99 are 19xx, 00–69 are 20xx. */
function fullYear(digits: string): number {
  const n = Number(digits);
  if (digits.length > 2) return n;
  return n < 70 ? 2000 + n : 1900 + n;
}

// YYYY-MM-DD[( |T)hh[:mm[:ss[.ffffff]]]], any punctuation between parts; what follows is
// ignored with a truncation warning.
const DELIMITED = /^(\d{2}|\d{4})[-/.:_](\d{1,2})[-/.:_](\d{1,2})(?:(?:T|\s+)(\d{1,2})(?:[-/.:_](\d{1,2})(?:[-/.:_](\d{1,2})(?:\.(\d+))?)?)?)?/;
// YYYYMMDD[hhmmss[.f]] or YYMMDD[hhmmss[.f]]: the digit count decides the fields.
const COMPACT = /^(\d{4}|\d{2})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2}))?(?:\.(\d+))?$/;
const COMPACT_LENGTHS = new Set([6, 8, 12, 14]);

/** A datetime literal as MariaDB reads it (string or number), in UTC. */
export function readSqlDatetime(text: string, source: 'string' | 'number' = 'string'): DatetimeReading {
  const trimmed = text.trim();
  let m: RegExpExecArray | null = null;
  let rest = '';
  const digits = /^\d+/.exec(trimmed)?.[0] ?? '';
  if (COMPACT_LENGTHS.has(digits.length)) m = COMPACT.exec(trimmed);
  if (!m && source === 'string') {
    m = DELIMITED.exec(trimmed);
    rest = m ? trimmed.slice(m[0].length) : '';
  }
  if (!m) return { kind: 'invalid' };
  const year = fullYear(m[1]!);
  const [month, day] = [Number(m[2]), Number(m[3])];
  const [hour, minute, second] = [Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)];
  const fraction = m[7] ?? '';
  if (Number(m[1]) === 0 && month === 0 && day === 0 && hour === 0 && minute === 0 && second === 0) return { kind: 'zero' };
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return { kind: 'invalid' };
  if (hour > 23 || minute > 59 || second > 59) return { kind: 'invalid' };
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, Math.floor(Number(fraction.slice(0, 6).padEnd(6, '0')) / 1000));
  const truncated = rest !== '' ? 'Warning' : fraction.length > 6 ? 'Note' : null;
  return { kind: 'datetime', date, truncated, hasTime: m[4] !== undefined };
}

/** `date ± amount unit`; calendar units keep the day, clamped to the target month's last day.
 *  Null when the result leaves years 1–9999 (the server's datetime range). */
export function shiftDate(date: Date, shift: IntervalShift): Date | null {
  const amount = shift.sign * shift.amount;
  const ms = UNIT_MS[shift.unit];
  let out: Date;
  if (ms !== undefined) {
    out = new Date(date.getTime() + amount * ms);
  } else {
    const target = date.getUTCFullYear() * 12 + date.getUTCMonth() + amount * (UNIT_MONTHS[shift.unit] ?? 0);
    const year = Math.floor(target / 12);
    const month = target - year * 12;
    out = new Date(date.getTime());
    out.setUTCFullYear(year, month, Math.min(date.getUTCDate(), daysInMonth(year, month + 1)));
  }
  const year = out.getUTCFullYear();
  return Number.isNaN(year) || year < 1 || year > MAX_YEAR ? null : out;
}

function warning(level: SqlCondition['level'], code: number, message: string): SqlCondition {
  return { level, code, message };
}

/** Evaluates a time expression as the server does; NOW() has whole seconds. */
export function evaluateTime(expr: TimeExpr, now: Date): TimeValue {
  const conditions: SqlCondition[] = [];
  let date: Date;
  if (expr.base.kind === 'now') {
    date = new Date(Math.floor(now.getTime() / SECOND_MS) * SECOND_MS);
  } else {
    const text = expr.base.text;
    const read = readSqlDatetime(text, expr.base.kind);
    if (read.kind === 'zero') return { date: null, conditions };
    if (read.kind === 'invalid') {
      // Sent as 1292 with ER_WRONG_VALUE's words.
      return { date: null, conditions: [warning('Warning', ER_TRUNCATED_WRONG_VALUE, errorMessage(ER_WRONG_VALUE, 'datetime', text))] };
    }
    if (read.truncated) {
      conditions.push(warning(read.truncated, ER_TRUNCATED_WRONG_VALUE, errorMessage(ER_TRUNCATED_WRONG_VALUE, read.hasTime ? 'datetime' : 'date', text)));
    }
    date = read.date;
  }
  for (const shift of expr.shifts) {
    const shifted = shiftDate(date, shift);
    if (shifted === null) {
      conditions.push(warning('Warning', ER_DATETIME_FUNCTION_OVERFLOW, errorMessage(ER_DATETIME_FUNCTION_OVERFLOW, 'datetime')));
      return { date: null, conditions };
    }
    date = shifted;
  }
  return { date, conditions };
}
