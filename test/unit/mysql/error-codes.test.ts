import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  BINLOG_ERROR_TEXT,
  ER_ACCESS_DENIED_ERROR,
  ER_BINLOG_PURGE_PROHIBITED,
  ER_DATETIME_FUNCTION_OVERFLOW,
  ER_MASTER_FATAL_ERROR_READING_BINLOG,
  ER_TRUNCATED_WRONG_VALUE,
  ER_UNKNOWN_TARGET_BINLOG,
  ER_WARN_PURGE_LOG_IN_USE,
  ER_WRONG_VALUE,
  SERVER_ERRORS,
  accessDeniedMessage,
  errorMessage,
  formatTemplate,
  parseErrorMessage,
  sqlStateFor,
} from '../../../src/mysql/error-codes.js';

describe('error catalogue', () => {
  it('has the numbers and SQLSTATEs of the real servers', () => {
    const expected: [number, string, string][] = [
      [1040, 'ER_CON_COUNT_ERROR', '08004'],
      [1043, 'ER_HANDSHAKE_ERROR', '08S01'],
      [1045, 'ER_ACCESS_DENIED_ERROR', '28000'],
      [1047, 'ER_UNKNOWN_COM_ERROR', '08S01'],
      [1064, 'ER_PARSE_ERROR', '42000'],
      [1094, 'ER_NO_SUCH_THREAD', 'HY000'],
      [1105, 'ER_UNKNOWN_ERROR', 'HY000'],
      [1149, 'ER_SYNTAX_ERROR', '42000'],
      [1153, 'ER_NET_PACKET_TOO_LARGE', '08S01'],
      [1156, 'ER_NET_PACKETS_OUT_OF_ORDER', '08S01'],
      [1158, 'ER_NET_READ_ERROR', '08S01'],
      [1159, 'ER_NET_READ_INTERRUPTED', '08S01'],
      [1193, 'ER_UNKNOWN_SYSTEM_VARIABLE', 'HY000'],
      [1236, 'ER_MASTER_FATAL_ERROR_READING_BINLOG', 'HY000'],
      [1243, 'ER_UNKNOWN_STMT_HANDLER', 'HY000'],
      [1251, 'ER_NOT_SUPPORTED_AUTH_MODE', '08004'],
      [1292, 'ER_TRUNCATED_WRONG_VALUE', '22007'],
      [1295, 'ER_UNSUPPORTED_PS', 'HY000'],
      [1305, 'ER_SP_DOES_NOT_EXIST', '42000'],
      [1373, 'ER_UNKNOWN_TARGET_BINLOG', 'HY000'],
      [1375, 'ER_BINLOG_PURGE_PROHIBITED', 'HY000'],
      [1441, 'ER_DATETIME_FUNCTION_OVERFLOW', '22008'],
      [1525, 'ER_WRONG_VALUE', '22007'],
      [1582, 'ER_WRONG_PARAMCOUNT_TO_NATIVE_FCT', '42000'],
      [1789, 'ER_MASTER_HAS_PURGED_REQUIRED_GTIDS', 'HY000'],
      [1835, 'ER_MALFORMED_PACKET', 'HY000'],
      [1867, 'ER_WARN_PURGE_LOG_IN_USE', 'HY000'],
      [1927, 'ER_CONNECTION_KILLED', '70100'],
    ];
    for (const [code, name, state] of expected) {
      assert.equal(SERVER_ERRORS.get(code)?.name, name, `code ${code}`);
      assert.equal(sqlStateFor(code), state, name);
    }
  });

  it('answers HY000 for codes it does not know, as servers do for unmapped errors', () => {
    assert.equal(sqlStateFor(9999), 'HY000');
  });

  it('renders the access-denied text exactly as mariadbd does', () => {
    assert.equal(accessDeniedMessage('repl', '127.0.0.1', true), "Access denied for user 'repl'@'127.0.0.1' (using password: YES)");
    assert.equal(errorMessage(ER_ACCESS_DENIED_ERROR, 'u', 'h', 'NO'), "Access denied for user 'u'@'h' (using password: NO)");
  });

  it('renders the parse-error text exactly as mariadbd 10.11 does', () => {
    assert.equal(
      parseErrorMessage('BOGUS'),
      "You have an error in your SQL syntax; check the manual that corresponds to your MariaDB server version for the right syntax to use near 'BOGUS' at line 1",
    );
  });

  it('truncates %-.Ns arguments to N characters like the server', () => {
    assert.equal(formatTemplate("near '%-.5s' at line %d, %lu%%", ['abcdefgh', 3, 7]), "near 'abcde' at line 3, 7%");
    assert.equal(parseErrorMessage('x'.repeat(100)).match(/near '(x+)'/)![1]!.length, 80);
  });

  it('renders the PURGE BINARY LOGS texts as mariadbd 10.11 does', () => {
    assert.equal(errorMessage(ER_UNKNOWN_TARGET_BINLOG), 'Target log not found in binlog index');
    assert.equal(errorMessage(ER_BINLOG_PURGE_PROHIBITED), 'Server configuration does not permit binlog purge');
    assert.equal(errorMessage(ER_WRONG_VALUE, 'datetime', 'x'), "Incorrect datetime value: 'x'");
    assert.equal(errorMessage(ER_TRUNCATED_WRONG_VALUE, 'date', '2026-12-04x'), "Truncated incorrect date value: '2026-12-04x'");
    assert.equal(errorMessage(ER_DATETIME_FUNCTION_OVERFLOW, 'datetime'), 'Datetime function: datetime field overflow');
    assert.equal(
      errorMessage(ER_WARN_PURGE_LOG_IN_USE, 'up-bin.000002', 1, 1, 3),
      'file up-bin.000002 was not purged because it was being read by 1 thread(s), purged only 1 out of 3 files',
    );
  });

  it('sends 1236 with the bare reason text', () => {
    assert.equal(errorMessage(ER_MASTER_FATAL_ERROR_READING_BINLOG, BINLOG_ERROR_TEXT.FIRST_LOG_NOT_FOUND), 'Could not find first log file name in binary log index file');
  });
});
