// Statement shapes → the answers a real master gives them (notes §3.3, MySQL note §1.2/1.3).
// Pure apart from the context it is given, so every shape is unit-tested without sockets.
import { randomUUID } from 'node:crypto';
import { MYSQL_TYPE_DOUBLE, MYSQL_TYPE_LONG, MYSQL_TYPE_LONGLONG, MYSQL_TYPE_VAR_STRING } from '../mysql/column-types.js';
import {
  ER_BINLOG_PURGE_PROHIBITED,
  ER_NONEXISTING_GRANT,
  ER_NO_SUCH_THREAD,
  ER_PARSE_ERROR,
  ER_SP_DOES_NOT_EXIST,
  ER_TOO_LONG_STRING,
  ER_UNKNOWN_ERROR,
  ER_UNKNOWN_SYSTEM_VARIABLE,
  ER_UNKNOWN_TARGET_BINLOG,
  ER_USER_LIMIT_REACHED,
  ER_WARN_PURGE_LOG_IN_USE,
  ER_WRONG_PARAMCOUNT_TO_NATIVE_FCT,
  ER_WRONG_VALUE,
  errorMessage,
  parseErrorMessage,
} from '../mysql/error-codes.js';
import type { ColumnDefinition, ResultValue } from '../mysql/result-set.js';
import { PurgeError, type PurgeRequest, type PurgeResult } from '../relaylog/purge.js';
import { BinlogEventsError, type BinlogEventsRequest } from './binlog-events-listing.js';
import { LikePattern } from './like-pattern.js';
import { MAX_ROW_CHARS, MAX_STATEMENT_CHARS, MAX_VALUE_CHARS, SessionLimitError } from './session-limits.js';
import type { SessionVariables, UserValue } from './session-variables.js';
import type { SessionWarnings, SqlCondition } from './session-warnings.js';
import { evaluateTime } from './sql-datetime.js';
import { parseStatement, type Expr, type PurgeTarget, type Statement, type VariablesFilter } from './statement.js';
import { statusVariables, type ServerCounters } from './status-variables.js';
import { plainVersion, systemVariables, type ServerFacts } from './system-variables.js';

export const ER_EMPTY_QUERY = 1065;
export const ER_BAD_FIELD_ERROR = 1054;
export const ER_SPECIFIC_ACCESS_DENIED_ERROR = 1227;

export type Answer =
  /** `warnings` (absent when none) are the statement's conditions; the OK packet counts them. */
  | { kind: 'ok'; warnings?: SqlCondition[] }
  | { kind: 'error'; code: number; message: string; sqlState: string }
  | { kind: 'rows'; columns: ColumnDefinition[]; rows: ResultValue[][] }
  /** Rows that arrive in batches (a listing as long as a binlog file). */
  | { kind: 'row-stream'; columns: ColumnDefinition[]; batches: AsyncIterable<ResultValue[][]> };

export interface ReplicaHost {
  serverId: number;
  host: string;
  port: number;
  uuid: string;
}

/** One logged-in session as SHOW PROCESSLIST lists it. */
export interface ProcessInfo {
  id: number;
  /** ip:port of the client. */
  host: string;
  command: 'Sleep' | 'Binlog Dump' | 'Binlog Dump GTID';
  /** Since when the command runs (a dump) or the session sleeps. */
  sinceMs: number;
  /** A dump caught up and waiting for a commit (true) or sending (false); null when sleeping. */
  waiting: boolean | null;
}

export interface BinaryLogInfo {
  name: string;
  size: number;
}

export interface ResponderContext {
  facts: ServerFacts;
  vars: SessionVariables;
  connectionId: number;
  user: string;
  clientHost: string;
  database: string | null;
  binaryLogs(): BinaryLogInfo[];
  replicaHosts(): ReplicaHost[];
  /** Every logged-in session of this server (the asking one included). */
  processes(): ProcessInfo[];
  /** Ends connection `id`; false when there is none. */
  kill(id: number): boolean;
  /** SHOW BINLOG EVENTS' rows; rejects with BinlogEventsError when refused. */
  binlogEvents(request: BinlogEventsRequest): Promise<AsyncIterable<ResultValue[][]>>;
  /** MariaDB's BINLOG_GTID_POS(file, pos): the GTID position at that point, null if invalid. */
  binlogGtidPos(file: string, pos: number): Promise<string | null>;
  /** PURGE BINARY LOGS; rejects with PurgeError when refused. */
  purgeBinaryLogs(request: PurgeRequest): Promise<PurgeResult>;
  /** How many of this server's dumps are reading `file` (for the held-back warning). */
  dumpsReading(file: string): number;
  /** The counters SHOW STATUS lists. */
  counters(): ServerCounters;
  /** The session's SHOW WARNINGS list, updated by every statement that raises a condition. */
  warnings: SessionWarnings;
  now(): Date;
}

class AnswerError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly sqlState: string,
  ) {
    super(message);
  }
}

const ok: Answer = { kind: 'ok' };

function error(code: number, message: string, sqlState = 'HY000'): Answer {
  return { kind: 'error', code, message, sqlState };
}

/** ER_TOO_LONG_STRING: a statement, value or row over the session caps. */
function tooLong(): AnswerError {
  return new AnswerError(ER_TOO_LONG_STRING, errorMessage(ER_TOO_LONG_STRING), '42000');
}

function syntaxError(sql: string, facts: ServerFacts): Answer {
  let message = parseErrorMessage(sql.trim());
  if (facts.flavor === 'mysql') message = message.replace('MariaDB server version', 'MySQL server version');
  return error(ER_PARSE_ERROR, message, '42000');
}

function stringColumn(name: string): ColumnDefinition {
  return { name, type: MYSQL_TYPE_VAR_STRING };
}

function numberColumn(name: string): ColumnDefinition {
  return { name, type: MYSQL_TYPE_LONGLONG };
}

function formatDateTime(d: Date): string {
  return d.toISOString().replace('T', ' ').slice(0, 19);
}

export async function answerQuery(sql: string, ctx: ResponderContext): Promise<Answer> {
  let answer: Answer;
  if (sql.length > MAX_STATEMENT_CHARS) {
    const refused = tooLong(); // unread: see MAX_STATEMENT_CHARS
    answer = error(refused.code, refused.message, refused.sqlState);
  } else {
    const stmt = parseStatement(sql);
    answer = stmt === null ? syntaxError(sql, ctx.facts) : await answerParsed(stmt, sql, ctx);
  }
  if (answer.kind === 'error') ctx.warnings.raised([{ level: 'Error', code: answer.code, message: answer.message }]);
  else if (answer.kind === 'ok' && answer.warnings) ctx.warnings.raised(answer.warnings);
  return answer;
}

async function answerParsed(stmt: Statement, sql: string, ctx: ResponderContext): Promise<Answer> {
  try {
    return await answerStatement(stmt, sql, ctx);
  } catch (err) {
    if (err instanceof AnswerError) return error(err.code, err.message, err.sqlState);
    throw err;
  }
}

async function answerStatement(stmt: Statement, sql: string, ctx: ResponderContext): Promise<Answer> {
  switch (stmt.kind) {
    case 'empty':
      return error(ER_EMPTY_QUERY, 'Query was empty', '42000');
    case 'select':
      return answerSelect(stmt.items, ctx);
    case 'set':
      return answerSet(stmt, ctx);
    case 'show-variables': {
      const all = [...systemVariables(ctx.facts).entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      return answerNamedValues(all.map(([name, v]) => [name, v.text]), stmt.filter);
    }
    case 'show-status':
      return answerNamedValues(statusVariables(ctx.counters()), stmt.filter);
    case 'show-replica-status': {
      // What a master that replicates from no one answers: the columns and no row.
      const names = ctx.facts.flavor === 'mysql' && stmt.spelling === 'replica' ? MYSQL_REPLICA_STATUS_COLUMNS : REPLICA_STATUS_COLUMNS;
      return { kind: 'rows', columns: names.map(stringColumn), rows: [] };
    }
    case 'show-master-status':
      return answerMasterStatus(ctx);
    case 'show-binary-logs': {
      const columns = [stringColumn('Log_name'), numberColumn('File_size')];
      if (ctx.facts.flavor === 'mysql') columns.push(stringColumn('Encrypted'));
      const rows = ctx.binaryLogs().map((f): ResultValue[] => (ctx.facts.flavor === 'mysql' ? [f.name, f.size, 'No'] : [f.name, f.size]));
      return { kind: 'rows', columns, rows };
    }
    case 'show-replica-hosts':
      return answerReplicaHosts(stmt.spelling, ctx);
    case 'show-binlog-events': {
      // A binlog server has no relay log: SHOW RELAYLOG EVENTS lists nothing, as on a master.
      if (stmt.relayLog) return { kind: 'rows', columns: BINLOG_EVENTS_COLUMNS, rows: [] };
      try {
        return { kind: 'row-stream', columns: BINLOG_EVENTS_COLUMNS, batches: await ctx.binlogEvents(stmt) };
      } catch (err) {
        if (err instanceof BinlogEventsError) return error(err.errno, err.message);
        throw err;
      }
    }
    case 'show-warnings': {
      const listed = ctx.warnings.list.filter((c) => !stmt.errorsOnly || c.level === 'Error');
      return { kind: 'rows', columns: [stringColumn('Level'), numberColumn('Code'), stringColumn('Message')], rows: listed.map((c) => [c.level, c.code, c.message]) };
    }
    case 'kill':
      return ctx.kill(stmt.id) ? ok : error(ER_NO_SUCH_THREAD, errorMessage(ER_NO_SUCH_THREAD, stmt.id));
    case 'use':
      return ok;
    case 'purge-binary-logs':
      return answerPurge(stmt.target, ctx);
    case 'show-grants':
      return answerGrants(stmt.account, ctx);
    case 'show-processlist':
      return answerProcessList(stmt.full, sql, ctx);
    case 'do':
      // Evaluated for their errors (an unknown function is 1305, as on the server); no result.
      for (const e of stmt.exprs) await evaluate(e, ctx);
      return ok;
  }
}

const PROCESS_STATES = {
  mariadb: { waiting: 'Master has sent all binlog to slave; waiting for more updates', sending: 'Sending binlog event to slave', asking: 'starting' },
  mysql: { waiting: 'Source has sent all binlog to replica; waiting for more updates', sending: 'Sending binlog event to replica', asking: 'init' },
} as const;

/** Info holds this much of a statement without FULL (PROCESS_LIST_WIDTH). */
const PROCESS_INFO_CHARS = 100;

/** SHOW [FULL] PROCESSLIST: the sessions of this binlog server in the flavor's columns and
 *  states. The asking session runs 'Query' (its statement as sent); others sleep or dump. */
function answerProcessList(full: boolean, sql: string, ctx: ResponderContext): Answer {
  const mysql = ctx.facts.flavor === 'mysql';
  const states = PROCESS_STATES[ctx.facts.flavor];
  const nowMs = ctx.now().getTime();
  const columns: ColumnDefinition[] = [
    numberColumn('Id'), stringColumn('User'), stringColumn('Host'), stringColumn('db'), stringColumn('Command'),
    { name: 'Time', type: MYSQL_TYPE_LONG, length: 7 }, stringColumn('State'), stringColumn('Info'),
  ];
  if (!mysql) columns.push({ name: 'Progress', type: MYSQL_TYPE_DOUBLE, length: 7, decimals: 3 });
  const rows = ctx.processes().map((p): ResultValue[] => {
    const asking = p.id === ctx.connectionId;
    const row: ResultValue[] = [
      p.id, ctx.user, p.host, asking ? ctx.database : null, asking ? 'Query' : p.command,
      asking ? 0 : Math.max(0, Math.floor((nowMs - p.sinceMs) / 1000)),
      asking ? states.asking : p.waiting === null ? '' : p.waiting ? states.waiting : states.sending,
      asking ? (full ? sql : sql.slice(0, PROCESS_INFO_CHARS)) : null,
    ];
    if (!mysql) row.push('0.000');
    return row;
  });
  return { kind: 'rows', columns, rows };
}

/** SHOW GRANTS: the binlog server has one account, the replication user from any host, allowed
 *  what it answers (dumps, the binlog listings, replica hosts, PURGE). No password hash is shown:
 *  the server keeps none to show. */
function answerGrants(account: { user: string; host: string } | null, ctx: ResponderContext): Answer {
  const host = '%';
  if (account !== null && (account.user !== ctx.user || account.host !== host)) {
    return error(ER_NONEXISTING_GRANT, errorMessage(ER_NONEXISTING_GRANT, account.user, account.host), '42000');
  }
  const to = `TO \`${ctx.user.replaceAll('`', '``')}\`@\`${host}\``;
  const grants = ctx.facts.flavor === 'mysql'
    ? [`GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* ${to}`, `GRANT BINLOG_ADMIN ON *.* ${to}`]
    : [`GRANT REPLICATION SLAVE, BINLOG MONITOR, REPLICATION MASTER ADMIN, BINLOG ADMIN ON *.* ${to}`];
  return { kind: 'rows', columns: [stringColumn(`Grants for ${ctx.user}@${host}`)], rows: grants.map((g) => [g]) };
}

function okWith(warnings: SqlCondition[]): Answer {
  return warnings.length > 0 ? { kind: 'ok', warnings } : ok;
}

/** PURGE BINARY LOGS: OK, with a warning per file kept on disk for a reader; a time the server
 *  cannot read is NULL with its warning and purges nothing, as on MariaDB. */
async function answerPurge(target: PurgeTarget, ctx: ResponderContext): Promise<Answer> {
  const conditions: SqlCondition[] = [];
  let request: PurgeRequest;
  if ('to' in target) {
    request = { to: target.to };
  } else {
    const value = evaluateTime(target.before, ctx.now());
    conditions.push(...value.conditions);
    if (value.date === null) return okWith(conditions);
    request = { before: value.date };
  }
  let result: PurgeResult;
  try {
    result = await ctx.purgeBinaryLogs(request);
  } catch (err) {
    if (err instanceof PurgeError) return purgeErrorAnswer(err);
    throw err;
  }
  const deleted = result.purged.length - result.heldBack.length;
  for (const file of result.heldBack) {
    const readers = Math.max(1, ctx.dumpsReading(file));
    conditions.push({ level: 'Warning', code: ER_WARN_PURGE_LOG_IN_USE, message: errorMessage(ER_WARN_PURGE_LOG_IN_USE, file, readers, deleted, result.purged.length) });
  }
  return okWith(conditions);
}

/** A refused purge as the master's error (MariaDB 10.11's codes and words). */
function purgeErrorAnswer(err: PurgeError): Answer {
  switch (err.code) {
    case 'PURGE_TARGET_NOT_FOUND':
      return error(ER_UNKNOWN_TARGET_BINLOG, errorMessage(ER_UNKNOWN_TARGET_BINLOG));
    case 'PURGE_UNAVAILABLE':
      return error(ER_BINLOG_PURGE_PROHIBITED, errorMessage(ER_BINLOG_PURGE_PROHIBITED));
    case 'PURGE_NOT_LEADER':
      // No MariaDB error means "ask another node": the generic error carries our reason.
      return error(ER_UNKNOWN_ERROR, err.message);
  }
}

interface Value {
  value: string | null;
  numeric: boolean;
}

async function evaluate(expr: Expr, ctx: ResponderContext): Promise<Value> {
  switch (expr.kind) {
    case 'literal':
      if (expr.value !== null && expr.value.length > MAX_VALUE_CHARS) throw tooLong();
      return { value: expr.value, numeric: expr.numeric };
    case 'uservar': {
      const v: UserValue | undefined = ctx.vars.get(expr.name);
      return v ? { value: v.value, numeric: v.numeric } : { value: null, numeric: false };
    }
    case 'sysvar': {
      const v = systemVariables(ctx.facts).get(expr.name);
      if (!v) throw new AnswerError(ER_UNKNOWN_SYSTEM_VARIABLE, errorMessage(ER_UNKNOWN_SYSTEM_VARIABLE, expr.name), 'HY000');
      return { value: v.selected, numeric: v.numeric };
    }
    case 'word':
      throw new AnswerError(ER_BAD_FIELD_ERROR, `Unknown column '${expr.value.slice(0, 192)}' in 'field list'`, '42S22');
    case 'call':
      return evaluateCall(expr, ctx);
  }
}

async function evaluateCall(call: Extract<Expr, { kind: 'call' }>, ctx: ResponderContext): Promise<Value> {
  const { name, args } = call;
  const wrongCount = (): AnswerError =>
    new AnswerError(ER_WRONG_PARAMCOUNT_TO_NATIVE_FCT, errorMessage(ER_WRONG_PARAMCOUNT_TO_NATIVE_FCT, call.spelled), '42000');
  const noArgs = (v: Value): Value => {
    if (args.length !== 0) throw wrongCount();
    return v;
  };
  switch (name) {
    case 'unix_timestamp':
      return noArgs({ value: String(Math.floor(ctx.now().getTime() / 1000)), numeric: true });
    case 'version':
      return noArgs({ value: plainVersion(ctx.facts.serverVersion), numeric: false });
    case 'database':
    case 'schema':
      return noArgs({ value: ctx.database, numeric: false });
    case 'user':
    case 'session_user':
    case 'system_user':
      return noArgs({ value: `${ctx.user}@${ctx.clientHost}`, numeric: false });
    case 'current_user':
      // The account the session was matched to: the replication user from any host.
      return noArgs({ value: `${ctx.user}@%`, numeric: false });
    case 'connection_id':
      return noArgs({ value: String(ctx.connectionId), numeric: true });
    case 'uuid':
      // Canal names itself to the master with SET @slave_uuid=uuid().
      return noArgs({ value: randomUUID(), numeric: false });
    case 'now':
    case 'sysdate':
    case 'current_timestamp':
      return noArgs({ value: formatDateTime(ctx.now()), numeric: false });
    case 'last_insert_id':
    case 'found_rows':
      return noArgs({ value: '0', numeric: true });
    case 'ifnull':
    case 'coalesce': {
      // Orchestrator reads IFNULL(@@global.report_host, ''): the first value that is not NULL.
      if (args.length === 0 || (name === 'ifnull' && args.length !== 2)) throw wrongCount();
      let last: Value = { value: null, numeric: false };
      for (const arg of args) {
        last = await evaluate(arg, ctx);
        if (last.value !== null) return last;
      }
      return last;
    }
    case 'binlog_gtid_pos':
      if (ctx.facts.flavor === 'mariadb') {
        if (args.length !== 2) throw wrongCount();
        const file = await evaluate(args[0]!, ctx);
        const pos = await evaluate(args[1]!, ctx);
        if (file.value === null || pos.value === null || !/^\d+$/.test(pos.value.trim())) return { value: null, numeric: false };
        return { value: await ctx.binlogGtidPos(file.value, Number(pos.value)), numeric: false };
      }
      break;
  }
  // A function name is an identifier: at most 64 characters on a real server.
  throw new AnswerError(ER_SP_DOES_NOT_EXIST, errorMessage(ER_SP_DOES_NOT_EXIST, 'FUNCTION', name.slice(0, 64)), '42000');
}

async function answerSelect(items: { expr: Expr; label: string }[], ctx: ResponderContext): Promise<Answer> {
  const columns: ColumnDefinition[] = [];
  const row: ResultValue[] = [];
  let chars = 0;
  for (const item of items) {
    const v = await evaluate(item.expr, ctx);
    chars += v.value?.length ?? 0;
    // `SELECT @big, @big, …` would otherwise multiply one capped value into any size.
    if (chars > MAX_ROW_CHARS) throw tooLong();
    columns.push(v.numeric && v.value !== null ? numberColumn(item.label) : stringColumn(item.label));
    row.push(v.value);
  }
  return { kind: 'rows', columns, rows: [row] };
}

async function answerSet(stmt: Extract<Statement, { kind: 'set' }>, ctx: ResponderContext): Promise<Answer> {
  // Evaluate everything first: a failing SET changes nothing, as on the server.
  const updates: [string, UserValue][] = [];
  for (const a of stmt.assignments) {
    switch (a.target.kind) {
      case 'uservar':
        updates.push([a.target.name, await evaluate(a.value, ctx)]);
        break;
      case 'sysvar':
        if (a.target.scope === 'global') {
          return error(ER_SPECIFIC_ACCESS_DENIED_ERROR, 'Access denied; you need (at least one of) the SUPER privilege(s) for this operation', '42000');
        }
        // Session settings (net_write_timeout, autocommit, sql_mode …) do not change what a
        // binlog server sends: accepted and forgotten.
        if (a.value.kind !== 'word') await evaluate(a.value, ctx);
        break;
      case 'names':
      case 'charset':
        break;
    }
  }
  try {
    ctx.vars.assign(updates);
  } catch (err) {
    if (!(err instanceof SessionLimitError)) throw err;
    return error(ER_USER_LIMIT_REACHED, errorMessage(ER_USER_LIMIT_REACHED, ctx.user, err.resource, err.limit), '42000');
  }
  return ok;
}

/** SHOW VARIABLES / SHOW STATUS: the (name, value) pairs the filter selects (names compared
 *  without case, as the servers do). */
function answerNamedValues(all: [string, string][], filter: VariablesFilter): Answer {
  let selected = all;
  if (filter && 'like' in filter) {
    const pattern = LikePattern.compile(filter.like);
    if (!pattern) return error(ER_WRONG_VALUE, errorMessage(ER_WRONG_VALUE, 'LIKE pattern', filter.like), '22007');
    selected = all.filter(([name]) => pattern.matches(name));
  } else if (filter) {
    const wanted = new Set(filter.names.map((n) => n.toLowerCase()));
    selected = all.filter(([name]) => wanted.has(name.toLowerCase()));
  }
  return { kind: 'rows', columns: [stringColumn('Variable_name'), stringColumn('Value')], rows: selected };
}

const BINLOG_EVENTS_COLUMNS: ColumnDefinition[] = [
  stringColumn('Log_name'), numberColumn('Pos'), stringColumn('Event_type'), { name: 'Server_id', type: MYSQL_TYPE_LONG, length: 10 },
  numberColumn('End_log_pos'), stringColumn('Info'),
];

/** The first columns of SHOW SLAVE STATUS (an empty set needs no more to read). */
const REPLICA_STATUS_COLUMNS = [
  'Slave_IO_State', 'Master_Host', 'Master_User', 'Master_Port', 'Connect_Retry', 'Master_Log_File',
  'Read_Master_Log_Pos', 'Relay_Log_File', 'Relay_Log_Pos', 'Relay_Master_Log_File', 'Slave_IO_Running', 'Slave_SQL_Running',
];

/** The same in MySQL's SHOW REPLICA STATUS (8.0.22 on). */
const MYSQL_REPLICA_STATUS_COLUMNS = [
  'Replica_IO_State', 'Source_Host', 'Source_User', 'Source_Port', 'Connect_Retry', 'Source_Log_File',
  'Read_Source_Log_Pos', 'Relay_Log_File', 'Relay_Log_Pos', 'Relay_Source_Log_File', 'Replica_IO_Running', 'Replica_SQL_Running',
];

function answerMasterStatus(ctx: ResponderContext): Answer {
  const mysql = ctx.facts.flavor === 'mysql';
  const columns = [stringColumn('File'), numberColumn('Position'), stringColumn('Binlog_Do_DB'), stringColumn('Binlog_Ignore_DB')];
  if (mysql) columns.push(stringColumn('Executed_Gtid_Set'));
  const logs = ctx.binaryLogs();
  const last = logs[logs.length - 1];
  if (!last) return { kind: 'rows', columns, rows: [] };
  const row: ResultValue[] = [last.name, last.size, '', ''];
  if (mysql) row.push(ctx.facts.executedGtids);
  return { kind: 'rows', columns, rows: [row] };
}

function answerReplicaHosts(spelling: 'slave-hosts' | 'replicas', ctx: ResponderContext): Answer {
  const hosts = ctx.replicaHosts();
  const own = ctx.facts.serverId;
  if (ctx.facts.flavor === 'mariadb') {
    return {
      kind: 'rows',
      columns: [numberColumn('Server_id'), stringColumn('Host'), numberColumn('Port'), numberColumn('Master_id')],
      rows: hosts.map((h) => [h.serverId, h.host, h.port, own]),
    };
  }
  const columns =
    spelling === 'replicas'
      ? [numberColumn('Server_Id'), stringColumn('Host'), numberColumn('Port'), numberColumn('Source_Id'), stringColumn('Replica_UUID')]
      : [numberColumn('Server_id'), stringColumn('Host'), numberColumn('Port'), numberColumn('Master_id'), stringColumn('Slave_UUID')];
  return { kind: 'rows', columns, rows: hosts.map((h) => [h.serverId, h.host, h.port, own, h.uuid]) };
}
