// Statement shapes the binlog server understands, parsed from tokens. Anything else is null and
// gets ER_PARSE_ERROR, as an unknown statement does on a real server. Expressions are limited to
// what replicas and tools write: literals, @user and @@system variables, function calls.
import { MAX_COLUMN_LABEL_CHARS, MAX_EXPRESSION_DEPTH, MAX_STATEMENT_TOKENS } from './session-limits.js';
import { isIntervalUnit, type IntervalShift, type TimeExpr } from './sql-datetime.js';
import { SqlLexError, tokenize, type Token, type VariableScope } from './sql-lexer.js';

export type Expr =
  | { kind: 'literal'; value: string | null; numeric: boolean }
  | { kind: 'uservar'; name: string }
  | { kind: 'sysvar'; name: string; scope: VariableScope }
  /** `name` in lower case; `spelled` as written (the servers' error texts echo it). */
  | { kind: 'call'; name: string; spelled: string; args: Expr[] }
  /** A bare word used as a value: SET autocommit=ON, SET x=DEFAULT. */
  | { kind: 'word'; value: string };

export interface SelectItem {
  expr: Expr;
  /** The column name: the alias, else the item as written (as servers name columns). */
  label: string;
}

export type AssignmentTarget =
  | { kind: 'uservar'; name: string }
  | { kind: 'sysvar'; name: string; scope: VariableScope }
  | { kind: 'names'; charset: string }
  | { kind: 'charset'; charset: string };

export interface Assignment {
  target: AssignmentTarget;
  value: Expr;
}

export type VariablesFilter = { like: string } | { names: string[] } | null;

/** PURGE {BINARY|MASTER} LOGS TO 'file' | BEFORE <time>. */
export type PurgeTarget = { to: string } | { before: TimeExpr };

export type Statement =
  | { kind: 'empty' }
  | { kind: 'select'; items: SelectItem[] }
  | { kind: 'set'; assignments: Assignment[] }
  | { kind: 'show-variables'; scope: VariableScope; filter: VariablesFilter }
  /** SHOW [GLOBAL|SESSION] STATUS: the few counters a monitor of a master reads (Uptime, …). */
  | { kind: 'show-status'; filter: VariablesFilter }
  /** SHOW SLAVE/REPLICA STATUS: a binlog server replicates from no one (an empty set). */
  | { kind: 'show-replica-status'; spelling: 'slave' | 'replica' }
  | { kind: 'show-master-status' }
  | { kind: 'show-binary-logs' }
  /** SHOW BINLOG EVENTS (or RELAYLOG: a binlog server has no relay log, an empty set). */
  | { kind: 'show-binlog-events'; relayLog: boolean; file: string | null; from: number; offset: number; limit: number | null }
  | { kind: 'show-replica-hosts'; spelling: 'slave-hosts' | 'replicas' }
  /** SHOW WARNINGS lists every condition of the last statement that raised any; SHOW ERRORS its errors. */
  | { kind: 'show-warnings'; errorsOnly: boolean }
  | { kind: 'kill'; id: number }
  | { kind: 'use'; database: string }
  | { kind: 'purge-binary-logs'; target: PurgeTarget }
  /** SHOW GRANTS [FOR account]: the session's own account when `account` is null. */
  | { kind: 'show-grants'; account: { user: string; host: string } | null }
  | { kind: 'do'; exprs: Expr[] }
  | { kind: 'show-processlist'; full: boolean };

/** A cursor over the tokens of one statement. */
class Tokens {
  pos = 0;
  /** Nesting of the expression being parsed (parentheses, function arguments). */
  depth = 0;
  constructor(
    readonly list: Token[],
    readonly sql: string,
  ) {}

  peek(offset = 0): Token | undefined {
    return this.list[this.pos + offset];
  }

  done(): boolean {
    return this.pos >= this.list.length;
  }

  next(): Token | undefined {
    return this.list[this.pos++];
  }

  /** Consumes the given keywords in order if they are next; returns whether it did. */
  keywords(...words: string[]): boolean {
    for (let k = 0; k < words.length; k++) {
      const t = this.peek(k);
      if (!t || t.kind !== 'word' || t.upper !== words[k]) return false;
    }
    this.pos += words.length;
    return true;
  }

  punct(p: string): boolean {
    const t = this.peek();
    if (t?.kind === 'punct' && t.value === p) {
      this.pos++;
      return true;
    }
    return false;
  }
}

function isName(t: Token | undefined): t is Token {
  return t !== undefined && (t.kind === 'word' || t.kind === 'ident');
}

/** Parses one statement; null when its shape is not one the server answers. */
export function parseStatement(sql: string): Statement | null {
  let list: Token[];
  try {
    list = tokenize(sql, MAX_STATEMENT_TOKENS);
  } catch (err) {
    if (err instanceof SqlLexError) return null;
    throw err;
  }
  // One trailing ';' is allowed (go-mysql sends "SET …;"); several statements are not.
  while (list.length > 0 && list[list.length - 1]!.kind === 'punct' && list[list.length - 1]!.value === ';') list.pop();
  if (list.some((t) => t.kind === 'punct' && t.value === ';')) return null;
  if (list.length === 0) return { kind: 'empty' };
  const ts = new Tokens(list, sql);
  const stmt = parseTop(ts);
  return stmt !== null && ts.done() ? stmt : null;
}

function parseTop(ts: Tokens): Statement | null {
  if (ts.keywords('SELECT')) return parseSelect(ts);
  if (ts.keywords('SET')) return parseSet(ts);
  if (ts.keywords('SHOW')) return parseShow(ts);
  if (ts.keywords('KILL')) {
    if (!ts.keywords('CONNECTION')) ts.keywords('QUERY');
    const id = ts.next();
    if (id?.kind !== 'number' || !/^\d+$/.test(id.value)) return null;
    return { kind: 'kill', id: Number(id.value) };
  }
  if (ts.keywords('USE')) {
    const db = ts.next();
    return isName(db) ? { kind: 'use', database: db.value } : null;
  }
  if (ts.keywords('PURGE')) return parsePurge(ts);
  if (ts.keywords('DO')) {
    const exprs: Expr[] = [];
    do {
      const e = parseExpr(ts);
      if (!e) return null;
      exprs.push(e);
    } while (ts.punct(','));
    return { kind: 'do', exprs };
  }
  return null;
}

function parsePurge(ts: Tokens): Statement | null {
  if (!ts.keywords('BINARY', 'LOGS') && !ts.keywords('MASTER', 'LOGS')) return null;
  if (ts.keywords('TO')) {
    // The grammar takes a string literal only (TEXT_STRING_sys), no expression.
    const file = ts.next();
    return file?.kind === 'string' ? { kind: 'purge-binary-logs', target: { to: file.value } } : null;
  }
  if (ts.keywords('BEFORE')) {
    const before = parseTimeExpr(ts);
    return before ? { kind: 'purge-binary-logs', target: { before } } : null;
  }
  return null;
}

// Functions that read the clock; NOW(6)-style precision is accepted and has no effect here.
const NOW_FUNCTIONS = new Set(['NOW', 'CURRENT_TIMESTAMP', 'LOCALTIME', 'LOCALTIMESTAMP', 'SYSDATE', 'UTC_TIMESTAMP']);
const NOW_WITHOUT_PARENS = new Set(['CURRENT_TIMESTAMP', 'LOCALTIME', 'LOCALTIMESTAMP', 'UTC_TIMESTAMP']);
const INTERVAL_FUNCTIONS: ReadonlyMap<string, 1 | -1> = new Map([['DATE_SUB', -1], ['SUBDATE', -1], ['DATE_ADD', 1], ['ADDDATE', 1]]);

/** Runs a recursive parse one level deeper; null past MAX_EXPRESSION_DEPTH, so that no
 *  statement can overflow the stack. */
function nested<T>(ts: Tokens, parse: (ts: Tokens) => T | null): T | null {
  if (ts.depth >= MAX_EXPRESSION_DEPTH) return null;
  ts.depth++;
  try {
    return parse(ts);
  } finally {
    ts.depth--;
  }
}

/** term (± INTERVAL n unit)* — the datetime expressions operators write after BEFORE. */
function parseTimeExpr(ts: Tokens): TimeExpr | null {
  return nested(ts, parseTimeSum);
}

function parseTimeSum(ts: Tokens): TimeExpr | null {
  const term = parseTimeTerm(ts);
  if (!term) return null;
  const shifts = [...term.shifts];
  for (;;) {
    const sign = ts.punct('-') ? -1 : ts.punct('+') ? 1 : 0;
    if (sign === 0) return { base: term.base, shifts };
    const shift = parseInterval(ts, sign);
    if (!shift) return null;
    shifts.push(shift);
  }
}

function parseTimeTerm(ts: Tokens): TimeExpr | null {
  const t = ts.next();
  if (!t) return null;
  if (t.kind === 'string' || t.kind === 'number') return { base: { kind: t.kind, text: t.value }, shifts: [] };
  if (t.kind === 'punct' && t.value === '(') {
    const inner = parseTimeExpr(ts);
    return inner && ts.punct(')') ? inner : null;
  }
  if (t.kind !== 'word') return null;
  if (NOW_FUNCTIONS.has(t.upper)) {
    if (ts.punct('(')) {
      const precision = ts.peek();
      if (precision?.kind === 'number' && /^\d+$/.test(precision.value)) ts.next();
      if (!ts.punct(')')) return null;
    } else if (!NOW_WITHOUT_PARENS.has(t.upper)) {
      return null;
    }
    return { base: { kind: 'now' }, shifts: [] };
  }
  const sign = INTERVAL_FUNCTIONS.get(t.upper);
  if (sign !== undefined && ts.punct('(')) {
    const inner = parseTimeExpr(ts);
    if (!inner || !ts.punct(',')) return null;
    const shift = parseInterval(ts, sign);
    if (!shift || !ts.punct(')')) return null;
    return { base: inner.base, shifts: [...inner.shifts, shift] };
  }
  return null;
}

/** INTERVAL n unit, n a whole number written bare, negated or quoted. */
function parseInterval(ts: Tokens, sign: 1 | -1): IntervalShift | null {
  if (!ts.keywords('INTERVAL')) return null;
  const negated = ts.punct('-');
  const n = ts.next();
  if (!n || (n.kind !== 'number' && n.kind !== 'string') || !/^\s*\d+\s*$/.test(n.value)) return null;
  const unit = ts.next();
  if (unit?.kind !== 'word' || !isIntervalUnit(unit.upper)) return null;
  return { sign: negated ? (sign === 1 ? -1 : 1) : sign, amount: Number(n.value), unit: unit.upper };
}

function parseSelect(ts: Tokens): Statement | null {
  const items: SelectItem[] = [];
  do {
    const first = ts.peek();
    if (!first) return null;
    const expr = parseExpr(ts);
    if (!expr) return null;
    let label = ts.sql.slice(first.start, Math.min(ts.list[ts.pos - 1]!.end, first.start + MAX_COLUMN_LABEL_CHARS)).trim();
    if (ts.keywords('AS')) {
      const alias = ts.next();
      if (!alias || (alias.kind !== 'word' && alias.kind !== 'ident' && alias.kind !== 'string')) return null;
      label = alias.value;
    } else if (ts.peek()?.kind === 'ident' || ts.peek()?.kind === 'string' || (ts.peek()?.kind === 'word' && ts.peek()!.upper !== 'LIMIT' && ts.peek()!.upper !== 'FROM')) {
      label = ts.next()!.value;
    }
    items.push({ expr, label: label.slice(0, MAX_COLUMN_LABEL_CHARS) });
  } while (ts.punct(','));
  ts.keywords('FROM', 'DUAL');
  // `select @@version_comment limit 1` (the mariadb CLI's greeting query): one row anyway.
  if (ts.keywords('LIMIT')) {
    const n = ts.next();
    if (n?.kind !== 'number') return null;
  }
  return { kind: 'select', items };
}

function parseExpr(ts: Tokens): Expr | null {
  return nested(ts, parseTerm);
}

function parseTerm(ts: Tokens): Expr | null {
  const t = ts.next();
  if (!t) return null;
  switch (t.kind) {
    case 'string':
      return { kind: 'literal', value: t.value, numeric: false };
    case 'number':
      return { kind: 'literal', value: t.value, numeric: true };
    case 'uservar':
      return { kind: 'uservar', name: t.value };
    case 'sysvar':
      return { kind: 'sysvar', name: t.value, scope: t.scope };
    case 'punct': {
      if (t.value === '-' || t.value === '+') {
        const n = ts.next();
        if (n?.kind !== 'number') return null;
        return { kind: 'literal', value: t.value === '-' ? `-${n.value}` : n.value, numeric: true };
      }
      if (t.value === '(') {
        const inner = parseExpr(ts);
        return inner && ts.punct(')') ? inner : null;
      }
      return null;
    }
    case 'ident':
      return null;
    case 'word': {
      if (ts.punct('(')) {
        const args: Expr[] = [];
        if (!ts.punct(')')) {
          do {
            const arg = parseExpr(ts);
            if (!arg) return null;
            args.push(arg);
          } while (ts.punct(','));
          if (!ts.punct(')')) return null;
        }
        return { kind: 'call', name: t.value.toLowerCase(), spelled: t.value, args };
      }
      if (t.upper === 'NULL') return { kind: 'literal', value: null, numeric: false };
      if (t.upper === 'TRUE' || t.upper === 'FALSE') return { kind: 'literal', value: t.upper === 'TRUE' ? '1' : '0', numeric: true };
      // CURRENT_USER, CURRENT_TIMESTAMP … without parentheses.
      if (/^CURRENT_(USER|TIMESTAMP|DATE|TIME)$/.test(t.upper)) return { kind: 'call', name: t.value.toLowerCase(), spelled: t.value, args: [] };
      return { kind: 'word', value: t.value };
    }
  }
}

function parseSet(ts: Tokens): Statement | null {
  const assignments: Assignment[] = [];
  // SET GLOBAL|SESSION x = … applies to every unscoped name after it.
  let defaultScope: VariableScope = null;
  do {
    if (ts.keywords('GLOBAL')) defaultScope = 'global';
    else if (ts.keywords('SESSION') || ts.keywords('LOCAL')) defaultScope = 'session';
    if (ts.keywords('NAMES')) {
      const cs = ts.next();
      if (!cs || (cs.kind !== 'word' && cs.kind !== 'string' && cs.kind !== 'ident')) return null;
      if (ts.keywords('COLLATE')) {
        const coll = ts.next();
        if (!coll || (coll.kind !== 'word' && coll.kind !== 'string' && coll.kind !== 'ident')) return null;
      }
      assignments.push({ target: { kind: 'names', charset: cs.value }, value: { kind: 'literal', value: cs.value, numeric: false } });
      continue;
    }
    if (ts.keywords('CHARACTER', 'SET') || ts.keywords('CHARSET')) {
      const cs = ts.next();
      if (!cs || (cs.kind !== 'word' && cs.kind !== 'string' && cs.kind !== 'ident')) return null;
      assignments.push({ target: { kind: 'charset', charset: cs.value }, value: { kind: 'literal', value: cs.value, numeric: false } });
      continue;
    }
    const t = ts.next();
    let target: AssignmentTarget;
    if (t?.kind === 'uservar') target = { kind: 'uservar', name: t.value };
    else if (t?.kind === 'sysvar') target = { kind: 'sysvar', name: t.value, scope: t.scope ?? defaultScope };
    else if (isName(t)) target = { kind: 'sysvar', name: t.value.toLowerCase(), scope: defaultScope };
    else return null;
    if (!ts.punct('=') && !ts.punct(':=')) return null;
    const value = parseExpr(ts);
    if (!value) return null;
    assignments.push({ target, value });
  } while (ts.punct(','));
  return { kind: 'set', assignments };
}

function parseShow(ts: Tokens): Statement | null {
  let scope: VariableScope = null;
  if (ts.keywords('GLOBAL')) scope = 'global';
  else if (ts.keywords('SESSION') || ts.keywords('LOCAL')) scope = 'session';
  if (ts.keywords('VARIABLES')) {
    const filter = parseNameFilter(ts);
    return filter === undefined ? null : { kind: 'show-variables', scope, filter };
  }
  if (ts.keywords('STATUS')) {
    const filter = parseNameFilter(ts);
    return filter === undefined ? null : { kind: 'show-status', filter };
  }
  if (scope !== null) return null;
  if (ts.keywords('SLAVE', 'STATUS') || ts.keywords('ALL', 'SLAVES', 'STATUS')) return { kind: 'show-replica-status', spelling: 'slave' };
  if (ts.keywords('REPLICA', 'STATUS') || ts.keywords('ALL', 'REPLICAS', 'STATUS')) return { kind: 'show-replica-status', spelling: 'replica' };
  if (ts.keywords('MASTER', 'STATUS') || ts.keywords('BINARY', 'LOG', 'STATUS') || ts.keywords('BINLOG', 'STATUS')) {
    return { kind: 'show-master-status' };
  }
  if (ts.keywords('BINARY', 'LOGS') || ts.keywords('MASTER', 'LOGS')) return { kind: 'show-binary-logs' };
  if (ts.keywords('BINLOG', 'EVENTS')) return parseEventsListing(ts, false);
  if (ts.keywords('RELAYLOG', 'EVENTS')) return parseEventsListing(ts, true);
  if (ts.keywords('SLAVE', 'HOSTS') || ts.keywords('REPLICA', 'HOSTS')) return { kind: 'show-replica-hosts', spelling: 'slave-hosts' };
  if (ts.keywords('REPLICAS')) return { kind: 'show-replica-hosts', spelling: 'replicas' };
  if (ts.keywords('GRANTS')) return parseShowGrants(ts);
  if (ts.keywords('PROCESSLIST')) return { kind: 'show-processlist', full: false };
  if (ts.keywords('FULL', 'PROCESSLIST')) return { kind: 'show-processlist', full: true };
  if (ts.keywords('WARNINGS')) return { kind: 'show-warnings', errorsOnly: false };
  if (ts.keywords('ERRORS')) return { kind: 'show-warnings', errorsOnly: true };
  return null;
}

/** [FOR CURRENT_USER[()] | FOR user[@host]]: the user and host as quoted strings, identifiers or
 *  words; `'u'@'h'` reaches here as a name and a user-variable token, whose spelling is kept. */
function parseShowGrants(ts: Tokens): Statement | null {
  if (!ts.keywords('FOR')) return { kind: 'show-grants', account: null };
  if (ts.keywords('CURRENT_USER')) {
    if (ts.punct('(') && !ts.punct(')')) return null;
    return { kind: 'show-grants', account: null };
  }
  const user = ts.next();
  if (user === undefined || (user.kind !== 'string' && !isName(user))) return null;
  const host = ts.peek();
  if (host?.kind !== 'uservar') return { kind: 'show-grants', account: { user: user.value, host: '%' } };
  ts.next();
  return { kind: 'show-grants', account: { user: user.value, host: unquote(ts.sql.slice(host.start + 1, host.end)) } };
}

/** The text of a name as written, without its quotes ('x', "x" or `x`). */
function unquote(spelled: string): string {
  const q = spelled[0];
  if ((q === "'" || q === '"' || q === '`') && spelled.endsWith(q) && spelled.length >= 2) return spelled.slice(1, -1).split(q + q).join(q);
  return spelled;
}

/** [IN 'file'] [FROM pos] [LIMIT [offset,] count | LIMIT count OFFSET offset]: the grammar's
 *  literals only (no expressions). */
function parseEventsListing(ts: Tokens, relayLog: boolean): Statement | null {
  const count = (): number | null => {
    const t = ts.next();
    // Servers read these as 64-bit counts; past 2^53 every count means "all" here.
    return t?.kind === 'number' && /^\d+$/.test(t.value) ? Math.min(Number(t.value), Number.MAX_SAFE_INTEGER) : null;
  };
  let file: string | null = null;
  if (ts.keywords('IN')) {
    const t = ts.next();
    if (t?.kind !== 'string') return null;
    file = t.value;
  }
  let from = 4;
  if (ts.keywords('FROM')) {
    const n = count();
    if (n === null) return null;
    from = n;
  }
  let offset = 0;
  let limit: number | null = null;
  if (ts.keywords('LIMIT')) {
    limit = count();
    if (limit === null) return null;
    if (ts.punct(',')) {
      offset = limit;
      limit = count();
    } else if (ts.keywords('OFFSET')) {
      offset = count() ?? -1;
    }
    if (limit === null || offset < 0) return null;
  }
  if (relayLog && ts.keywords('FOR', 'CHANNEL')) {
    if (ts.next()?.kind !== 'string') return null;
  }
  return { kind: 'show-binlog-events', relayLog, file, from, offset, limit };
}

/** What follows SHOW VARIABLES / STATUS: nothing, LIKE 'p', or WHERE Variable_name = 'x' |
 *  IN ('a', 'b') | LIKE 'p' (go-mysql, Debezium). Undefined when it is none of those. */
function parseNameFilter(ts: Tokens): VariablesFilter | undefined {
  if (ts.done()) return null;
  if (ts.keywords('LIKE')) {
    const p = ts.next();
    return p?.kind === 'string' ? { like: p.value } : undefined;
  }
  if (!ts.keywords('WHERE')) return undefined;
  const column = ts.next();
  if (!isName(column) || column.value.toLowerCase() !== 'variable_name') return undefined;
  if (ts.punct('=')) {
    const v = ts.next();
    return v?.kind === 'string' ? { names: [v.value] } : undefined;
  }
  if (ts.keywords('LIKE')) {
    const v = ts.next();
    return v?.kind === 'string' ? { like: v.value } : undefined;
  }
  if (ts.keywords('IN') && ts.punct('(')) {
    const names: string[] = [];
    do {
      const v = ts.next();
      if (v?.kind !== 'string') return undefined;
      names.push(v.value);
    } while (ts.punct(','));
    return ts.punct(')') ? { names } : undefined;
  }
  return undefined;
}
