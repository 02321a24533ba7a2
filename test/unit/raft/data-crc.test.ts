import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { crc32Combine, crc32Then, dataCrc32 } from '../../../raft/data-crc.js';

test('crc32Combine gives the CRC of the concatenation, for empty, short and long second parts', () => {
  for (const [a, b] of [[0, 0], [1, 0], [0, 1], [7, 3], [100, 4095], [5000, 4096], [3, 70_000], [65_536, 1_048_577]] as const) {
    const A = randomBytes(a);
    const B = randomBytes(b);
    assert.equal(crc32Combine(crc32(A), crc32(B), b), crc32(Buffer.concat([A, B])), `|A|=${a} |B|=${b}`);
  }
});

test('crc32Then continues a CRC over data, cached or not', () => {
  const head = randomBytes(33);
  for (const n of [10, 4096, 200_000]) {
    const data = randomBytes(n);
    assert.equal(crc32Then(crc32(head), data), crc32(Buffer.concat([head, data])));
    assert.equal(crc32Then(crc32(head), data), crc32(Buffer.concat([head, data])), 'again, from the cache');
  }
});

test('a large buffer is hashed once; a small one each time', () => {
  const data = randomBytes(8192);
  const first = dataCrc32(data);
  assert.equal(first, crc32(data));
  data[0] ^= 0xff; // entry data never changes; here it shows which value is returned
  assert.equal(dataCrc32(data), first, 'the cached value, not a new hash');
  const small = randomBytes(100);
  dataCrc32(small);
  small[0] ^= 0xff;
  assert.equal(dataCrc32(small), crc32(small), 'small buffers are always hashed');
});
