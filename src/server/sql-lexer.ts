// Tokens of the few statements replicas and tools send. Matching is by statement shape, so the
// lexer erases what does not change the meaning: case of keywords and variable names, spacing,
// comments, identifier quoting (`x`), string quoting ('x' / "x") and charset introducers
// (_latin1'x'). Executable comments (/*!40101 … */, /*M!100101 … */) are read as code, as the
// server does.

export type TokenKind =
  /** A bare word: keyword or identifier. `upper` holds it upper-cased for keyword tests. */
  | 'word'
  /** A `back-quoted` identifier (never a keyword). */
  | 'ident'
  | 'string'
  | 'number'
  /** @name: a user variable; `value` is the lower-cased name. */
  | 'uservar'
  /** @@[scope.]name: a system variable; `value` is the lower-cased name. */
  | 'sysvar'
  | 'punct';

export type VariableScope = 'global' | 'session' | null;

export interface Token {
  kind: TokenKind;
  /** The decoded value: string contents without quotes, variable names lower-cased, words as written. */
  value: string;
  upper: string;
  /** For system variables: the scope written before the name (@@global.x), else null. */
  scope: VariableScope;
  /** Offsets of the token in the statement, for column labels (the select item as written). */
  start: number;
  end: number;
}

export class SqlLexError extends Error {
  readonly code = 'SERVER_SQL_LEX';
}

const DIGIT = /[0-9]/;
const SPACE = /\s/;

/** [A-Za-z0-9_$\u0080-\uffff] by code unit, without a regex: the lexer's loops test one per
 *  character, and a statement may be 256 KiB of them (a regex per character took 100 ms per MiB). */
function isWordCode(code: number): boolean {
  return (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || (code >= 48 && code <= 57) || code === 95 || code === 36 || code >= 0x80;
}

function isWordChar(c: string | undefined): boolean {
  return c !== undefined && isWordCode(c.charCodeAt(0));
}

/** \s by code unit (ASCII without a regex). */
function isSpaceAt(sql: string, i: number): boolean {
  const code = sql.charCodeAt(i);
  return code === 32 || (code >= 9 && code <= 13) || (code >= 0x80 && SPACE.test(sql[i]!));
}

const ESCAPES: Readonly<Record<string, string>> = { n: '\n', t: '\t', r: '\r', b: '\b', '0': '\0', Z: '\x1a' };

/** The statement's tokens; more than `maxTokens` of them is a SqlLexError. */
export function tokenize(sql: string, maxTokens = Infinity): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let executableComment = false;
  const push = (kind: TokenKind, value: string, start: number, scope: VariableScope = null): void => {
    if (tokens.length >= maxTokens) throw new SqlLexError(`more than ${maxTokens} tokens`);
    tokens.push({ kind, value, upper: value.toUpperCase(), scope, start, end: i });
  };

  const readQuoted = (quote: string): string => {
    // i is on the opening quote. The text is taken a run at a time, between the next quote and
    // the next backslash (each found once: -1 none, below i not yet looked for).
    const escapes = quote !== '`';
    const out: string[] = [];
    let close = -2;
    let backslash = escapes ? -2 : -1;
    i++;
    for (;;) {
      if (close !== -1 && close < i) close = sql.indexOf(quote, i);
      if (backslash !== -1 && backslash < i) backslash = sql.indexOf('\\', i);
      if (backslash >= 0 && (close < 0 || backslash < close) && backslash + 1 < sql.length) {
        const n = sql[backslash + 1]!;
        // \% and \_ keep their backslash (they matter only to LIKE patterns).
        if (backslash > i) out.push(sql.slice(i, backslash));
        out.push(n === '%' || n === '_' ? `\\${n}` : (ESCAPES[n] ?? n));
        i = backslash + 2;
        continue;
      }
      if (close < 0) throw new SqlLexError(`unterminated ${quote} quote`);
      out.push(sql.slice(i, close));
      i = close + 1;
      if (sql[i] !== quote) return out.join('');
      out.push(quote);
      i++;
    }
  };

  const readName = (): string => {
    if (sql[i] === '`' || sql[i] === "'" || sql[i] === '"') return readQuoted(sql[i]!);
    const from = i;
    while (i < sql.length && (isWordCode(sql.charCodeAt(i)) || sql[i] === '.')) i++;
    return sql.slice(from, i);
  };

  while (i < sql.length) {
    const c = sql[i]!;
    const start = i;
    if (isSpaceAt(sql, i)) {
      i++;
      while (i < sql.length && isSpaceAt(sql, i)) i++;
      continue;
    }
    if (c === '#' || (c === '-' && sql[i + 1] === '-' && (i + 2 >= sql.length || isSpaceAt(sql, i + 2)))) {
      const eol = sql.indexOf('\n', i);
      i = eol < 0 ? sql.length : eol;
      continue;
    }
    if (c === '/' && sql[i + 1] === '*') {
      const m = /^\/\*M?!\d{0,6}/.exec(sql.slice(i, i + 10));
      if (m) {
        executableComment = true;
        i += m[0].length;
        continue;
      }
      const close = sql.indexOf('*/', i + 2);
      if (close < 0) throw new SqlLexError('unterminated comment');
      i = close + 2;
      continue;
    }
    if (c === '*' && sql[i + 1] === '/' && executableComment) {
      executableComment = false;
      i += 2;
      continue;
    }
    if (c === "'" || c === '"') {
      const value = readQuoted(c);
      push('string', value, start);
      continue;
    }
    if (c === '`') {
      const value = readQuoted('`');
      push('ident', value, start);
      continue;
    }
    if (c === '@' && sql[i + 1] === '@') {
      i += 2;
      let scope: VariableScope = null;
      const scoped = /^(global|session|local)\./i.exec(sql.slice(i, i + 8));
      if (scoped) {
        scope = scoped[1]!.toLowerCase() === 'global' ? 'global' : 'session';
        i += scoped[0].length;
      }
      const name = readName();
      if (name === '') throw new SqlLexError('system variable without a name');
      push('sysvar', name.toLowerCase(), start, scope);
      continue;
    }
    if (c === '@') {
      i++;
      const name = readName();
      if (name === '') throw new SqlLexError('user variable without a name');
      push('uservar', name.toLowerCase(), start);
      continue;
    }
    if (DIGIT.test(c) || (c === '.' && DIGIT.test(sql[i + 1] ?? ''))) {
      const m = /^(0x[0-9a-f]+|\d*\.?\d+(e[+-]?\d+)?)/i.exec(sql.slice(i));
      i += m![0].length;
      if (isWordChar(sql[i])) {
        // 1abc is an identifier in MySQL
        while (i < sql.length && isWordCode(sql.charCodeAt(i))) i++;
        push('word', sql.slice(start, i), start);
        continue;
      }
      push('number', m![0], start);
      continue;
    }
    if (isWordChar(c)) {
      while (i < sql.length && isWordCode(sql.charCodeAt(i))) i++;
      const word = sql.slice(start, i);
      // A charset introducer (_latin1'abc', _binary"x") only labels the string after it.
      if (word.startsWith('_') && (sql[i] === "'" || sql[i] === '"')) continue;
      push('word', word, start);
      continue;
    }
    if (c === ':' && sql[i + 1] === '=') {
      i += 2;
      push('punct', ':=', start);
      continue;
    }
    i++;
    push('punct', c, start);
  }
  return tokens;
}
