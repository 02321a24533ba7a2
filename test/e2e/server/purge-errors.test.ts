// PURGE BINARY LOGS as a real MariaDB answers it, statement by statement beside the binlog
// server's responder: the error codes, SQLSTATEs and texts, the warnings and when nothing is
// purged. A MariaDB release that changes any of them fails here.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import mysql from 'mysql2/promise';
import { run, startMariaDb, type MariaDb } from '../../helpers/mariadb.js';
import { answerQuery, type Answer } from '../../../src/server/query-responder.js';
import type { SqlCondition } from '../../../src/server/session-warnings.js';
import { responderContext } from '../../helpers/responder-context.js';
import { PurgeError, type PurgeRequest } from '../../../src/relaylog/purge.js';
import { SERVER_ERRORS } from '../../../src/mysql/error-codes.js';

let db: MariaDb;
let conn: mysql.Connection;

before(async () => {
  db = await startMariaDb();
  conn = await mysql.createConnection({ host: '127.0.0.1', port: db.port, user: 'root' });
  for (let i = 0; i < 3; i++) await conn.query('FLUSH BINARY LOGS');
});

after(async () => {
  await conn?.end();
  await db?.stop();
});

/** What a client sees: the error, or OK with the statement's distinct conditions. MariaDB
 *  evaluates a BEFORE expression with INTERVAL twice and so repeats its warnings; we raise once. */
type Outcome = { error: { code: number; sqlState: string; message: string } } | { ok: SqlCondition[] };

function distinct(conditions: SqlCondition[]): SqlCondition[] {
  return [...new Map(conditions.map((c) => [JSON.stringify(c), c])).values()];
}

async function binaryLogs(): Promise<string[]> {
  const [rows] = await conn.query('SHOW BINARY LOGS');
  return (rows as { Log_name: string }[]).map((r) => r.Log_name);
}

async function mariadb(sql: string): Promise<Outcome> {
  try {
    const [header] = await conn.query(sql);
    const count = (header as { warningStatus: number }).warningStatus;
    if (count === 0) return { ok: [] };
    const [rows] = await conn.query('SHOW WARNINGS');
    return { ok: distinct((rows as { Level: SqlCondition['level']; Code: number; Message: string }[]).map((r) => ({ level: r.Level, code: r.Code, message: r.Message }))) };
  } catch (err) {
    const e = err as { errno: number; sqlState: string; sqlMessage: string };
    return { error: { code: e.errno, sqlState: e.sqlState, message: e.sqlMessage } };
  }
}

/** The responder over a relay holding MariaDB's binlog files, purging as MariaDB's index would. */
async function relay(sql: string, asked: PurgeRequest[]): Promise<Outcome> {
  const files = await binaryLogs();
  const ctx = responderContext({
    facts: { serverVersion: '5.5.5-10.11.18-MariaDB-binrelay-log', hostname: 'relay' },
    user: 'root',
    binaryLogs: () => files.map((name) => ({ name, size: 256 })),
    purgeBinaryLogs: async (request) => {
      asked.push(request);
      if ('to' in request && !files.includes(request.to)) throw new PurgeError('PURGE_TARGET_NOT_FOUND', `${request.to} is not in the binlog index`);
      return { purged: [], heldBack: [] };
    },
  });
  const answer: Answer = await answerQuery(sql, ctx);
  if (answer.kind === 'error') return { error: { code: answer.code, sqlState: answer.sqlState, message: answer.message } };
  assert.equal(answer.kind, 'ok', sql);
  return { ok: answer.kind === 'ok' ? answer.warnings ?? [] : [] };
}

async function same(sql: string, purges: boolean): Promise<Outcome> {
  const asked: PurgeRequest[] = [];
  const ours = await relay(sql, asked);
  const theirs = await mariadb(sql);
  assert.deepEqual(ours, theirs, sql);
  assert.equal(asked.length > 0, purges, `${sql}: asks the node to purge`);
  return theirs;
}

test('TO a file not in the index is 1373 "Target log not found in binlog index"', async () => {
  const outcome = await same("PURGE BINARY LOGS TO 'nope-bin.000001'", true);
  assert.deepEqual(outcome, { error: { code: 1373, sqlState: 'HY000', message: 'Target log not found in binlog index' } });
  // Names are matched as written: a path to a listed file is not in the index either.
  await same(`PURGE BINARY LOGS TO './${(await binaryLogs())[1]}'`, true);
});

test('TO the active file purges every file before it, with a plain OK', async () => {
  const files = await binaryLogs();
  const active = files[files.length - 1]!;
  assert.ok(files.length > 1);
  await same(`PURGE MASTER LOGS TO '${active}'`, true);
  // MariaDB also keeps, silently, a file whose binlog checkpoint is still pending right after the
  // rotation: the purge completes once InnoDB has checkpointed it.
  const deadline = Date.now() + 10_000;
  while ((await binaryLogs()).length > 1 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(await mariadb(`PURGE MASTER LOGS TO '${active}'`), { ok: [] });
  }
  assert.deepEqual(await binaryLogs(), [active]);
});

test('a time MariaDB cannot read is OK with warning 1292 and purges nothing', async () => {
  for (const sql of ["PURGE BINARY LOGS BEFORE 'garbage'", "PURGE BINARY LOGS BEFORE '2026-02-30'", "PURGE BINARY LOGS BEFORE '2026-12-04 25:00:00'", "PURGE BINARY LOGS BEFORE ''"]) {
    const outcome = await same(sql, false);
    assert.ok('ok' in outcome && outcome.ok[0]?.code === 1292 && /^Incorrect datetime value: '/.test(outcome.ok[0].message), sql);
  }
  await same("PURGE BINARY LOGS BEFORE '0000-00-00 00:00:00'", false);
});

test('ignored characters warn "Truncated incorrect date|datetime value" and the rest is used', async () => {
  await same("PURGE BINARY LOGS BEFORE '2020-12-04xyz'", true);
  await same("PURGE BINARY LOGS BEFORE '2020-12-04 10:00:00 +01:00'", true);
  await same("PURGE BINARY LOGS BEFORE '2020-12-04 10:00:00.1234567'", true);
});

test('valid times purge without warnings; leaving the datetime range warns 1441', async () => {
  for (const sql of ["PURGE BINARY LOGS BEFORE '2020-12-04 10:00:00'", "PURGE BINARY LOGS BEFORE '2020-12-04 10:00:00.250'", "PURGE BINARY LOGS BEFORE '2020-12-04'",
    'PURGE BINARY LOGS BEFORE 20201204100000', 'PURGE BINARY LOGS BEFORE NOW() - INTERVAL 1 DAY', 'PURGE BINARY LOGS BEFORE DATE_SUB(NOW(), INTERVAL 1 HOUR)',
    'PURGE BINARY LOGS BEFORE CURRENT_TIMESTAMP - INTERVAL 7 DAY']) {
    await same(sql, true);
  }
  await same("PURGE BINARY LOGS BEFORE '9999-12-31 23:59:59' + INTERVAL 1 DAY", false);
});

test('warnings carry the SQLSTATEs of the catalogue', async () => {
  const cases: [string, number][] = [["PURGE BINARY LOGS BEFORE 'garbage'", 1292], ["PURGE BINARY LOGS BEFORE '9999-12-31' + INTERVAL 1 DAY", 1441]];
  for (const [sql, code] of cases) {
    await conn.query(sql);
    await conn.query('GET DIAGNOSTICS CONDITION 1 @state = RETURNED_SQLSTATE, @errno = MYSQL_ERRNO');
    const [rows] = await conn.query('SELECT @state AS state, @errno AS errno');
    const [row] = rows as { state: string; errno: number }[];
    assert.deepEqual({ state: row!.state, errno: Number(row!.errno) }, { state: SERVER_ERRORS.get(code)!.sqlState, errno: code }, sql);
  }
});

test("the catalogue's PURGE templates are MariaDB's (perror), including those no statement here provokes", async () => {
  const codes = [1292, 1373, 1375, 1441, 1525, 1867];
  const out = await run('perror', codes.map(String));
  for (const code of codes) {
    const def = SERVER_ERRORS.get(code)!;
    assert.ok(out.stdout.includes(`error code ${code} (${def.name}): ${def.template}\n`), `${code}: ${out.stdout}`);
  }
});
