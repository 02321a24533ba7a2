// Writes MariaDB-shaped binlog files for tests: magic, FDE (CRC32), GTID transactions of row
// events closed by XID, standalone DDL, and the closing ROTATE, each event with its log_pos and
// CRC, and MariaDB's BINLOG_CHECKPOINT. It records where every transaction ends, so tests can cut files at or between boundaries.
import { BINLOG_CHECKSUM_ALG_CRC32 } from '../../../src/binlog/event-checksum.js';
import { buildEvent } from '../../../src/binlog/event-builder.js';
import { BINLOG_MAGIC, LOG_EVENT_BINLOG_IN_USE_F } from '../../../src/binlog/event-header.js';
import { BINLOG_CHECKPOINT_EVENT, GTID_EVENT, QUERY_EVENT, ROTATE_EVENT, START_ENCRYPTION_EVENT, WRITE_ROWS_EVENT_V1, XID_EVENT } from '../../../src/binlog/event-type.js';
import { buildFormatDescription } from '../../../src/binlog/format-description.js';
import { buildMariaDbGtidEvent, FL_STANDALONE } from '../../../src/binlog/mariadb-gtid-event.js';

const SERVER_ID = 11;
/** One post-header length per event type up to MariaDB's 164; QUERY's is 13. */
const POST_HEADER_LENGTHS = Uint8Array.from({ length: 164 }, (_, i) => (i + 1 === QUERY_EVENT ? 13 : 0));

export class SyntheticBinlog {
  private readonly parts: Buffer[] = [Buffer.from(BINLOG_MAGIC)];
  private size = BINLOG_MAGIC.length;
  private seq = 0n;
  /** File offsets right after each transaction (and after the FDE). */
  readonly boundaries: number[] = [];

  constructor(options: { inUse?: boolean; firstSeq?: bigint } = {}) {
    this.seq = options.firstSeq ?? 0n;
    const probe = buildFormatDescription({ serverId: SERVER_ID, serverVersion: '10.11.6-MariaDB-log', postHeaderLengths: POST_HEADER_LENGTHS, checksumAlg: BINLOG_CHECKSUM_ALG_CRC32 });
    this.append(buildFormatDescription({
      serverId: SERVER_ID, serverVersion: '10.11.6-MariaDB-log', postHeaderLengths: POST_HEADER_LENGTHS,
      checksumAlg: BINLOG_CHECKSUM_ALG_CRC32, timestamp: 1_700_000_000, createTimestamp: 1_700_000_000,
      logPos: this.size + probe.length, flags: options.inUse ? LOG_EVENT_BINLOG_IN_USE_F : 0,
    }));
    this.boundaries.push(this.size);
  }

  get length(): number {
    return this.size;
  }

  /** A transaction: GTID, one row event per entry of `rowBytes` (body size), XID. */
  transaction(rowBytes: number[]): this {
    this.gtid(0);
    for (const [i, n] of rowBytes.entries()) this.add(WRITE_ROWS_EVENT_V1, Buffer.alloc(n, 0x41 + (i % 26)));
    this.add(XID_EVENT, Buffer.alloc(8, 7));
    this.boundaries.push(this.size);
    return this;
  }

  /** A DDL statement: standalone GTID, then its QUERY. */
  ddl(sql: string): this {
    this.gtid(FL_STANDALONE);
    const head = Buffer.alloc(13);
    head.writeUInt8(3, 8); // db length
    this.add(QUERY_EVENT, Buffer.concat([head, Buffer.from('app\0', 'latin1'), Buffer.from(sql, 'latin1')]));
    this.boundaries.push(this.size);
    return this;
  }

  /** MariaDB's START_ENCRYPTION: what an encrypted binlog has right after its FDE. */
  startEncryption(): this {
    this.add(START_ENCRYPTION_EVENT, Buffer.alloc(17));
    return this;
  }

  /** MariaDB's BINLOG_CHECKPOINT naming `file` (the oldest one crash recovery needs). */
  checkpoint(file: string): this {
    const name = Buffer.from(file, 'utf8');
    const body = Buffer.alloc(4 + name.length);
    body.writeUInt32LE(name.length, 0);
    name.copy(body, 4);
    this.add(BINLOG_CHECKPOINT_EVENT, body);
    this.boundaries.push(this.size);
    return this;
  }

  /** The ROTATE that closes a file, naming the next one. */
  rotate(nextFile: string): this {
    const name = Buffer.from(nextFile, 'utf8');
    const body = Buffer.alloc(8 + name.length);
    body.writeBigUInt64LE(4n, 0);
    name.copy(body, 8);
    this.add(ROTATE_EVENT, body);
    this.boundaries.push(this.size);
    return this;
  }

  bytes(): Buffer {
    return Buffer.concat(this.parts, this.size);
  }

  private gtid(flags2: number): void {
    const event = buildMariaDbGtidEvent({ gtid: { domain: 0, serverId: SERVER_ID, seq: ++this.seq }, flags2, checksum: true });
    this.add(GTID_EVENT, event.subarray(19, event.length - 4), event.readUInt16LE(17));
  }

  /** Appends an event whose log_pos is its end in the file, as a server writes it. */
  private add(type: number, body: Uint8Array, flags = 0): void {
    const logPos = this.size + 19 + body.length + 4;
    this.append(buildEvent({ type, serverId: SERVER_ID, body, checksum: true, timestamp: 1_700_000_000, logPos, flags }));
  }

  private append(event: Buffer): void {
    this.parts.push(event);
    this.size += event.length;
  }
}
