import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseFormatDescription } from '../../../src/binlog/format-description.js';
import { decodeBinaryDecimal, showEventInfo, showEventType } from '../../../src/binlog/show-events-info.js';
import * as T from '../../../src/binlog/event-type.js';
import { fixturePath, readEventsOf } from './listing.js';
import { buildEvent } from '../../../src/binlog/event-builder.js';
import { readEventHeader } from '../../../src/binlog/event-header.js';
import { buildPreviousGtidsEvent } from '../../../src/binlog/previous-gtids-event.js';
import { MysqlGtidSet } from '../../../src/binlog/gtid-set-mysql.js';
import type { BinlogEvent } from '../../../src/binlog/binlog-event.js';

function eventOf(bytes: Buffer, checksum = false): BinlogEvent {
  return { offset: 4, header: readEventHeader(bytes), bytes, checksumLength: checksum ? 4 : 0 };
}

/** A USER_VAR event body: name, not-null, STRING_RESULT, collation id, value, no flags. */
function stringUserVar(name: string, collationId: number, value: string): Buffer {
  const n = Buffer.from(name);
  const v = Buffer.from(value);
  const body = Buffer.alloc(4 + n.length + 1 + 1 + 4 + 4 + v.length + 1);
  let o = body.writeUInt32LE(n.length, 0);
  o += n.copy(body, o);
  o = body.writeUInt8(0, o);
  o = body.writeUInt8(0, o);
  o = body.writeUInt32LE(collationId, o);
  o = body.writeUInt32LE(v.length, o);
  v.copy(body, o);
  return buildEvent({ type: T.USER_VAR_EVENT, serverId: 1, body, checksum: false });
}

/** The rows of MySQL's own SHOW BINLOG EVENTS table (a cell may run over several lines). */
function mysqlShowRows(path: string): { pos: number; type: string; serverId: number; end: number; info: string }[] {
  const rows: { pos: number; type: string; serverId: number; end: number; info: string }[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^\| binlog\.\d+ \|\s*(\d+) \| (\S+)\s*\|\s*(\d+) \|\s*(\d+) \|(.*)$/.exec(line);
    if (m) rows.push({ pos: Number(m[1]), type: m[2]!, serverId: Number(m[3]), end: Number(m[4]), info: m[5]! });
    else if (rows.length > 0 && !line.startsWith('+') && !/rows in set/.test(line)) rows[rows.length - 1]!.info += `\n${line}`;
  }
  return rows.map((r) => ({ ...r, info: r.info.replace(/\|\s*$/, '').replace(/\s+/g, ' ').trim() }));
}

test("a MySQL 8.2 file lists as MySQL's own SHOW BINLOG EVENTS printed it", () => {
  const name = 'mysql8-binlog/mysql820-update-rows.binlog.000001';
  const expected = mysqlShowRows(`${fixturePath(name)}.show.txt`);
  const events = readEventsOf(fixturePath(name));
  const fde = parseFormatDescription(events[0]!.bytes);
  assert.ok(expected.length >= 15, `${expected.length} rows read from the listing`);
  const ours = events.slice(0, expected.length).map((e) => ({
    pos: e.offset, type: showEventType(e.header.type), serverId: e.header.serverId, end: e.header.logPos,
    info: showEventInfo(e, fde, 'mysql').replace(/\s+/g, ' ').trim(),
  }));
  assert.deepEqual(ours, expected);
});

test('MySQL GTIDs, compressed payloads and the 5.7 previous set read as the server prints them', () => {
  const [fde57, previous, gtid] = readEventsOf(fixturePath('mysql57-binlog/mysql_bin.000011'));
  const f57 = parseFormatDescription(fde57!.bytes);
  assert.equal(showEventInfo(fde57!, f57, 'mysql'), 'Server ver: 5.7.23-log, Binlog ver: 4');
  assert.equal(showEventInfo(previous!, f57, 'mysql'), '214eb71f-96ec-11e8-ab4f-fa163e72d4ae:1-11789');
  assert.equal(showEventType(gtid!.header.type), 'Gtid');
  assert.equal(showEventInfo(gtid!, f57, 'mysql'), "SET @@SESSION.GTID_NEXT= '214eb71f-96ec-11e8-ab4f-fa163e72d4ae:11790'");
  const compressed = readEventsOf(fixturePath('mysql8-binlog/transaction_compression.000001'));
  assert.equal(showEventType(compressed[3]!.header.type), 'Transaction_payload');
  assert.equal(showEventInfo(compressed[3]!, parseFormatDescription(compressed[0]!.bytes), 'mysql'), "compression='ZSTD', decompressed_size=179 bytes");
});

test('type names follow the servers, with Unknown for a code neither defines', () => {
  assert.equal(showEventType(T.USER_VAR_EVENT), 'User var');
  assert.equal(showEventType(T.GTID_EVENT), 'Gtid');
  assert.equal(showEventType(T.ANONYMOUS_GTID_LOG_EVENT), 'Anonymous_Gtid');
  assert.equal(showEventType(T.PARTIAL_UPDATE_ROWS_EVENT), 'Update_rows_partial');
  assert.equal(showEventType(99), 'Unknown');
  const ignorable = eventOf(buildEvent({ type: T.IGNORABLE_LOG_EVENT, serverId: 1, body: Buffer.alloc(8), checksum: false }));
  assert.equal(showEventInfo(ignorable, undefined, 'mysql'), '# Unrecognized ignorable event');
});

test('binary decimals decode with their scale, sign and 9-digit groups', () => {
  // As MySQL's decimal2bin writes them: DECIMAL(5,2) is 2 + 1 bytes, DECIMAL(20,10) 1 + 4 + 4 + 1.
  assert.equal(decodeBinaryDecimal(Buffer.from('800232', 'hex'), 5, 2), '2.50');
  assert.equal(decodeBinaryDecimal(Buffer.from('7ffdcd', 'hex'), 5, 2), '-2.50');
  assert.equal(decodeBinaryDecimal(Buffer.from('810dfb38d200bc614e09', 'hex'), 20, 10), '1234567890.0123456789');
  assert.equal(decodeBinaryDecimal(Buffer.from('800000', 'hex'), 5, 2), '0.00');
});

test("string user variables: MariaDB's X'..' literal, MySQL's 0x.., both with the value's charset and collation", () => {
  const abc = eventOf(stringUserVar('a', 255, 'abc'));
  assert.equal(showEventInfo(abc, undefined, 'mysql'), '@`a`=_utf8mb4 0x616263 COLLATE utf8mb4_0900_ai_ci');
  assert.equal(showEventInfo(eventOf(stringUserVar('we`ird', 8, '\xff')), undefined, 'mariadb'), "@`we``ird`=_latin1 X'C3BF' COLLATE latin1_swedish_ci");
  assert.equal(showEventInfo(eventOf(stringUserVar('e', 45, '')), undefined, 'mysql'), '@`e`=_utf8mb4 "" COLLATE utf8mb4_general_ci');
});

test("MySQL's previous GTIDs of several servers are separated by a comma and a newline", () => {
  const set = MysqlGtidSet.parse('3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5,4e11fa47-71ca-11e1-9e33-c80aa9429562:3');
  const info = showEventInfo(eventOf(buildPreviousGtidsEvent({ serverId: 1, set, checksum: true }), true), undefined, 'mysql');
  assert.equal(info, '3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5,\n4e11fa47-71ca-11e1-9e33-c80aa9429562:3');
});
