import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BinlogEventReader } from '../../../src/binlog/event-reader.js';
import { decodeRelayRecord, encodeRelayRecord, type BinlogRecord, type RelayRecord } from '../../../src/relaylog/relay-entry.js';
import { RecordBuilder } from '../../../src/syncer/record-builder.js';
import { SyntheticBinlog } from './synthetic-binlog.js';

const FILE = 'up-bin.000001';

/** Feeds every event of `binlog` to a builder (as the syncer does: one buffer per event), flushing
 *  after each; returns the records. */
function build(binlog: SyntheticBinlog, options: { batchBytes: number; maxRecordBytes: number }): BinlogRecord[] {
  const records: RelayRecord[] = [];
  const builder = new RecordBuilder(options, (r) => records.push(r), { file: FILE, pos: 4 });
  const bytes = binlog.bytes();
  for (const event of new BinlogEventReader().feed(bytes)) builder.push({ ...event, bytes: Buffer.from(event.bytes) });
  builder.flushBoundary();
  return records.map((r) => {
    assert.equal(r.kind, 'binlog');
    return r as BinlogRecord;
  });
}

test('records carry the upstream bytes in order, cut at transaction boundaries and into pieces of at most maxRecordBytes', () => {
  const binlog = new SyntheticBinlog().transaction([100, 200]).ddl('CREATE TABLE t (a INT)')
    .transaction([5000, 7000, 3000]).transaction([50]).transaction([9000]);
  const maxRecordBytes = 4096;
  const records = build(binlog, { batchBytes: 1024, maxRecordBytes });
  const file = binlog.bytes();
  let pos = 4;
  for (const r of records) {
    assert.equal(r.file, FILE);
    assert.equal(r.pos, pos, 'records are contiguous');
    assert.ok(r.bytes.length <= maxRecordBytes || r.endsAtBoundary, `a piece of ${r.bytes.length} bytes`);
    if (!r.endsAtBoundary) assert.equal(r.bytes.length, maxRecordBytes, 'pieces are full');
    assert.equal(binlog.boundaries.includes(pos + r.bytes.length), r.endsAtBoundary, `record ending at ${pos + r.bytes.length}`);
    assert.ok(Buffer.from(r.bytes).equals(file.subarray(pos, pos + r.bytes.length)), `bytes at ${pos}`);
    pos += r.bytes.length;
  }
  assert.equal(pos, binlog.boundaries.at(-1), 'everything up to the last boundary was handed out');
  assert.ok(records.some((r) => !r.endsAtBoundary), 'the large transactions were cut into pieces');
});

test('a record built from event buffers is already encoded: the entry decodes to the same record and owns its bytes', () => {
  const binlog = new SyntheticBinlog().transaction([300, 400]).transaction([20]);
  const records = build(binlog, { batchBytes: 1, maxRecordBytes: 1 << 20 });
  assert.equal(records.length, 3, 'FDE, then one record per transaction');
  for (const r of records) {
    const entry = encodeRelayRecord(r);
    assert.equal(entry, r.entry, 'encoding returns the entry built with the record, no second copy');
    const { entry: _, ...fields } = r;
    const decoded = decodeRelayRecord(entry) as BinlogRecord;
    assert.deepEqual({ ...decoded, bytes: Buffer.from(decoded.bytes) }, { ...fields, bytes: Buffer.from(fields.bytes) });
    assert.equal(r.bytes.buffer, entry.buffer, 'the bytes are a view into the entry');
  }
});
