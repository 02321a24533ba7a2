// A one-line description of an event, shared by `binrelay inspect` and logs: its type name, the
// GTID it carries (MySQL `uuid:n` / `uuid:tag:n`, MariaDB `domain-server-seq`), and a short
// detail string for the events people look for (rotates, GTID sets, statements, xids).
import type { BinlogEvent } from './binlog-event.js';
import * as T from './event-type.js';
import type { FormatDescription } from './format-description.js';
import { formatMariaDbGtid } from './gtid-set-mariadb.js';
import { formatMysqlGtid } from './gtid-set-mysql.js';
import { parseBinlogCheckpointEvent } from './mariadb-binlog-checkpoint-event.js';
import { parseMariaDbGtidEvent } from './mariadb-gtid-event.js';
import { parseMariaDbGtidListEvent } from './mariadb-gtid-list-event.js';
import { parseMysqlGtidEvent } from './mysql-gtid-event.js';
import { parsePreviousGtidsEvent } from './previous-gtids-event.js';
import { parseQueryEvent } from './query-event.js';
import { parseRotateEvent } from './rotate-event.js';
import { parseHeartbeat } from './heartbeat-event.js';
import { parseTransactionPayloadEvent } from './transaction-payload-event.js';
import { parseXidEvent } from './xid-event.js';
import { parseFormatDescription } from './format-description.js';

export interface EventSummary {
  type: string;
  gtid: string | null;
  info: string;
}

const MAX_QUERY_CHARS = 80;

/** The GTID an event carries, or null (only GTID events carry one). */
export function eventGtid(event: BinlogEvent): string | null {
  switch (event.header.type) {
    case T.GTID_LOG_EVENT:
    case T.GTID_TAGGED_LOG_EVENT:
    case T.ANONYMOUS_GTID_LOG_EVENT: {
      const g = parseMysqlGtidEvent(event).gtid;
      return g ? formatMysqlGtid(g) : null;
    }
    case T.GTID_EVENT:
      return formatMariaDbGtid(parseMariaDbGtidEvent(event).gtid);
    default:
      return null;
  }
}

export function summarizeEvent(event: BinlogEvent, fde?: FormatDescription): EventSummary {
  return { type: T.eventTypeName(event.header.type), gtid: eventGtid(event), info: eventInfo(event, fde) };
}

function eventInfo(event: BinlogEvent, fde: FormatDescription | undefined): string {
  switch (event.header.type) {
    case T.FORMAT_DESCRIPTION_EVENT: {
      const f = parseFormatDescription(event.bytes);
      const alg = f.checksumAlg === 1 ? 'CRC32' : f.checksumAlg === 0 ? 'NONE' : 'UNDEF';
      return `server=${f.serverVersion} binlog_v=${f.binlogVersion} checksum=${alg}${f.inUse ? ' in_use' : ''}`;
    }
    case T.ROTATE_EVENT: {
      const r = parseRotateEvent(event);
      return `next=${r.nextFile}:${r.position}${r.artificial ? ' artificial' : ''}`;
    }
    case T.PREVIOUS_GTIDS_LOG_EVENT:
      return `set=${parsePreviousGtidsEvent(event).toString() || '(empty)'}`;
    case T.GTID_LIST_EVENT:
      return `list=[${parseMariaDbGtidListEvent(event).gtids.map(formatMariaDbGtid).join(',')}]`;
    case T.BINLOG_CHECKPOINT_EVENT:
      return `file=${parseBinlogCheckpointEvent(event).file}`;
    case T.GTID_EVENT:
      return `flags2=0x${parseMariaDbGtidEvent(event).flags2.toString(16).padStart(2, '0')}`;
    case T.QUERY_EVENT:
    case T.QUERY_COMPRESSED_EVENT: {
      const q = parseQueryEvent(event, fde, MAX_QUERY_CHARS * 4 + 256);
      const text = q.query.replace(/\s+/g, ' ').trim();
      const shown = text.length > MAX_QUERY_CHARS ? `${text.slice(0, MAX_QUERY_CHARS)}…` : text;
      return `db=${q.database || '-'} query=${JSON.stringify(shown)}`;
    }
    case T.XID_EVENT:
      return `xid=${parseXidEvent(event).xid}`;
    case T.TRANSACTION_PAYLOAD_EVENT: {
      const p = parseTransactionPayloadEvent(event);
      return `compression=${p.compression} payload_size=${p.payloadSize} uncompressed=${p.uncompressedSize}`;
    }
    case T.HEARTBEAT_LOG_EVENT:
    case T.HEARTBEAT_LOG_EVENT_V2: {
      const h = parseHeartbeat(event);
      return `file=${h.file} position=${h.position}`;
    }
    default:
      return '';
  }
}
