import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MYSQL_TYPE_LONGLONG, MYSQL_TYPE_VAR_STRING } from '../../../src/mysql/column-types.js';
import { answerQuery, type Answer, type ResponderContext } from '../../../src/server/query-responder.js';
import { responderContext } from '../../helpers/responder-context.js';
import { PurgeError, type PurgeRequest } from '../../../src/relaylog/purge.js';

function context(flavor: 'mariadb' | 'mysql' = 'mariadb', overrides: Partial<ResponderContext> = {}): ResponderContext {
  const killed: number[] = [];
  return responderContext({
    facts: {
      flavor,
      serverVersion: flavor === 'mysql' ? '8.4.0-binrelay' : '5.5.5-10.11.19-MariaDB-binrelay-log',
      executedGtids: flavor === 'mysql' ? '3e11fa47-71ca-11e1-9e33-c80aa9429562:1-77' : '0-11-42,1-11-7',
      purgedGtids: flavor === 'mysql' ? '3e11fa47-71ca-11e1-9e33-c80aa9429562:1-10' : '',
      binlogBasePath: '/var/lib/binrelay/binlog/up-bin',
      expireLogsSeconds: 86_400,
    },
    connectionId: 17,
    binaryLogs: () => [{ name: 'up-bin.000001', size: 1024 }, { name: 'up-bin.000002', size: 2552 }],
    replicaHosts: () => [{ serverId: 2, host: '', port: 3407, uuid: '' }],
    kill: (id) => {
      killed.push(id);
      return id === 5;
    },
    binlogGtidPos: async (file, pos) => (file === 'up-bin.000001' && pos === 2552 ? '0-11-10' : null),
    counters: () => ({ uptimeSeconds: 3725, threadsConnected: 4, questions: 12 }),
    now: () => new Date('2026-11-23T10:00:00Z'),
    ...overrides,
  });
}

function rows(a: Answer): unknown[][] {
  assert.equal(a.kind, 'rows', JSON.stringify(a));
  return a.kind === 'rows' ? a.rows : [];
}

function errorOf(a: Answer): { code: number; message: string; sqlState: string } {
  assert.equal(a.kind, 'error', JSON.stringify(a));
  return a.kind === 'error' ? a : { code: 0, message: '', sqlState: '' };
}

describe("a MariaDB replica's query sequence (notes §3.2)", () => {
  it('answers every query of the IO thread as the real master does', async () => {
    const ctx = context();
    const ts = await answerQuery('SELECT UNIX_TIMESTAMP()', ctx);
    assert.ok(ts.kind === 'rows');
    assert.deepEqual(ts.columns.map((c) => [c.name, c.type]), [['UNIX_TIMESTAMP()', MYSQL_TYPE_LONGLONG]]);
    assert.deepEqual(ts.rows, [['1795428000']]);
    assert.deepEqual(rows(await answerQuery("SHOW VARIABLES LIKE 'SERVER_ID'", ctx)), [['server_id', '9000']]);
    assert.deepEqual(await answerQuery('SET @master_heartbeat_period= 2000000000', ctx), { kind: 'ok' });
    assert.deepEqual(await answerQuery('SET @master_binlog_checksum= @@global.binlog_checksum', ctx), { kind: 'ok' });
    assert.deepEqual(rows(await answerQuery('SELECT @master_binlog_checksum', ctx)), [['CRC32']]);
    assert.deepEqual(await answerQuery('SET @mariadb_slave_capability=4', ctx), { kind: 'ok' });
    const domain = await answerQuery('SELECT @@GLOBAL.gtid_domain_id', ctx);
    assert.ok(domain.kind === 'rows');
    assert.deepEqual(domain.columns.map((c) => [c.name, c.type]), [['@@GLOBAL.gtid_domain_id', MYSQL_TYPE_LONGLONG]]);
    assert.deepEqual(domain.rows, [['0']]);
    for (const sql of ["SET @slave_connect_state='0-11-5'", 'SET @slave_gtid_strict_mode=1', 'SET @slave_gtid_ignore_duplicates=0', 'SET NAMES latin1']) {
      assert.deepEqual(await answerQuery(sql, ctx), { kind: 'ok' }, sql);
    }
    assert.deepEqual(rows(await answerQuery("SHOW VARIABLES LIKE 'rpl_semi_sync_master_enabled'", ctx)), [], 'no semi-sync: 0 rows');
    assert.deepEqual(rows(await answerQuery("SELECT binlog_gtid_pos('up-bin.000001',2552)", ctx)), [['0-11-10']]);
    assert.deepEqual(rows(await answerQuery("SELECT binlog_gtid_pos('up-bin.000001', 3)", ctx)), [[null]]);
    const p = ctx.vars.dumpParameters('mariadb');
    assert.equal(p.heartbeatPeriodNs, 2000000000n);
    assert.equal(p.checksum, 1);
    assert.equal(p.capability, 4);
    assert.equal(p.connectState, '0-11-5');
    assert.equal(p.gtidStrictMode, true);
  });

  it("answers mariadb-binlog's SELECT VERSION() without the 5.5.5- prefix", async () => {
    assert.deepEqual(rows(await answerQuery('SELECT VERSION()', context())), [['10.11.19-MariaDB-binrelay-log']]);
  });

  it('keeps a NULL user variable NULL and an unset one NULL', async () => {
    const ctx = context();
    assert.deepEqual(rows(await answerQuery('SELECT @master_binlog_checksum', ctx)), [[null]]);
    await answerQuery('SET @x = NULL', ctx);
    assert.deepEqual(rows(await answerQuery('SELECT @x', ctx)), [[null]]);
  });

  it('answers the gtid variables from the relay state', async () => {
    const ctx = context();
    assert.deepEqual(rows(await answerQuery('SELECT @@gtid_binlog_pos, @@global.gtid_current_pos, @@gtid_slave_pos', ctx)), [['0-11-42,1-11-7', '0-11-42,1-11-7', '']]);
    assert.deepEqual(rows(await answerQuery("SHOW GLOBAL VARIABLES LIKE 'gtid\\_binlog%'", ctx)), [['gtid_binlog_pos', '0-11-42,1-11-7'], ['gtid_binlog_state', '0-11-42,1-11-7']]);
  });

  it('refuses MySQL-only variables like a MariaDB server: ER_UNKNOWN_SYSTEM_VARIABLE', async () => {
    const e = errorOf(await answerQuery('SELECT @@GLOBAL.GTID_MODE', context()));
    assert.deepEqual([e.code, e.message], [1193, "Unknown system variable 'gtid_mode'"]);
  });
});

describe("a MySQL replica's query sequence (MySQL note §1.2)", () => {
  it('answers the 8.0.26+ list, reading both spellings and evaluating @@global.binlog_checksum', async () => {
    const ctx = context('mysql');
    assert.deepEqual(rows(await answerQuery('SELECT @@GLOBAL.SERVER_ID', ctx)), [['9000']]);
    assert.deepEqual(await answerQuery('SET @master_heartbeat_period = 30000000000, @source_heartbeat_period = 30000000000', ctx), { kind: 'ok' });
    assert.deepEqual(await answerQuery('SET @master_binlog_checksum = @@global.binlog_checksum, @source_binlog_checksum = @@global.binlog_checksum', ctx), { kind: 'ok' });
    assert.deepEqual(rows(await answerQuery('SELECT @source_binlog_checksum', ctx)), [['CRC32']]);
    assert.deepEqual(rows(await answerQuery('SELECT @@GLOBAL.GTID_MODE', ctx)), [['ON']]);
    assert.deepEqual(rows(await answerQuery('SELECT @@GLOBAL.SERVER_UUID', ctx)), [['11111111-2222-4333-8444-555555555555']]);
    assert.deepEqual(await answerQuery("SET @slave_uuid = 'aaaaaaaa-0000-4000-8000-000000000001', @replica_uuid = 'aaaaaaaa-0000-4000-8000-000000000001'", ctx), { kind: 'ok' });
    const p = ctx.vars.dumpParameters('mysql');
    assert.equal(p.heartbeatPeriodNs, 30000000000n);
    assert.equal(p.replicaUuid, 'aaaaaaaa-0000-4000-8000-000000000001');
  });

  it('makes semi-sync replicas fall back to async: both probes are ER_UNKNOWN_SYSTEM_VARIABLE', async () => {
    for (const name of ['rpl_semi_sync_source_enabled', 'rpl_semi_sync_master_enabled']) {
      const e = errorOf(await answerQuery(`SELECT @@global.${name}`, context('mysql')));
      assert.deepEqual([e.code, e.sqlState, e.message], [1193, 'HY000', `Unknown system variable '${name}'`]);
    }
  });

  it('answers the 5.7 spellings too', async () => {
    const ctx = context('mysql');
    assert.deepEqual(await answerQuery('SET @master_heartbeat_period= 1000000000', ctx), { kind: 'ok' });
    assert.deepEqual(await answerQuery('SET @master_binlog_checksum= @@global.binlog_checksum', ctx), { kind: 'ok' });
    assert.deepEqual(rows(await answerQuery('SELECT @master_binlog_checksum', ctx)), [['CRC32']]);
    assert.equal(ctx.vars.dumpParameters('mysql').heartbeatPeriodNs, 1000000000n);
  });

  it('has no binlog_gtid_pos function (ER_SP_DOES_NOT_EXIST)', async () => {
    const e = errorOf(await answerQuery("SELECT binlog_gtid_pos('x', 4)", context('mysql')));
    assert.deepEqual([e.code, e.message], [1305, 'FUNCTION binlog_gtid_pos does not exist']);
  });

  it('answers go-mysql: SHOW GLOBAL VARIABLES LIKE, SET … = NONE, a trailing semicolon', async () => {
    const ctx = context('mysql');
    assert.deepEqual(rows(await answerQuery("SHOW GLOBAL VARIABLES LIKE 'BINLOG_CHECKSUM'", ctx)), [['binlog_checksum', 'CRC32']]);
    assert.deepEqual(await answerQuery("SET @master_binlog_checksum='NONE', @source_binlog_checksum='NONE'", ctx), { kind: 'ok' });
    assert.equal(ctx.vars.dumpParameters('mysql').checksum, 0);
    assert.deepEqual(await answerQuery('SET @rpl_semi_sync_slave = 1, @rpl_semi_sync_replica = 1;', ctx), { kind: 'ok' });
    assert.equal(ctx.vars.dumpParameters('mysql').semiSync, true);
    assert.deepEqual(rows(await answerQuery("SHOW VARIABLES WHERE Variable_name IN ('rpl_semi_sync_master_enabled', 'rpl_semi_sync_source_enabled')", ctx)), []);
  });
});

describe('operator statements', () => {
  it('SHOW MASTER STATUS / SHOW BINARY LOG STATUS give the last file and its end', async () => {
    for (const sql of ['SHOW MASTER STATUS', 'SHOW BINARY LOG STATUS']) {
      const a = await answerQuery(sql, context());
      assert.ok(a.kind === 'rows');
      assert.deepEqual(a.columns.map((c) => c.name), ['File', 'Position', 'Binlog_Do_DB', 'Binlog_Ignore_DB']);
      assert.deepEqual(a.rows, [['up-bin.000002', 2552, '', '']]);
    }
    const m = await answerQuery('SHOW MASTER STATUS', context('mysql'));
    assert.ok(m.kind === 'rows');
    assert.deepEqual(m.rows[0], ['up-bin.000002', 2552, '', '', '3e11fa47-71ca-11e1-9e33-c80aa9429562:1-77']);
    const empty = await answerQuery('SHOW MASTER STATUS', context('mariadb', { binaryLogs: () => [] }));
    assert.deepEqual(rows(empty), []);
  });

  it('SHOW BINARY LOGS lists every file with its size', async () => {
    assert.deepEqual(rows(await answerQuery('SHOW BINARY LOGS', context())), [['up-bin.000001', 1024], ['up-bin.000002', 2552]]);
    assert.deepEqual(rows(await answerQuery('SHOW MASTER LOGS', context('mysql'))), [['up-bin.000001', 1024, 'No'], ['up-bin.000002', 2552, 'No']]);
  });

  it('SHOW GRANTS names the one account (any host) and its replication rights, no password; another account is 1141', async () => {
    for (const sql of ['SHOW GRANTS', 'SHOW GRANTS FOR CURRENT_USER', 'SHOW GRANTS FOR CURRENT_USER()', "SHOW GRANTS FOR 'repl'@'%'", 'SHOW GRANTS FOR repl', 'SHOW GRANTS FOR `repl`@`%`']) {
      const a = await answerQuery(sql, context());
      assert.ok(a.kind === 'rows', sql);
      assert.deepEqual(a.columns.map((c) => c.name), ['Grants for repl@%'], sql);
      assert.deepEqual(a.rows, [['GRANT REPLICATION SLAVE, BINLOG MONITOR, REPLICATION MASTER ADMIN, BINLOG ADMIN ON *.* TO `repl`@`%`']], sql);
    }
    assert.deepEqual(rows(await answerQuery('SHOW GRANTS', context('mysql'))), [
      ['GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO `repl`@`%`'], ['GRANT BINLOG_ADMIN ON *.* TO `repl`@`%`'],
    ]);
    for (const [sql, user, host] of [["SHOW GRANTS FOR 'nobody'@'h'", 'nobody', 'h'], ["SHOW GRANTS FOR 'repl'@'10.0.0.1'", 'repl', '10.0.0.1'], ["SHOW GRANTS FOR 'Repl'", 'Repl', '%']] as const) {
      assert.deepEqual(errorOf(await answerQuery(sql, context())), { kind: 'error', code: 1141, sqlState: '42000', message: `There is no such grant defined for user '${user}' on host '${host}'` });
    }
    assert.equal(errorOf(await answerQuery('SHOW GRANTS FOR', context())).code, 1064);
  });

  it('SHOW [FULL] PROCESSLIST lists the sessions in the flavor’s columns and states; the asking one runs the statement', async () => {
    const at = Date.parse('2026-11-23T10:00:00Z');
    const processes = () => [
      { id: 3, host: '10.0.0.2:51000', command: 'Binlog Dump' as const, sinceMs: at - 95_500, waiting: true },
      { id: 4, host: '10.0.0.3:51001', command: 'Binlog Dump GTID' as const, sinceMs: at - 2_000, waiting: false },
      { id: 9, host: '10.0.0.4:51002', command: 'Sleep' as const, sinceMs: at - 7_000, waiting: null },
      { id: 17, host: '127.0.0.1:51003', command: 'Sleep' as const, sinceMs: at - 1_000, waiting: null },
    ];
    const a = await answerQuery('SHOW PROCESSLIST', context('mariadb', { processes }));
    assert.ok(a.kind === 'rows');
    assert.deepEqual(a.columns.map((c) => c.name), ['Id', 'User', 'Host', 'db', 'Command', 'Time', 'State', 'Info', 'Progress']);
    assert.deepEqual(a.rows, [
      [3, 'repl', '10.0.0.2:51000', null, 'Binlog Dump', 95, 'Master has sent all binlog to slave; waiting for more updates', null, '0.000'],
      [4, 'repl', '10.0.0.3:51001', null, 'Binlog Dump GTID', 2, 'Sending binlog event to slave', null, '0.000'],
      [9, 'repl', '10.0.0.4:51002', null, 'Sleep', 7, '', null, '0.000'],
      [17, 'repl', '127.0.0.1:51003', null, 'Query', 0, 'starting', 'SHOW PROCESSLIST', '0.000'],
    ]);
    const m = await answerQuery('show full processlist', context('mysql', { processes }));
    assert.ok(m.kind === 'rows');
    assert.deepEqual(m.columns.map((c) => c.name), ['Id', 'User', 'Host', 'db', 'Command', 'Time', 'State', 'Info']);
    assert.deepEqual(m.rows[0]!.slice(4, 7), ['Binlog Dump', 95, 'Source has sent all binlog to replica; waiting for more updates']);
    assert.deepEqual(m.rows[3], [17, 'repl', '127.0.0.1:51003', null, 'Query', 0, 'init', 'show full processlist']);
    // Info is the statement as sent, its first 100 characters without FULL.
    const long = `SHOW PROCESSLIST /* ${'x'.repeat(120)} */`;
    assert.equal(rows(await answerQuery(long, context('mariadb', { processes })))[3]![7], long.slice(0, 100));
    assert.equal(rows(await answerQuery(long.replace('SHOW', 'SHOW FULL'), context('mariadb', { processes })))[3]![7], long.replace('SHOW', 'SHOW FULL'));
  });

  it('CURRENT_USER() is the account (user@%), USER() the client', async () => {
    assert.deepEqual(rows(await answerQuery('SELECT CURRENT_USER(), USER()', context())), [['repl@%', 'repl@127.0.0.1']]);
  });

  it('DO evaluates its expressions for their errors and answers OK', async () => {
    assert.equal((await answerQuery('DO 1, @@server_id', context())).kind, 'ok');
    assert.equal(errorOf(await answerQuery('DO NOSUCH(1)', context())).code, 1305);
    assert.equal(errorOf(await answerQuery('DO @@no_such_variable', context())).code, 1193);
  });

  it('retention by age shows as binlog_expire_logs_seconds (and MariaDB expire_logs_days); the files as log_bin_basename', async () => {
    assert.deepEqual(rows(await answerQuery('SELECT @@binlog_expire_logs_seconds, @@expire_logs_days, @@log_bin_basename, @@log_bin_index, @@tx_read_only', context())),
      [['86400', '1', '/var/lib/binrelay/binlog/up-bin', '/var/lib/binrelay/binlog/up-bin.index', '0']]);
    assert.deepEqual(rows(await answerQuery("SHOW VARIABLES WHERE Variable_name IN ('expire_logs_days', 'binlog_expire_logs_seconds', 'tx_read_only')", context())),
      [['binlog_expire_logs_seconds', '86400'], ['expire_logs_days', '1.000000'], ['tx_read_only', 'OFF']]);
    assert.deepEqual(rows(await answerQuery('SELECT @@transaction_read_only', context('mysql'))), [['0']]);
    assert.equal(errorOf(await answerQuery('SELECT @@expire_logs_days', context('mysql'))).code, 1193);
    const before = context('mariadb');
    before.facts.binlogBasePath = null;
    assert.deepEqual(rows(await answerQuery('SELECT @@log_bin_basename', before)), [[null]]);
  });

  it('SHOW SLAVE HOSTS / SHOW REPLICAS list registered replicas in the flavor’s columns', async () => {
    const m = await answerQuery('SHOW SLAVE HOSTS', context());
    assert.ok(m.kind === 'rows');
    assert.deepEqual(m.columns.map((c) => c.name), ['Server_id', 'Host', 'Port', 'Master_id']);
    assert.deepEqual(m.rows, [[2, '', 3407, 9000]]);
    const r = await answerQuery('SHOW REPLICAS', context('mysql'));
    assert.ok(r.kind === 'rows');
    assert.deepEqual(r.columns.map((c) => c.name), ['Server_Id', 'Host', 'Port', 'Source_Id', 'Replica_UUID']);
  });

  it('SHOW STATUS lists the server\'s counters under the filters of SHOW VARIABLES, names matched without case', async () => {
    assert.deepEqual(rows(await answerQuery('SHOW GLOBAL STATUS', context())), [['Questions', '12'], ['Threads_connected', '4'], ['Uptime', '3725'], ['Uptime_since_flush_status', '3725']]);
    assert.deepEqual(rows(await answerQuery("SHOW STATUS LIKE 'uptime'", context())), [['Uptime', '3725']]);
    assert.deepEqual(rows(await answerQuery("SHOW STATUS WHERE Variable_name = 'THREADS_CONNECTED'", context())), [['Threads_connected', '4']]);
    assert.deepEqual(rows(await answerQuery("SHOW STATUS LIKE 'Com_%'", context())), []);
  });

  it('SELECT gives a boolean variable as 1/0 (SHOW VARIABLES as ON/OFF) and report_host as NULL; IFNULL and COALESCE take the first value set', async () => {
    const orchestrator = "select @@global.hostname, ifnull(@@global.report_host, ''), @@global.server_id, @@global.read_only, @@global.log_bin, @@global.log_slave_updates";
    const a = await answerQuery(orchestrator, context());
    assert.ok(a.kind === 'rows');
    assert.deepEqual(a.rows, [['relay-host', '', '9000', '1', '1', '1']]);
    assert.deepEqual(a.columns.slice(3).map((c) => c.type), [MYSQL_TYPE_LONGLONG, MYSQL_TYPE_LONGLONG, MYSQL_TYPE_LONGLONG]);
    assert.deepEqual(rows(await answerQuery('SELECT @@report_host, COALESCE(@@report_host, NULL), COALESCE(NULL, @@autocommit, 5)', context())), [[null, null, '1']]);
    assert.deepEqual(rows(await answerQuery("SHOW VARIABLES WHERE Variable_name IN ('read_only', 'report_host')", context())), [['read_only', 'ON'], ['report_host', '']]);
    // The count errors are mariadbd 10.11's, the name as written.
    assert.deepEqual(errorOf(await answerQuery('SELECT IFNULL(1)', context())), {
      kind: 'error', code: 1582, sqlState: '42000', message: "Incorrect parameter count in the call to native function 'IFNULL'",
    });
    assert.equal(errorOf(await answerQuery('SELECT coalesce()', context())).message, "Incorrect parameter count in the call to native function 'coalesce'");
    assert.equal(errorOf(await answerQuery('SELECT VERSION(1)', context())).code, 1582);
  });

  it('SHOW SLAVE STATUS is an empty set, as on a master that replicates from no one', async () => {
    for (const sql of ['SHOW SLAVE STATUS', 'SHOW REPLICA STATUS', 'SHOW ALL SLAVES STATUS']) {
      const a = await answerQuery(sql, context());
      assert.ok(a.kind === 'rows', sql);
      assert.deepEqual(a.rows, [], sql);
      assert.deepEqual(a.columns.slice(0, 2).map((c) => c.name), ['Slave_IO_State', 'Master_Host'], sql);
    }
    // MySQL names the columns of SHOW REPLICA STATUS after replicas and sources.
    const mysql = await answerQuery('SHOW REPLICA STATUS', context('mysql'));
    assert.ok(mysql.kind === 'rows');
    assert.deepEqual([mysql.rows, mysql.columns.slice(0, 2).map((c) => c.name)], [[], ['Replica_IO_State', 'Source_Host']]);
  });

  it('KILL answers OK for a live connection and 1094 for an unknown one', async () => {
    assert.deepEqual(await answerQuery('KILL 5', context()), { kind: 'ok' });
    const e = errorOf(await answerQuery('KILL CONNECTION 6', context()));
    assert.deepEqual([e.code, e.message], [1094, 'Unknown thread id: 6']);
  });

  it('refuses SET GLOBAL and accepts session settings without effect', async () => {
    assert.equal(errorOf(await answerQuery('SET GLOBAL read_only = 0', context())).code, 1227);
    assert.deepEqual(await answerQuery('SET SESSION net_write_timeout = 3600', context()), { kind: 'ok' });
    assert.deepEqual(await answerQuery('SET autocommit=1, sql_mode=\'\'', context()), { kind: 'ok' });
  });

  it('answers an unknown statement with ER_PARSE_ERROR in the flavor’s words', async () => {
    const e = errorOf(await answerQuery('FLUSH LOGS', context()));
    assert.deepEqual(e, {
      kind: 'error', code: 1064, sqlState: '42000',
      message: "You have an error in your SQL syntax; check the manual that corresponds to your MariaDB server version for the right syntax to use near 'FLUSH LOGS' at line 1",
    });
    assert.match(errorOf(await answerQuery('FLUSH LOGS', context('mysql'))).message, /corresponds to your MySQL server version/);
    assert.equal(errorOf(await answerQuery('', context())).code, 1065);
  });

  it('answers the mariadb CLI greeting query and common client probes', async () => {
    const ctx = context();
    assert.deepEqual(rows(await answerQuery('select @@version_comment limit 1', ctx)), [['binrelay binlog server']]);
    assert.deepEqual(rows(await answerQuery('SELECT DATABASE(), USER(), CONNECTION_ID()', ctx)), [[null, 'repl@127.0.0.1', '17']]);
    const cols = await answerQuery("SELECT 'x' AS a, 2 b", ctx);
    assert.ok(cols.kind === 'rows');
    assert.deepEqual(cols.columns.map((c) => [c.name, c.type]), [['a', MYSQL_TYPE_VAR_STRING], ['b', MYSQL_TYPE_LONGLONG]]);
    assert.equal(errorOf(await answerQuery('SELECT nosuchcolumn', ctx)).code, 1054);
    assert.equal(errorOf(await answerQuery('SELECT nosuchfunction()', ctx)).code, 1305);
  });

  it('gives UUID() a fresh UUID each call, for the replica UUID Canal sets with SET @slave_uuid=uuid()', async () => {
    const ctx = context();
    assert.equal((await answerQuery('set @slave_uuid=uuid()', ctx)).kind, 'ok');
    const [set] = rows(await answerQuery('SELECT @slave_uuid, UUID()', ctx));
    assert.match(String(set![0]), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.notEqual(set![0], set![1]);
    assert.equal(errorOf(await answerQuery('SELECT UUID(1)', ctx)).code, 1582);
  });
});

describe('PURGE BINARY LOGS', () => {
  /** A context whose purge records its requests and answers `result` (or throws it). */
  function purging(result: { purged: string[]; heldBack: string[] } | Error = { purged: ['up-bin.000001'], heldBack: [] }) {
    const asked: PurgeRequest[] = [];
    const ctx = context('mariadb', {
      purgeBinaryLogs: async (request) => {
        asked.push(request);
        if (result instanceof Error) throw result;
        return result;
      },
      dumpsReading: (file) => (file === 'up-bin.000002' ? 2 : 0),
      now: () => new Date('2026-11-23T10:00:00.600Z'),
    });
    return { ctx, asked };
  }

  it('TO passes the file name as written and answers a plain OK', async () => {
    const { ctx, asked } = purging();
    assert.deepEqual(await answerQuery("PURGE BINARY LOGS TO 'up-bin.000002'", ctx), { kind: 'ok' });
    assert.deepEqual(await answerQuery('PURGE MASTER LOGS TO "./up-bin.000002"', ctx), { kind: 'ok' });
    assert.deepEqual(asked, [{ to: 'up-bin.000002' }, { to: './up-bin.000002' }]);
  });

  it('BEFORE evaluates literals, NOW() and intervals in UTC', async () => {
    const { ctx, asked } = purging();
    for (const sql of ["PURGE BINARY LOGS BEFORE '2026-12-04 10:00:00'", "PURGE BINARY LOGS BEFORE '2026-12-04 10:00:00.250'", "PURGE BINARY LOGS BEFORE '2026-12-04'",
      'PURGE BINARY LOGS BEFORE NOW()', 'PURGE BINARY LOGS BEFORE CURRENT_TIMESTAMP - INTERVAL 7 DAY', 'PURGE BINARY LOGS BEFORE DATE_SUB(NOW(), INTERVAL 1 HOUR)']) {
      assert.deepEqual(await answerQuery(sql, ctx), { kind: 'ok' }, sql);
    }
    assert.deepEqual(asked.map((r) => ('before' in r ? r.before.toISOString() : r.to)), [
      '2026-12-04T10:00:00.000Z', '2026-12-04T10:00:00.250Z', '2026-12-04T00:00:00.000Z',
      '2026-11-23T10:00:00.000Z', '2026-11-16T10:00:00.000Z', '2026-11-23T09:00:00.000Z',
    ]);
  });

  it('a time the server cannot read purges nothing and answers OK with its warning, listed by SHOW WARNINGS', async () => {
    const { ctx, asked } = purging();
    assert.deepEqual(await answerQuery("PURGE BINARY LOGS BEFORE 'garbage'", ctx), {
      kind: 'ok', warnings: [{ level: 'Warning', code: 1292, message: "Incorrect datetime value: 'garbage'" }],
    });
    assert.deepEqual(await answerQuery("PURGE BINARY LOGS BEFORE '0000-00-00 00:00:00'", ctx), { kind: 'ok' });
    assert.deepEqual(asked, []);
    assert.deepEqual(rows(await answerQuery('SHOW WARNINGS', ctx)), [['Warning', 1292, "Incorrect datetime value: 'garbage'"]]);
    assert.deepEqual(rows(await answerQuery('SHOW ERRORS', ctx)), []);
  });

  it('a truncated literal still purges, with its warning', async () => {
    const { ctx, asked } = purging();
    const a = await answerQuery("PURGE BINARY LOGS BEFORE '2026-12-04 10:00:00 +01:00'", ctx);
    assert.deepEqual(a, { kind: 'ok', warnings: [{ level: 'Warning', code: 1292, message: "Truncated incorrect datetime value: '2026-12-04 10:00:00 +01:00'" }] });
    assert.deepEqual(asked, [{ before: new Date('2026-12-04T10:00:00Z') }]);
  });

  it('files kept on disk for a reader are warned about with 1867, one each', async () => {
    const { ctx } = purging({ purged: ['up-bin.000001', 'up-bin.000002', 'up-bin.000003'], heldBack: ['up-bin.000002', 'up-bin.000003'] });
    assert.deepEqual(await answerQuery("PURGE BINARY LOGS TO 'up-bin.000004'", ctx), {
      kind: 'ok',
      warnings: [
        { level: 'Warning', code: 1867, message: 'file up-bin.000002 was not purged because it was being read by 2 thread(s), purged only 1 out of 3 files' },
        { level: 'Warning', code: 1867, message: 'file up-bin.000003 was not purged because it was being read by 1 thread(s), purged only 1 out of 3 files' },
      ],
    });
  });

  it('maps every PurgeError to the master’s error', async () => {
    const cases: [PurgeError, number, string, string][] = [
      [new PurgeError('PURGE_TARGET_NOT_FOUND', 'no up-bin.000099'), 1373, 'HY000', 'Target log not found in binlog index'],
      [new PurgeError('PURGE_UNAVAILABLE', 'no purge here'), 1375, 'HY000', 'Server configuration does not permit binlog purge'],
      [new PurgeError('PURGE_NOT_LEADER', 'this node is not the leader; the leader is n2'), 1105, 'HY000', 'this node is not the leader; the leader is n2'],
    ];
    for (const [err, code, sqlState, message] of cases) {
      const { ctx } = purging(err);
      assert.deepEqual(errorOf(await answerQuery("PURGE BINARY LOGS TO 'up-bin.000099'", ctx)), { kind: 'error', code, sqlState, message }, err.code);
      assert.deepEqual(rows(await answerQuery('SHOW ERRORS', ctx)), [['Error', code, message]]);
    }
  });

  it('lets other failures through (the session answers ER_UNKNOWN_ERROR and logs them)', async () => {
    const { ctx } = purging(new Error('disk on fire'));
    await assert.rejects(answerQuery("PURGE BINARY LOGS TO 'up-bin.000002'", ctx), /disk on fire/);
  });

  it('keeps the warning list across statements that raise nothing, as a server without tables does', async () => {
    const { ctx } = purging();
    await answerQuery("PURGE BINARY LOGS BEFORE 'garbage'", ctx);
    assert.deepEqual(await answerQuery('SELECT 1', ctx), { kind: 'rows', columns: [{ name: '1', type: MYSQL_TYPE_LONGLONG }], rows: [['1']] });
    assert.equal(rows(await answerQuery('SHOW WARNINGS', ctx)).length, 1);
    await answerQuery('SELECT nosuch()', ctx);
    assert.deepEqual(rows(await answerQuery('SHOW WARNINGS', ctx)), [['Error', 1305, 'FUNCTION nosuch does not exist']]);
  });
});

describe('per-session caps', () => {
  it('refuses user variable 257 with ER_USER_LIMIT_REACHED and keeps the session as it was', async () => {
    const ctx = context();
    for (let i = 0; i < 256; i += 4) {
      assert.equal((await answerQuery(`SET @v${i} = 1, @v${i + 1} = 1, @v${i + 2} = 1, @v${i + 3} = 1`, ctx)).kind, 'ok');
    }
    assert.deepEqual(errorOf(await answerQuery('SET @one_too_many = 1', ctx)), {
      kind: 'error', code: 1226, sqlState: '42000', message: "User 'repl' has exceeded the 'user_variables' resource (current value: 256)",
    });
    assert.equal(ctx.vars.size, 256);
    assert.equal((await answerQuery('SET @v0 = 2', ctx)).kind, 'ok', 'an existing variable can still change');
  });

  it('caps the characters all user variables hold together', async () => {
    const ctx = context();
    const value = 'x'.repeat(60_000);
    let refused: Answer | null = null;
    for (let i = 0; i < 40 && refused === null; i++) {
      const a = await answerQuery(`SET @big${i} = '${value}'`, ctx);
      if (a.kind === 'error') refused = a;
    }
    assert.ok(refused, 'refused before 40 × 60 000 characters');
    assert.equal(errorOf(refused).code, 1226);
    assert.match(errorOf(refused).message, /'user_variables_size'/);
  });

  it('refuses an 8 MiB literal with ER_TOO_LONG_STRING instead of echoing it back twice', async () => {
    const ctx = context();
    const literal = 'a'.repeat(8 * 1024 * 1024);
    assert.deepEqual(errorOf(await answerQuery(`SELECT '${literal}'`, ctx)), {
      kind: 'error', code: 1162, sqlState: '42000', message: "Result string is longer than 'max_allowed_packet' bytes",
    });
    assert.equal(errorOf(await answerQuery(`SET @x = '${literal}'`, ctx)).code, 1162);
    assert.equal(ctx.vars.has('x'), false);
  });

  it('names a column after at most 256 characters of its select item', async () => {
    const ctx = context();
    const a = await answerQuery(`SELECT '${'b'.repeat(1000)}'`, ctx);
    assert.ok(a.kind === 'rows');
    assert.equal(a.columns[0]!.name.length, 256);
    const aliased = await answerQuery(`SELECT 1 AS \`${'c'.repeat(1000)}\``, ctx);
    assert.ok(aliased.kind === 'rows');
    assert.equal(aliased.columns[0]!.name.length, 256);
  });

  it('refuses a row that repeats a big variable past 1 MiB with ER_TOO_LONG_STRING', async () => {
    const ctx = context();
    assert.equal((await answerQuery(`SET @v = '${'y'.repeat(60_000)}'`, ctx)).kind, 'ok');
    assert.equal(errorOf(await answerQuery(`SELECT ${Array(20).fill('@v').join(', ')}`, ctx)).code, 1162);
  });

  it('answers expressions nested past 64 levels, or statements past 10 000 tokens, with ER_PARSE_ERROR (no stack overflow)', async () => {
    const ctx = context();
    assert.deepEqual(rows(await answerQuery(`SELECT ${'('.repeat(60)}1${')'.repeat(60)}`, ctx)), [['1']]);
    assert.equal(errorOf(await answerQuery(`SELECT ${'('.repeat(100_000)}1${')'.repeat(100_000)}`, ctx)).code, 1064);
    assert.equal(errorOf(await answerQuery(`SELECT ${'version('.repeat(10_000)}${')'.repeat(10_000)}`, ctx)).code, 1064);
    assert.equal(errorOf(await answerQuery(`SELECT ${Array(20_000).fill('1').join(',')}`, ctx)).code, 1064);
  });

  it(`refuses a LIKE pattern over 1024 characters with ER_WRONG_VALUE`, async () => {
    const ctx = context();
    const e = errorOf(await answerQuery(`SHOW VARIABLES LIKE '${'%'.repeat(2000)}'`, ctx));
    assert.equal(e.code, 1525);
    assert.ok(e.message.length < 200, 'the pattern is not echoed whole');
  });
});
