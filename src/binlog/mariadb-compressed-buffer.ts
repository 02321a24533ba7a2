// MariaDB's compressed binlog payloads (log_bin_compress: QUERY_COMPRESSED's statement, the
// *_ROWS_COMPRESSED events' rows): one header byte 0x80 | algorithm << 4 | n, the uncompressed
// length in n big-endian bytes, then the compressed bytes (algorithm 0: zlib).
import { inflateSync } from 'node:zlib';
import { BinlogError } from './binlog-error.js';

/** The bytes `src` holds compressed; throws BINLOG_BAD_EVENT on a header or stream it cannot read. */
export function uncompressMariaDbBuffer(src: Uint8Array, offset?: number): Buffer {
  const head = src[0];
  const lengthBytes = (head ?? 0) & 0x07;
  if (head === undefined || (head & 0x80) === 0 || ((head >> 4) & 0x07) !== 0 || lengthBytes < 1 || lengthBytes > 4 || src.length < 1 + lengthBytes) {
    throw new BinlogError('BINLOG_BAD_EVENT', 'not a MariaDB zlib-compressed binlog buffer', offset);
  }
  let length = 0;
  for (let i = 1; i <= lengthBytes; i++) length = length * 256 + src[i]!;
  let out: Buffer;
  try {
    out = inflateSync(src.subarray(1 + lengthBytes), { maxOutputLength: Math.max(length, 1) });
  } catch (err) {
    throw new BinlogError('BINLOG_BAD_EVENT', `compressed binlog buffer: ${(err as Error).message}`, offset);
  }
  if (out.length !== length) throw new BinlogError('BINLOG_BAD_EVENT', `compressed binlog buffer holds ${out.length} bytes, its header says ${length}`, offset);
  return out;
}
