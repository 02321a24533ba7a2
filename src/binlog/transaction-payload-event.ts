// MySQL TRANSACTION_PAYLOAD_EVENT (40, binlog_transaction_compression, 8.0.20+): a whole
// transaction's events, compressed, right after its GTID/ANONYMOUS_GTID. For transaction
// boundaries it is the complete body: GTID + payload = one transaction.
// Body: a header of (type, length, value) length-encoded integers — 1 compressed size,
// 2 compression type (0 ZSTD, 255 NONE), 3 uncompressed size, 0 end mark — then the payload.
// Decompressed, the payload is plain events (BEGIN … XID) with log_pos 0 and no checksums.
// Node 20 has no zstd, so the payload is handed out as is.
import { BinlogError } from './binlog-error.js';
import { eventBody, type BinlogEvent } from './binlog-event.js';
import { ByteReader } from './byte-reader.js';
import { TRANSACTION_PAYLOAD_EVENT } from './event-type.js';

const OTW_PAYLOAD_HEADER_END_MARK = 0;
const OTW_PAYLOAD_SIZE_FIELD = 1;
const OTW_PAYLOAD_COMPRESSION_TYPE_FIELD = 2;
const OTW_PAYLOAD_UNCOMPRESSED_SIZE_FIELD = 3;

export const COMPRESSION_ZSTD = 0;
export const COMPRESSION_NONE = 255;

export interface TransactionPayloadEvent {
  compressionType: number;
  /** 'ZSTD', 'NONE' or 'UNKNOWN_<n>'. */
  compression: string;
  payloadSize: number;
  uncompressedSize: number;
  /** The (compressed) payload bytes: a view, no copy. */
  payload: Uint8Array;
}

export function parseTransactionPayloadEvent(event: BinlogEvent): TransactionPayloadEvent {
  if (event.header.type !== TRANSACTION_PAYLOAD_EVENT) {
    throw new BinlogError('BINLOG_BAD_EVENT', `expected TRANSACTION_PAYLOAD, got type ${event.header.type}`, event.offset);
  }
  const r = new ByteReader(eventBody(event), 0, undefined, 'TRANSACTION_PAYLOAD');
  try {
    let compressionType = COMPRESSION_NONE;
    let payloadSize = -1;
    let uncompressedSize = 0;
    while (r.remaining > 0) {
      const type = r.lenencNumber();
      if (type === OTW_PAYLOAD_HEADER_END_MARK) break;
      const length = r.lenencNumber();
      const field = new ByteReader(r.bytes(length), 0, undefined, 'TRANSACTION_PAYLOAD');
      if (type === OTW_PAYLOAD_SIZE_FIELD) payloadSize = field.lenencNumber();
      else if (type === OTW_PAYLOAD_COMPRESSION_TYPE_FIELD) compressionType = field.lenencNumber();
      else if (type === OTW_PAYLOAD_UNCOMPRESSED_SIZE_FIELD) uncompressedSize = field.lenencNumber();
    }
    if (payloadSize < 0) payloadSize = r.remaining;
    if (payloadSize !== r.remaining) {
      throw new BinlogError('BINLOG_BAD_EVENT', `TRANSACTION_PAYLOAD announces ${payloadSize} payload bytes, has ${r.remaining}`);
    }
    const compression = compressionType === COMPRESSION_ZSTD ? 'ZSTD' : compressionType === COMPRESSION_NONE ? 'NONE' : `UNKNOWN_${compressionType}`;
    return { compressionType, compression, payloadSize, uncompressedSize, payload: r.rest() };
  } catch (err) {
    if (err instanceof BinlogError && err.offset === undefined) throw new BinlogError(err.code, err.message, event.offset);
    throw err;
  }
}
