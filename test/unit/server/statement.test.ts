import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseStatement, type Statement } from '../../../src/server/statement.js';
import { tokenize } from '../../../src/server/sql-lexer.js';
import type { TimeExpr } from '../../../src/server/sql-datetime.js';

function parsed(sql: string): Statement {
  const s = parseStatement(sql);
  assert.ok(s, `"${sql}" parses`);
  return s;
}

describe('statement shapes', () => {
  it('reads SELECT UNIX_TIMESTAMP() however it is spelled, and labels the column as written', () => {
    for (const sql of ['SELECT UNIX_TIMESTAMP()', 'select unix_timestamp()', '  SELECT   UNIX_TIMESTAMP ( )  ', 'SELECT UNIX_TIMESTAMP();', '/* probe */ SELECT UNIX_TIMESTAMP()']) {
      const s = parsed(sql);
      assert.equal(s.kind, 'select', sql);
      if (s.kind !== 'select') continue;
      const expr = s.items[0]!.expr;
      assert.ok(expr.kind === 'call', sql);
      assert.deepEqual([expr.name, expr.args], ['unix_timestamp', []], sql);
      assert.equal(expr.spelled, sql.includes('unix_timestamp') ? 'unix_timestamp' : 'UNIX_TIMESTAMP', 'the name as written');
    }
    const s = parsed('SELECT UNIX_TIMESTAMP()');
    assert.equal(s.kind === 'select' && s.items[0]!.label, 'UNIX_TIMESTAMP()');
  });

  it('reads system variables with any scope spelling and keeps the label a server would print', () => {
    const cases: [string, string, 'global' | 'session' | null, string][] = [
      ['SELECT @@GLOBAL.gtid_domain_id', 'gtid_domain_id', 'global', '@@GLOBAL.gtid_domain_id'],
      ['select @@global.SERVER_ID', 'server_id', 'global', '@@global.SERVER_ID'],
      ['SELECT @@session.server_uuid', 'server_uuid', 'session', '@@session.server_uuid'],
      ['SELECT @@local.version', 'version', 'session', '@@local.version'],
      ['SELECT @@`binlog_checksum`', 'binlog_checksum', null, '@@`binlog_checksum`'],
      ['select @@version_comment limit 1', 'version_comment', null, '@@version_comment'],
    ];
    for (const [sql, name, scope, label] of cases) {
      const s = parsed(sql);
      assert.ok(s.kind === 'select');
      assert.deepEqual(s.items[0]!.expr, { kind: 'sysvar', name, scope }, sql);
      assert.equal(s.items[0]!.label, label, sql);
    }
  });

  it('reads several select items, aliases and user variables', () => {
    const s = parsed('SELECT @master_binlog_checksum, @@server_id AS id, VERSION() v, 1 FROM DUAL');
    assert.ok(s.kind === 'select');
    assert.deepEqual(s.items.map((i) => i.label), ['@master_binlog_checksum', 'id', 'v', '1']);
    assert.deepEqual(s.items[0]!.expr, { kind: 'uservar', name: 'master_binlog_checksum' });
    assert.deepEqual(parsed("SELECT @`Slave_Connect_State`").kind === 'select' && (parsed("SELECT @`Slave_Connect_State`") as { items: { expr: unknown }[] }).items[0]!.expr, { kind: 'uservar', name: 'slave_connect_state' });
  });

  it("reads binlog_gtid_pos('file', pos) with its arguments", () => {
    const s = parsed("SELECT binlog_gtid_pos('up-bin.000001',2552)");
    assert.ok(s.kind === 'select');
    assert.deepEqual(s.items[0]!.expr, {
      kind: 'call', name: 'binlog_gtid_pos', spelled: 'binlog_gtid_pos',
      args: [{ kind: 'literal', value: 'up-bin.000001', numeric: false }, { kind: 'literal', value: '2552', numeric: true }],
    });
    assert.equal(s.items[0]!.label, "binlog_gtid_pos('up-bin.000001',2552)");
  });

  it('reads SET of one or several variables with = or :=, values from literals or variables', () => {
    const s = parsed('SET @master_heartbeat_period = 30000001024, @source_heartbeat_period := 30000001024');
    assert.ok(s.kind === 'set');
    assert.deepEqual(s.assignments.map((a) => [a.target, a.value]), [
      [{ kind: 'uservar', name: 'master_heartbeat_period' }, { kind: 'literal', value: '30000001024', numeric: true }],
      [{ kind: 'uservar', name: 'source_heartbeat_period' }, { kind: 'literal', value: '30000001024', numeric: true }],
    ]);
    const c = parsed('SET @master_binlog_checksum= @@global.binlog_checksum, @source_binlog_checksum = @@global.binlog_checksum');
    assert.ok(c.kind === 'set');
    assert.deepEqual(c.assignments[1]!.value, { kind: 'sysvar', name: 'binlog_checksum', scope: 'global' });
    for (const sql of ["SET @slave_connect_state='0-1-5'", 'set @SLAVE_CONNECT_STATE = "0-1-5"', "SET @slave_connect_state = _latin1'0-1-5'", "SET @`slave_connect_state`='0-1-5';"]) {
      const x = parsed(sql);
      assert.ok(x.kind === 'set', sql);
      assert.deepEqual(x.assignments[0], { target: { kind: 'uservar', name: 'slave_connect_state' }, value: { kind: 'literal', value: '0-1-5', numeric: false } }, sql);
    }
    const neg = parsed('SET @x = -1');
    assert.ok(neg.kind === 'set');
    assert.deepEqual(neg.assignments[0]!.value, { kind: 'literal', value: '-1', numeric: true });
  });

  it('reads SET NAMES, CHARACTER SET and session/global system variables', () => {
    assert.deepEqual(parsed('SET NAMES latin1'), { kind: 'set', assignments: [{ target: { kind: 'names', charset: 'latin1' }, value: { kind: 'literal', value: 'latin1', numeric: false } }] });
    assert.equal(parsed("set names 'utf8mb4' collate 'utf8mb4_general_ci'").kind, 'set');
    assert.equal(parsed('SET CHARACTER SET utf8').kind, 'set');
    const g = parsed('SET GLOBAL server_id = 5');
    assert.ok(g.kind === 'set');
    assert.deepEqual(g.assignments[0]!.target, { kind: 'sysvar', name: 'server_id', scope: 'global' });
    const s = parsed('SET SESSION net_write_timeout = 3600, autocommit = ON');
    assert.ok(s.kind === 'set');
    assert.deepEqual(s.assignments.map((a) => a.target), [
      { kind: 'sysvar', name: 'net_write_timeout', scope: 'session' },
      { kind: 'sysvar', name: 'autocommit', scope: 'session' },
    ]);
  });

  it('reads the SHOW statements replicas and operators send', () => {
    assert.deepEqual(parsed("SHOW VARIABLES LIKE 'SERVER_ID'"), { kind: 'show-variables', scope: null, filter: { like: 'SERVER_ID' } });
    assert.deepEqual(parsed("show global variables like 'binlog_checksum'"), { kind: 'show-variables', scope: 'global', filter: { like: 'binlog_checksum' } });
    assert.deepEqual(parsed("SHOW VARIABLES WHERE Variable_name IN ('rpl_semi_sync_master_enabled', 'rpl_semi_sync_source_enabled')"), {
      kind: 'show-variables', scope: null, filter: { names: ['rpl_semi_sync_master_enabled', 'rpl_semi_sync_source_enabled'] },
    });
    assert.deepEqual(parsed("SHOW SESSION VARIABLES WHERE `Variable_name` = 'gtid_purged'"), { kind: 'show-variables', scope: 'session', filter: { names: ['gtid_purged'] } });
    for (const sql of ['SHOW MASTER STATUS', 'show binary log status', 'SHOW BINLOG STATUS']) assert.equal(parsed(sql).kind, 'show-master-status', sql);
    for (const sql of ['SHOW BINARY LOGS', 'show master logs']) assert.equal(parsed(sql).kind, 'show-binary-logs', sql);
    assert.deepEqual(parsed('SHOW SLAVE HOSTS'), { kind: 'show-replica-hosts', spelling: 'slave-hosts' });
    assert.deepEqual(parsed('SHOW REPLICA HOSTS'), { kind: 'show-replica-hosts', spelling: 'slave-hosts' });
    assert.deepEqual(parsed('show replicas'), { kind: 'show-replica-hosts', spelling: 'replicas' });
  });

  it('reads SHOW STATUS with the filters of SHOW VARIABLES, and SHOW SLAVE/REPLICA STATUS', () => {
    assert.deepEqual(parsed('SHOW STATUS'), { kind: 'show-status', filter: null });
    assert.deepEqual(parsed("SHOW GLOBAL STATUS LIKE 'Uptime'"), { kind: 'show-status', filter: { like: 'Uptime' } });
    assert.deepEqual(parsed("show session status where variable_name in ('Uptime', 'Threads_connected')"), { kind: 'show-status', filter: { names: ['Uptime', 'Threads_connected'] } });
    for (const sql of ['SHOW SLAVE STATUS', 'SHOW ALL SLAVES STATUS']) assert.deepEqual(parsed(sql), { kind: 'show-replica-status', spelling: 'slave' }, sql);
    for (const sql of ['show replica status', 'SHOW ALL REPLICAS STATUS']) assert.deepEqual(parsed(sql), { kind: 'show-replica-status', spelling: 'replica' }, sql);
    for (const sql of ["SHOW STATUS LIKE", 'SHOW STATUS WHERE Value = 1', 'SHOW GLOBAL SLAVE STATUS', 'SHOW SLAVE STATUS FOR CHANNEL x']) assert.equal(parseStatement(sql), null, sql);
  });

  it('reads SHOW BINLOG EVENTS with IN, FROM and both LIMIT forms, and SHOW RELAYLOG EVENTS', () => {
    const listing = (file: string | null, from: number, offset: number, limit: number | null, relayLog = false) => ({ kind: 'show-binlog-events', relayLog, file, from, offset, limit });
    assert.deepEqual(parsed('SHOW BINLOG EVENTS'), listing(null, 4, 0, null));
    assert.deepEqual(parsed("show binlog events in 'up-bin.000002' from 256 limit 10"), listing('up-bin.000002', 256, 0, 10));
    assert.deepEqual(parsed('SHOW BINLOG EVENTS LIMIT 3, 2'), listing(null, 4, 3, 2));
    assert.deepEqual(parsed('SHOW BINLOG EVENTS FROM 0 LIMIT 2 OFFSET 7'), listing(null, 0, 7, 2));
    assert.deepEqual(parsed('SHOW BINLOG EVENTS LIMIT 18446744073709551615'), listing(null, 4, 0, Number.MAX_SAFE_INTEGER));
    assert.deepEqual(parsed("SHOW RELAYLOG EVENTS IN 'relay.000001' FOR CHANNEL ''"), listing('relay.000001', 4, 0, null, true));
    for (const sql of ["SHOW BINLOG EVENTS IN up", 'SHOW BINLOG EVENTS FROM -4', 'SHOW BINLOG EVENTS LIMIT', 'SHOW BINLOG EVENTS LIMIT 1,',
      'SHOW BINLOG EVENTS LIMIT 1 OFFSET', "SHOW BINLOG EVENTS FROM 4 IN 'x'", 'SHOW BINLOG EVENTS FOR CHANNEL x']) assert.equal(parseStatement(sql), null, sql);
  });

  it('reads KILL with and without CONNECTION/QUERY', () => {
    for (const sql of ['KILL 42', 'kill connection 42', 'KILL QUERY 42']) assert.deepEqual(parsed(sql), { kind: 'kill', id: 42 }, sql);
    assert.equal(parseStatement('KILL abc'), null);
  });

  it('runs executable comments as code and drops the others', () => {
    assert.equal(parsed('/*!40101 SET NAMES utf8 */').kind, 'set');
    assert.equal(parsed('SELECT 1 -- trailing\n').kind, 'select');
    assert.equal(parsed('# only a comment').kind, 'empty');
    assert.equal(parsed('').kind, 'empty');
  });

  it('refuses everything else, several statements at once, and broken quoting', () => {
    for (const sql of ['FLUSH TABLES', 'SELECT * FROM t', 'SET @a = 1 + 2', 'SELECT 1; SELECT 2', "SET @x = 'open", 'SHOW TABLES', 'SHOW GLOBAL MASTER STATUS', 'START SLAVE']) {
      assert.equal(parseStatement(sql), null, sql);
    }
  });
});

describe('PURGE BINARY LOGS', () => {
  const before = (sql: string): TimeExpr => {
    const s = parsed(sql);
    assert.ok(s.kind === 'purge-binary-logs' && 'before' in s.target, sql);
    return s.target.before;
  };

  it('reads TO with a quoted file name under either spelling, any case', () => {
    for (const sql of ["PURGE BINARY LOGS TO 'up-bin.000003'", 'purge master logs to "up-bin.000003"', "PURGE BINARY LOGS TO 'up-bin.000003';", "/* ops */ PURGE  MASTER\nLOGS TO 'up-bin.000003'"]) {
      assert.deepEqual(parsed(sql), { kind: 'purge-binary-logs', target: { to: 'up-bin.000003' } }, sql);
    }
  });

  it('reads BEFORE with a datetime literal, string or number, as written', () => {
    assert.deepEqual(before("PURGE BINARY LOGS BEFORE '2026-12-04 10:00:00'"), { base: { kind: 'string', text: '2026-12-04 10:00:00' }, shifts: [] });
    assert.deepEqual(before("PURGE MASTER LOGS BEFORE '2026-12-04 10:00:00.250'"), { base: { kind: 'string', text: '2026-12-04 10:00:00.250' }, shifts: [] });
    assert.deepEqual(before("PURGE BINARY LOGS BEFORE '2026-12-04'"), { base: { kind: 'string', text: '2026-12-04' }, shifts: [] });
    assert.deepEqual(before('PURGE BINARY LOGS BEFORE 20261204100000'), { base: { kind: 'number', text: '20261204100000' }, shifts: [] });
  });

  it('reads the clock functions, with or without parentheses where the server allows', () => {
    for (const sql of ['PURGE BINARY LOGS BEFORE NOW()', 'PURGE BINARY LOGS BEFORE now(6)', 'PURGE BINARY LOGS BEFORE CURRENT_TIMESTAMP',
      'PURGE BINARY LOGS BEFORE CURRENT_TIMESTAMP()', 'PURGE BINARY LOGS BEFORE SYSDATE()', 'PURGE BINARY LOGS BEFORE UTC_TIMESTAMP', 'PURGE BINARY LOGS BEFORE LOCALTIMESTAMP']) {
      assert.deepEqual(before(sql), { base: { kind: 'now' }, shifts: [] }, sql);
    }
  });

  it('reads ± INTERVAL n unit and DATE_SUB/DATE_ADD, applied left to right', () => {
    assert.deepEqual(before('PURGE BINARY LOGS BEFORE NOW() - INTERVAL 7 DAY'), { base: { kind: 'now' }, shifts: [{ sign: -1, amount: 7, unit: 'DAY' }] });
    assert.deepEqual(before('PURGE BINARY LOGS BEFORE NOW()-interval 90 minute + INTERVAL 1 week'), {
      base: { kind: 'now' }, shifts: [{ sign: -1, amount: 90, unit: 'MINUTE' }, { sign: 1, amount: 1, unit: 'WEEK' }],
    });
    assert.deepEqual(before("PURGE BINARY LOGS BEFORE DATE_SUB(NOW(), INTERVAL '12' HOUR)"), { base: { kind: 'now' }, shifts: [{ sign: -1, amount: 12, unit: 'HOUR' }] });
    assert.deepEqual(before('PURGE BINARY LOGS BEFORE date_add(NOW(), INTERVAL -30 SECOND)'), { base: { kind: 'now' }, shifts: [{ sign: -1, amount: 30, unit: 'SECOND' }] });
    assert.deepEqual(before("PURGE BINARY LOGS BEFORE ('2026-12-04' - INTERVAL 1 MONTH)"), { base: { kind: 'string', text: '2026-12-04' }, shifts: [{ sign: -1, amount: 1, unit: 'MONTH' }] });
  });

  it('refuses what the grammar refuses and expressions it does not evaluate', () => {
    for (const sql of ['PURGE BINARY LOGS', 'PURGE LOGS TO \'x\'', 'PURGE BINARY LOGS TO 123', 'PURGE BINARY LOGS TO x', 'PURGE BINARY LOGS BEFORE',
      'PURGE BINARY LOGS BEFORE NOW', 'PURGE BINARY LOGS BEFORE SYSDATE', 'PURGE BINARY LOGS BEFORE foo', 'PURGE BINARY LOGS BEFORE NOW() - 1',
      'PURGE BINARY LOGS BEFORE NOW() - INTERVAL 1.5 DAY', 'PURGE BINARY LOGS BEFORE NOW() - INTERVAL 1 FORTNIGHT', "PURGE BINARY LOGS TO 'a' BEFORE NOW()",
      'PURGE BINARY LOGS BEFORE DATE_SUB(NOW(), 1)', 'PURGE BINARY LOGS BEFORE NULL']) {
      assert.equal(parseStatement(sql), null, sql);
    }
  });
});

describe('lexer', () => {
  it('decodes escapes and doubled quotes in strings', () => {
    const t = tokenize(String.raw`SELECT 'it''s', "a\"b", 'x\ny', 'a\%b'`);
    assert.deepEqual(t.filter((x) => x.kind === 'string').map((x) => x.value), ["it's", 'a"b', 'x\ny', 'a\\%b']);
  });

  it('reads quoted runs whole: escapes next to quotes, doubled quotes in any quoting, a lone backslash at the end', () => {
    const values = (sql: string): string[] => tokenize(sql).map((x) => `${x.kind}:${x.value}`);
    const sql = "'\\'' " + '"\\"" ' + "'a\\'\\'b' " + "'a''''b' " + '`a``b` ' + '`a\\b` ' + "''";
    assert.deepEqual(values(sql), ["string:'", 'string:"', "string:a''b", "string:a''b", 'ident:a`b', 'ident:a\\b', 'string:']);
    assert.throws(() => tokenize("SELECT 'abc\\"), /unterminated ' quote/);
    assert.throws(() => tokenize('SELECT `abc'), /unterminated ` quote/);
  });

  it('skips any whitespace between tokens, # and -- comments to the end of the line, and takes words by character class', () => {
    const words = (sql: string): string[] => tokenize(sql).map((x) => x.value);
    assert.deepEqual(words('SELECT \u3000a\t\u2028b\n\ufeff1 # rest\nd -- rest'), ['SELECT', 'a', 'b', '1', 'd']);
    // As in MySQL's unquoted identifiers, U+0080 and above belong to the word.
    assert.deepEqual(words('a\u00a0b'), ['a\u00a0b']);
    assert.deepEqual(words('a--b -- c'), ['a', '-', '-', 'b']);
    assert.deepEqual(words('$x_1é.y 1abc @v.w @@global.x'), ['$x_1é', '.', 'y', '1abc', 'v.w', 'x']);
  });
});
