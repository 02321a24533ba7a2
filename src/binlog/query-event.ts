// QUERY_EVENT (2): one SQL statement — BEGIN/COMMIT markers, DDL, statement-based DML. MariaDB's
// QUERY_COMPRESSED_EVENT (165) is the same with the statement compressed.
//   post-header (13 bytes in v4): thread_id u32 | exec_time u32 | db_len u8 | error_code u16 |
//   status_vars_len u16; then status_vars | db | NUL | statement text (to the end of the body).
import { BinlogError } from './binlog-error.js';
import { eventBody, type BinlogEvent } from './binlog-event.js';
import { ByteReader } from './byte-reader.js';
import { QUERY_COMPRESSED_EVENT, QUERY_EVENT } from './event-type.js';
import { uncompressMariaDbBuffer } from './mariadb-compressed-buffer.js';
import { postHeaderLength, type FormatDescription } from './format-description.js';

/** QUERY_HEADER_LEN */
export const QUERY_HEADER_LEN = 13;

/**
 * What a statement means for transaction boundaries, by MySQL's trx_boundary_parser rules:
 * `BEGIN` and `XA START …` open a transaction; `COMMIT` and `ROLLBACK` (not `ROLLBACK TO …`) end
 * one; `XA COMMIT …`/`XA ROLLBACK …` end an XA transaction (they may follow a GTID directly);
 * anything else is an ordinary statement.
 */
export type QueryKind = 'BEGIN' | 'COMMIT' | 'ROLLBACK' | 'XA_END' | 'STATEMENT';

export interface QueryEvent {
  threadId: number;
  execTime: number;
  errorCode: number;
  database: string;
  query: string;
  kind: QueryKind;
  /** The status variables block (a view into the event). */
  statusVars: Uint8Array;
}

/** Decodes a QUERY event; `maxQueryBytes` limits how much of the statement is decoded (previews
 *  of multi-megabyte statements). */
export function parseQueryEvent(event: BinlogEvent, fde?: FormatDescription, maxQueryBytes = Infinity): QueryEvent {
  const { r, dbLen, threadId, execTime, errorCode, statusVars } = openQuery(event, fde);
  const database = Buffer.from(r.bytes(dbLen)).toString('utf8');
  r.skip(1); // the NUL after the database name
  const rest = r.rest();
  const text = event.header.type === QUERY_COMPRESSED_EVENT ? uncompressMariaDbBuffer(rest, event.offset) : rest;
  const query = Buffer.from(text.subarray(0, Math.min(text.length, maxQueryBytes))).toString('utf8');
  return { threadId, execTime, errorCode, database, query, kind: classifyQuery(query), statusVars };
}

/** The boundary kind of a QUERY event, decoding only the start of the statement. */
export function queryKindOf(event: BinlogEvent, fde?: FormatDescription): QueryKind {
  const { r, dbLen } = openQuery(event, fde);
  r.skip(dbLen + 1);
  const head = r.bytes(Math.min(r.remaining, 24));
  return classifyQuery(Buffer.from(head).toString('latin1'));
}

export function classifyQuery(statement: string): QueryKind {
  const q = statement.trimStart();
  if (q === 'BEGIN' || startsWithWords(q, 'XA START')) return 'BEGIN';
  if (q === 'COMMIT') return 'COMMIT';
  if (startsWithWords(q, 'XA ROLLBACK') || startsWithWords(q, 'XA COMMIT')) return 'XA_END';
  if (startsWithWords(q, 'ROLLBACK') && !startsWithWords(q, 'ROLLBACK TO')) return 'ROLLBACK';
  return 'STATEMENT';
}

function startsWithWords(q: string, words: string): boolean {
  if (q.length < words.length || q.slice(0, words.length).toUpperCase() !== words) return false;
  const next = q.charCodeAt(words.length);
  return Number.isNaN(next) || !/[A-Za-z0-9_]/.test(q[words.length]!);
}

function openQuery(event: BinlogEvent, fde: FormatDescription | undefined) {
  const type = event.header.type;
  if (type !== QUERY_EVENT && type !== QUERY_COMPRESSED_EVENT) {
    throw new BinlogError('BINLOG_BAD_EVENT', `expected QUERY, got type ${type}`, event.offset);
  }
  const body = eventBody(event);
  const r = new ByteReader(body, 0, body.length, 'QUERY');
  const postHeader = postHeaderLength(fde, type, QUERY_HEADER_LEN);
  if (postHeader < QUERY_HEADER_LEN) {
    throw new BinlogError('BINLOG_BAD_EVENT', `QUERY post-header of ${postHeader} bytes is too short`, event.offset);
  }
  const threadId = r.u32();
  const execTime = r.u32();
  const dbLen = r.u8();
  const errorCode = r.u16();
  const statusLen = r.u16();
  r.skip(postHeader - QUERY_HEADER_LEN);
  const statusVars = r.bytes(statusLen);
  return { r, dbLen, threadId, execTime, errorCode, statusVars };
}
