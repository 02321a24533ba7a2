// Text-protocol result sets (the reply to COM_QUERY): column count, one ColumnDefinition41 per
// column, an EOF, the rows, a final EOF. Under CLIENT_DEPRECATE_EOF (only if both sides set it)
// the first EOF is dropped and the last becomes an OK packet with the 0xfe header.
// Everything is encoded up front so the whole reply can leave in one socket write.

import {
  BINARY_COLLATION,
  MYSQL_TYPE_LONGLONG,
  MYSQL_TYPE_VAR_STRING,
  UTF8_GENERAL_CI,
  isNumericType,
  BINARY_FLAG,
  NUM_FLAG,
} from './column-types.js';
import { encodeLenencInt } from './lenenc.js';
import { PayloadWriter } from './payload-writer.js';
import { encodeEndOfData, encodeEof } from './response-packets.js';
import { DEFAULT_SERVER_STATUS } from './server-status.js';
import { MysqlProtocolError } from './protocol-error.js';

export type ResultValue = string | number | bigint | Buffer | null;

export interface ColumnDefinition {
  name: string;
  /** MYSQL_TYPE_*; default VAR_STRING. Clients only read values as text, but mysql2 and the
   *  mariadb CLI use the type to decide how to print/convert. */
  type?: number;
  /** Collation id; default binary (63) for numeric types, utf8_general_ci (33) otherwise. */
  charset?: number;
  /** Maximum display length; default 21 for LONGLONG and 1024 otherwise. */
  length?: number;
  /** *_FLAG bits; numeric types get BINARY_FLAG|NUM_FLAG by default. */
  flags?: number;
  decimals?: number;
  catalog?: string;
  schema?: string;
  table?: string;
  orgTable?: string;
  /** Defaults to `name`. */
  orgName?: string;
}

export interface ResultSetOptions {
  /** End with OK(0xfe) and no EOF after the columns: only when both sides set DEPRECATE_EOF. */
  deprecateEof?: boolean;
  statusFlags?: number;
  warnings?: number;
}

/** Protocol::ColumnDefinition41. */
export function encodeColumnDefinition41(column: ColumnDefinition): Buffer {
  const type = column.type ?? MYSQL_TYPE_VAR_STRING;
  const numeric = isNumericType(type);
  return new PayloadWriter(64 + column.name.length * 2)
    .lenencString(column.catalog ?? 'def')
    .lenencString(column.schema ?? '')
    .lenencString(column.table ?? '')
    .lenencString(column.orgTable ?? '')
    .lenencString(column.name)
    .lenencString(column.orgName ?? column.name)
    .lenencInt(0x0c) // length of the fixed-size fields that follow
    .uint16(column.charset ?? (numeric ? BINARY_COLLATION : UTF8_GENERAL_CI))
    .uint32(column.length ?? (type === MYSQL_TYPE_LONGLONG ? 21 : 1024))
    .uint8(type)
    .uint16(column.flags ?? (numeric ? BINARY_FLAG | NUM_FLAG : 0))
    .uint8(column.decimals ?? 0)
    .zeros(2) // filler
    .finish();
}

function valueBytes(value: Exclude<ResultValue, null>): Buffer {
  if (Buffer.isBuffer(value)) return value;
  return Buffer.from(typeof value === 'string' ? value : value.toString(), 'utf8');
}

/** ProtocolText::ResultsetRow: each value a length-encoded string, NULL as 0xfb. */
export function encodeTextRow(values: readonly ResultValue[]): Buffer {
  const w = new PayloadWriter(16 * values.length + 16);
  for (const v of values) w.lenencString(v === null ? null : valueBytes(v));
  return w.finish();
}

/** The payloads before the rows: column count, definitions, and the EOF unless deprecated. */
export function encodeResultSetHead(columns: readonly ColumnDefinition[], options: ResultSetOptions = {}): Buffer[] {
  const payloads: Buffer[] = [encodeLenencInt(columns.length)];
  for (const c of columns) payloads.push(encodeColumnDefinition41(c));
  if (!options.deprecateEof) payloads.push(encodeEof(options.warnings ?? 0, options.statusFlags ?? DEFAULT_SERVER_STATUS));
  return payloads;
}

/** The payload after the rows: an EOF, or the OK with the EOF header under DEPRECATE_EOF. */
export function encodeResultSetEnd(options: ResultSetOptions = {}): Buffer {
  const status = options.statusFlags ?? DEFAULT_SERVER_STATUS;
  const warnings = options.warnings ?? 0;
  return encodeEndOfData(options.deprecateEof === true, warnings, status);
}

/** Every payload of a text result set, in order. */
export function encodeResultSet(
  columns: readonly ColumnDefinition[],
  rows: Iterable<readonly ResultValue[]>,
  options: ResultSetOptions = {},
): Buffer[] {
  const payloads = encodeResultSetHead(columns, options);
  for (const row of rows) {
    if (row.length !== columns.length) {
      throw new MysqlProtocolError('ERR_MYSQL_INVALID_ARGUMENT', `row has ${row.length} values for ${columns.length} columns`);
    }
    payloads.push(encodeTextRow(row));
  }
  payloads.push(encodeResultSetEnd(options));
  return payloads;
}
