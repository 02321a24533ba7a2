import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { uncompressMariaDbBuffer } from '../../../src/binlog/mariadb-compressed-buffer.js';

/** What MariaDB's binlog_buf_compress writes: 0x80 | length bytes, the length big-endian, zlib. */
function compressed(data: Buffer, lengthBytes: number): Buffer {
  const length = Buffer.alloc(lengthBytes);
  length.writeUIntBE(data.length, 0, lengthBytes);
  return Buffer.concat([Buffer.of(0x80 | lengthBytes), length, deflateSync(data)]);
}

test('a compressed buffer gives back its bytes, whatever width its length takes', () => {
  const text = Buffer.from('INSERT INTO app.t VALUES (1, REPEAT(\'x\', 500))');
  assert.ok(uncompressMariaDbBuffer(compressed(text, 1)).equals(text));
  const big = Buffer.alloc(70_000, 'y');
  assert.ok(uncompressMariaDbBuffer(compressed(big, 3)).equals(big));
});

test('a header without the compressed flag, another algorithm, a wrong length or a broken stream is a bad event', () => {
  const good = compressed(Buffer.from('statement'), 1);
  const cases: Buffer[] = [
    Buffer.concat([Buffer.of(0x01), good.subarray(1)]), // flag bit clear
    Buffer.concat([Buffer.of(0x91), good.subarray(1)]), // algorithm 1
    Buffer.concat([good.subarray(0, 1), Buffer.of(good[1]! + 1), good.subarray(2)]), // length off by one
    good.subarray(0, good.length - 3), // stream cut
    Buffer.of(0x80),
  ];
  for (const bad of cases) assert.throws(() => uncompressMariaDbBuffer(bad, 123), { code: 'BINLOG_BAD_EVENT' }, bad.toString('hex'));
});
