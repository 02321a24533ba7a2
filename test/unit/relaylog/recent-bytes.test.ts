import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecentBytes } from '../../../src/relaylog/recent-bytes.js';

const bytes = (from: number, n: number): Uint8Array => Uint8Array.from({ length: n }, (_, k) => (from + k) & 0xff);
const joined = (chunks: Uint8Array[] | null): number[] | null => (chunks === null ? null : chunks.flatMap((c) => [...c]));

test('contiguous writes are served as views across chunk edges, and nothing outside them', () => {
  const r = new RecentBytes(1024);
  r.written('b.000001', 100, bytes(100, 10));
  r.written('b.000001', 110, bytes(110, 10));
  assert.deepEqual(joined(r.span('b.000001', 105, 115)), [...bytes(105, 10)]);
  assert.equal(r.span('b.000001', 99, 110), null, 'before what is held');
  assert.equal(r.span('b.000001', 110, 121), null, 'past what is written');
  assert.equal(r.span('b.000002', 100, 110), null, 'another file');
});

test('a write that does not continue the held range starts over; a cut or removal forgets', () => {
  const r = new RecentBytes(1024);
  r.written('b.000001', 4, bytes(4, 20));
  r.written('b.000001', 14, bytes(50, 5)); // a refused group's tail rewritten
  assert.equal(r.span('b.000001', 4, 14), null);
  assert.deepEqual(joined(r.span('b.000001', 14, 19)), [...bytes(50, 5)]);
  r.cut('b.000001', 16);
  assert.equal(r.span('b.000001', 14, 16), null, 'a cut inside the held range forgets it all');
  r.written('b.000002', 4, bytes(0, 8));
  r.cut('b.000001', 0);
  assert.deepEqual(joined(r.span('b.000002', 4, 12)), [...bytes(0, 8)], 'cutting another file keeps it');
});

test('memory stays bounded: the oldest chunks go once the rest reaches the limit', () => {
  const r = new RecentBytes(100);
  for (let k = 0; k < 10; k++) r.written('b.000001', 4 + k * 40, bytes(k, 40));
  assert.deepEqual(joined(r.span('b.000001', 4 + 7 * 40, 4 + 10 * 40)), [...bytes(7, 40), ...bytes(8, 40), ...bytes(9, 40)]);
  assert.equal(r.span('b.000001', 4 + 6 * 40, 4 + 7 * 40), null);
});

test('every span of what is held is exactly those bytes, whatever the chunk sizes', () => {
  let seed = 7;
  const random = (n: number): number => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed % n;
  };
  const r = new RecentBytes(4096);
  const file: number[] = [];
  let pos = 4;
  for (let w = 0; w < 400; w++) {
    const chunk = bytes(pos, 1 + random(w % 10 === 0 ? 900 : 40));
    r.written('b.000001', pos, chunk);
    file.push(...chunk);
    pos += chunk.length;
    for (let q = 0; q < 5; q++) {
      const to = pos - random(Math.min(200, pos - 4));
      const from = to - 1 - random(Math.min(3000, to - 4));
      const got = r.span('b.000001', from, to);
      if (got !== null) assert.deepEqual(joined(got), file.slice(from - 4, to - 4), `[${from}, ${to})`);
      else assert.ok(from < pos - 4096, `[${from}, ${to}) is held (end ${pos}) and must be served`);
    }
  }
});
