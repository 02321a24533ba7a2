import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTransactionPayloadEvent } from '../../../src/binlog/transaction-payload-event.js';
import { allFixtureListings, detailFields, readEventsOf } from './listing.js';

test('TRANSACTION_PAYLOAD header fields match the listing and the payload fills the body', () => {
  const f = allFixtureListings().find((x) => x.name.endsWith('transaction_compression.000001'))!;
  const events = readEventsOf(f.path);
  const i = f.events.findIndex((e) => e.type === 'TRANSACTION_PAYLOAD');
  const p = parseTransactionPayloadEvent(events[i]!);
  const d = detailFields(f.events[i]!.detail);
  assert.equal(p.compression, d.compression);
  assert.equal(p.payloadSize, Number(d.payload_size));
  assert.equal(p.uncompressedSize, Number(d.uncompressed));
  assert.equal(p.payload.length, p.payloadSize);
  // zstd frame magic 28 b5 2f fd
  assert.deepEqual([...p.payload.subarray(0, 4)], [0x28, 0xb5, 0x2f, 0xfd]);
  // The listing's inner events add up to the uncompressed size.
  const inner = f.events[i]!.inner!;
  assert.equal(inner.reduce((n, e) => n + e.length!, 0), p.uncompressedSize);
  assert.deepEqual(inner.map((e) => e.end), [0, 0, 0, 0], 'inner events have next position 0');
});
