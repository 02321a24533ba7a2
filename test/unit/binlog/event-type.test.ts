import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as T from '../../../src/binlog/event-type.js';

test('event type names follow the MySQL/MariaDB source names without the _EVENT suffix', () => {
  assert.equal(T.eventTypeName(T.QUERY_EVENT), 'QUERY');
  assert.equal(T.eventTypeName(T.FORMAT_DESCRIPTION_EVENT), 'FORMAT_DESCRIPTION');
  assert.equal(T.eventTypeName(T.GTID_LOG_EVENT), 'GTID');
  assert.equal(T.eventTypeName(T.GTID_TAGGED_LOG_EVENT), 'GTID_TAGGED');
  assert.equal(T.eventTypeName(T.HEARTBEAT_LOG_EVENT_V2), 'HEARTBEAT_V2');
  assert.equal(T.eventTypeName(T.TRANSACTION_PAYLOAD_EVENT), 'TRANSACTION_PAYLOAD');
});

test('MariaDB-only events carry a MARIADB_ prefix so that GTID (33) and MARIADB_GTID (162) differ', () => {
  assert.equal(T.eventTypeName(162), 'MARIADB_GTID');
  assert.equal(T.eventTypeName(163), 'MARIADB_GTID_LIST');
  assert.equal(T.eventTypeName(161), 'MARIADB_BINLOG_CHECKPOINT');
  assert.equal(T.eventTypeName(160), 'MARIADB_ANNOTATE_ROWS');
  assert.equal(T.eventTypeName(171), 'MARIADB_DELETE_ROWS_COMPRESSED');
});

test('v1 row events are suffixed _V1 and v2 row events take the plain names', () => {
  assert.deepEqual([23, 24, 25].map(T.eventTypeName), ['WRITE_ROWS_V1', 'UPDATE_ROWS_V1', 'DELETE_ROWS_V1']);
  assert.deepEqual([30, 31, 32].map(T.eventTypeName), ['WRITE_ROWS', 'UPDATE_ROWS', 'DELETE_ROWS']);
});

test('codes no server defines print as UNKNOWN_<n>', () => {
  assert.equal(T.eventTypeName(43), 'UNKNOWN_43');
  assert.equal(T.eventTypeName(159), 'UNKNOWN_159');
  assert.equal(T.eventTypeName(172), 'UNKNOWN_172');
  assert.equal(T.eventTypeName(255), 'UNKNOWN_255');
});

test('the table covers every MySQL code 0–42 and MariaDB code 160–171, with distinct names', () => {
  const known = T.knownEventTypes();
  const codes = known.map(([c]) => c);
  const expected = [...Array.from({ length: 43 }, (_, i) => i), ...Array.from({ length: 12 }, (_, i) => 160 + i)];
  assert.deepEqual(codes, expected);
  assert.equal(new Set(known.map(([, n]) => n)).size, known.length);
});
