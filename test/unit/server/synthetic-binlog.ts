// Test support: MariaDB-shaped binlog bytes built from the codec's builders (FDE, GTID_LIST,
// BINLOG_CHECKPOINT, GTID + row-like events + XID), with real offsets and log_pos values, to feed a
// local relay in tests that need sizes no real server makes quickly (events of exactly 16 MiB).
import { buildEvent } from '../../../src/binlog/event-builder.js';
import { BINLOG_CHECKSUM_ALG_CRC32, writeEventChecksum } from '../../../src/binlog/event-checksum.js';
import { BINLOG_CHECKPOINT_EVENT, GTID_LIST_EVENT, WRITE_ROWS_EVENT_V1, XID_EVENT } from '../../../src/binlog/event-type.js';
import { buildFormatDescription } from '../../../src/binlog/format-description.js';
import { FL_TRANSACTIONAL, buildMariaDbGtidEvent } from '../../../src/binlog/mariadb-gtid-event.js';

export const SERVER_ID = 11;

export class SyntheticFile {
  readonly events: Buffer[] = [];
  pos = 4;
  seq: bigint;

  constructor(
    readonly name: string,
    firstSeq = 1n,
  ) {
    this.seq = firstSeq;
    const postHeaders = new Uint8Array(164);
    postHeaders[1] = 13; // QUERY
    const fde = buildFormatDescription({
      serverId: SERVER_ID, serverVersion: '10.11.19-MariaDB-log', timestamp: 1700000000, createTimestamp: 1700000000,
      logPos: 0, postHeaderLengths: postHeaders, checksumAlg: BINLOG_CHECKSUM_ALG_CRC32,
    });
    this.push((logPos) => {
      const copy = Buffer.from(fde);
      copy.writeUInt32LE(logPos, 13);
      return rechecksum(copy);
    }, fde.length);
    const list = Buffer.alloc(4);
    list.writeUInt32LE(firstSeq > 1n ? 1 : 0, 0);
    const body = firstSeq > 1n ? Buffer.concat([list, u32(0), u32(SERVER_ID), u64(firstSeq - 1n)]) : list;
    this.add(GTID_LIST_EVENT, body);
    this.add(BINLOG_CHECKPOINT_EVENT, Buffer.concat([u32(name.length), Buffer.from(name)]));
  }

  private push(make: (logPos: number) => Buffer, size: number): void {
    this.events.push(make(this.pos + size));
    this.pos += size;
  }

  add(type: number, body: Buffer): void {
    const size = 19 + body.length + 4;
    this.push((logPos) => buildEvent({ type, serverId: SERVER_ID, body, checksum: true, timestamp: 1700000001, logPos }), size);
  }

  /** A transaction: GTID, one row-like event of `rowBytes` body bytes, XID. Returns its GTID. */
  transaction(rowBytes: number): string {
    const seq = this.seq++;
    const gtid = buildMariaDbGtidEvent({ gtid: { domain: 0, serverId: SERVER_ID, seq }, flags2: FL_TRANSACTIONAL, checksum: true, timestamp: 1700000001, logPos: 0 });
    this.push((logPos) => {
      const copy = Buffer.from(gtid);
      copy.writeUInt32LE(logPos, 13);
      return rechecksum(copy);
    }, gtid.length);
    this.add(WRITE_ROWS_EVENT_V1, Buffer.alloc(rowBytes, Number(seq % 200n) + 32));
    this.add(XID_EVENT, u64(seq));
    return `0-${SERVER_ID}-${seq}`;
  }

  bytes(): Buffer {
    return Buffer.concat(this.events);
  }
}

function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0, 0);
  return b;
}

function u64(v: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(v, 0);
  return b;
}

function rechecksum(event: Buffer): Buffer {
  writeEventChecksum(event);
  return event;
}
