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

const WORD_CHAR = /[A-Za-z0-9_$\u0080-\uffff]/;
const DIGIT = /[0-9]/;

function isWordChar(c: string | undefined): boolean {
  return c !== undefined && WORD_CHAR.test(c);
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
    // i is on the opening quote
    let out = '';
    i++;
    for (;;) {
      if (i >= sql.length) throw new SqlLexError(`unterminated ${quote} quote`);
      const c = sql[i]!;
      if (c === quote) {
        if (sql[i + 1] === quote) {
          out += quote;
          i += 2;
          continue;
        }
        i++;
        return out;
      }
      if (c === '\\' && quote !== '`' && i + 1 < sql.length) {
        const n = sql[i + 1]!;
        // \% and \_ keep their backslash (they matter only to LIKE patterns).
        out += n === '%' || n === '_' ? `\\${n}` : (ESCAPES[n] ?? n);
        i += 2;
        continue;
      }
      out += c;
      i++;
    }
  };

  const readName = (): string => {
    if (sql[i] === '`' || sql[i] === "'" || sql[i] === '"') return readQuoted(sql[i]!);
    const from = i;
    while (isWordChar(sql[i]) || sql[i] === '.') i++;
    return sql.slice(from, i);
  };

  while (i < sql.length) {
    const c = sql[i]!;
    const start = i;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '#' || (c === '-' && sql[i + 1] === '-' && (sql[i + 2] === undefined || /\s/.test(sql[i + 2]!)))) {
      while (i < sql.length && sql[i] !== '\n') i++;
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
        while (isWordChar(sql[i])) i++;
        push('word', sql.slice(start, i), start);
        continue;
      }
      push('number', m![0], start);
      continue;
    }
    if (isWordChar(c)) {
      while (isWordChar(sql[i])) i++;
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
