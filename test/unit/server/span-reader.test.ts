import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { encodeRelayRecord } from '../../../src/relaylog/relay-entry.js';
import { RelaySource } from '../../../src/server/relay-source.js';
import { SpanReader } from '../../../src/server/span-reader.js';
import { SPAN_READ_BYTES } from '../../../src/relaylog/file-span.js';
import { openLocalRelay, type LocalRelay } from '../../helpers/local-relay.js';
import { SyntheticFile } from './synthetic-binlog.js';

let local: LocalRelay;
let source: RelaySource;
const file = new SyntheticFile('ahead-bin.000001');

before(async () => {
  local = await openLocalRelay();
  for (let i = 0; i < 40; i++) file.transaction(50_000 + i * 1000);
  // One record (and so one group) per event run between GTIDs.
  const bytes = file.bytes();
  let pos = 4;
  let start = 4;
  for (const e of file.events) {
    if (e[4] === 162 && pos > start) {
      await local.commit(encodeRelayRecord({ kind: 'binlog', file: file.name, pos: start, endsAtBoundary: true, bytes: bytes.subarray(start - 4, pos - 4) }));
      start = pos;
    }
    pos += e.length;
  }
  await local.commit(encodeRelayRecord({ kind: 'binlog', file: file.name, pos: start, endsAtBoundary: true, bytes: bytes.subarray(start - 4) }));
  source = new RelaySource(local.relay);
});

after(async () => {
  source?.close();
  await local?.close();
});

test('spans are large reads of whole events in order, and a jump to another position starts over', async () => {
  const relayFile = local.relay.fileByName(file.name)!;
  const reader = new SpanReader(source, () => false);
  const out: Buffer[] = [];
  let pos = 4;
  const starts = new Set<number>();
  for (let p = 4, k = 0; k < file.events.length; p += file.events[k]!.length, k++) starts.add(p);
  let spans = 0;
  for (let span = await reader.read(relayFile, pos); span; span = await reader.read(relayFile, pos)) {
    out.push(...span.chunks.map((c) => Buffer.from(c)));
    assert.ok(starts.has(span.endPos) || span.endPos === relayFile.endPos, `span ends at an event start (${span.endPos})`);
    assert.ok(span.endPos - pos <= SPAN_READ_BYTES, 'one read is at most SPAN_READ_BYTES');
    pos = span.endPos;
    spans++;
  }
  // Each read is cut back to a whole event (events here are under 100 KB).
  const total = file.bytes().length;
  assert.ok(spans >= Math.ceil(total / SPAN_READ_BYTES) && spans <= Math.ceil(total / (SPAN_READ_BYTES - 100_000)), `${total} bytes in ${spans} reads`);
  assert.ok(Buffer.concat(out).equals(file.bytes()));
  const again = await reader.read(relayFile, 4);
  assert.equal(again!.chunks[0]![4], 15, 'back at the FDE');
});
