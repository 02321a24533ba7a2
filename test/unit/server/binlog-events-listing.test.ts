import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildEvent } from '../../../src/binlog/event-builder.js';
import { XID_EVENT } from '../../../src/binlog/event-type.js';
import type { RelayFile } from '../../../src/relaylog/relay-files.js';
import type { RelaySpan } from '../../../src/relaylog/file-span.js';
import type { RelaySource } from '../../../src/server/relay-source.js';
import { BinlogEventsError, listBinlogEvents } from '../../../src/server/binlog-events-listing.js';

/** Bytes of an XID event without checksum. */
const SIZE = 27;

/** An XID event whose header says it ends at `end`. */
function xid(n: number, end: number): Buffer {
  const body = Buffer.alloc(8);
  body.writeBigUInt64LE(BigInt(n));
  return buildEvent({ type: XID_EVENT, serverId: 7, body, checksum: false, logPos: end });
}

/** A relay holding one file of `count` XID events, read `perSpan` events at a time; reads past
 *  `failFrom` fail as a purged file's do. */
function relayOf(count: number, perSpan: number, failFrom = Infinity): RelaySource {
  const size = SIZE;
  assert.equal(xid(0, 0).length, SIZE);
  const file = { seq: 1, name: 'up-bin.000001', firstPos: 4, endPos: 4 + count * size } as RelayFile;
  const source = {
    files: () => [file],
    fileByName: (name: string) => (name === file.name ? file : undefined),
    format: () => null,
    openFile: async () => ({ release: async () => undefined }),
    checkEventStart: async () => undefined,
    failOn: (err: unknown) => err,
    readSpan: async (_f: RelayFile, pos: number): Promise<RelaySpan | null> => {
      if (pos >= file.endPos) return null;
      if (pos >= failFrom) throw Object.assign(new Error(`ENOENT: ${file.name}`), { code: 'ENOENT' });
      const first = (pos - 4) / size;
      const events = Array.from({ length: Math.min(perSpan, count - first) }, (_, i) => xid(first + i, pos + (i + 1) * size));
      return { chunks: [Buffer.concat(events)], startPos: pos, endPos: pos + events.length * size };
    },
  };
  return source as unknown as RelaySource;
}

async function collect(rows: AsyncIterable<unknown[][]>): Promise<unknown[][]> {
  const out: unknown[][] = [];
  for await (const batch of rows) out.push(...batch);
  return out;
}

test('OFFSET and LIMIT count events across reads, and the listing stops reading at the limit', async () => {
  const rows = await collect(await listBinlogEvents(relayOf(10, 3), 'mariadb', { file: null, from: 4, offset: 4, limit: 3 }));
  assert.deepEqual(rows.map((r) => r[5]), ['COMMIT /* xid=4 */', 'COMMIT /* xid=5 */', 'COMMIT /* xid=6 */']);
  assert.deepEqual(rows.map((r) => [r[0], r[2], r[3]]), Array(3).fill(['up-bin.000001', 'Xid', 7]));
  assert.equal(Number(rows[1]![1]) + SIZE, Number(rows[1]![4]), 'Pos and End_log_pos of one event');
  const all = await collect(await listBinlogEvents(relayOf(10, 4, 4 + SIZE * 8), 'mariadb', { file: null, from: 4, offset: 0, limit: 5 }));
  assert.equal(all.length, 5, 'no read past the limit (the failing one is never reached)');
});

test('a file purged under a running listing ends it with 1220, after the rows already sent', async () => {
  const rows = await listBinlogEvents(relayOf(10, 4, 4 + SIZE * 4), 'mariadb', { file: null, from: 4, offset: 0, limit: null });
  const seen: unknown[][] = [];
  await assert.rejects(async () => {
    for await (const batch of rows) seen.push(...batch);
  }, (err: unknown) => err instanceof BinlogEventsError && err.errno === 1220 && /Wrong offset or I\/O error/.test(err.message));
  assert.equal(seen.length, 4);
});

test('an unknown file and a start past the published end are refused before any row', async () => {
  await assert.rejects(listBinlogEvents(relayOf(2, 2), 'mariadb', { file: 'up-bin.000009', from: 4, offset: 0, limit: null }),
    /SHOW BINLOG EVENTS: Could not find target log/);
  await assert.rejects(listBinlogEvents(relayOf(2, 2), 'mariadb', { file: null, from: 1000, offset: 0, limit: null }),
    /Requested from pos:1000 is greater than actual file size:58/);
});

test('a read of thousands of events is listed 256 rows at a time, the event loop running between batches (also while skipping an OFFSET)', async () => {
  let ticks = 0;
  let ticking = true;
  const tick = (): void => {
    ticks++;
    if (ticking) setImmediate(tick);
  };
  setImmediate(tick);
  try {
    const sizes: number[] = [];
    for await (const batch of await listBinlogEvents(relayOf(20_000, 20_000), 'mariadb', { file: null, from: 4, offset: 0, limit: null })) sizes.push(batch.length);
    assert.equal(sizes.reduce((a, b) => a + b, 0), 20_000);
    assert.ok(sizes.every((n) => n <= 256), `batches of ${Math.max(...sizes)} rows`);
    assert.ok(ticks >= sizes.length - 1, `the loop ran ${ticks} times in ${sizes.length} batches`);
    const skipping = ticks;
    const tail = await collect(await listBinlogEvents(relayOf(20_000, 20_000), 'mariadb', { file: null, from: 4, offset: 19_998, limit: null }));
    assert.deepEqual(tail.map((r) => r[5]), ['COMMIT /* xid=19998 */', 'COMMIT /* xid=19999 */']);
    assert.ok(ticks - skipping >= 4, `the loop ran ${ticks - skipping} times while 19,998 events were skipped`);
  } finally {
    ticking = false;
  }
});
