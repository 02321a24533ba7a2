import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeSerializedString, decodeVarInt, decodeVarUint, encodeSerializedString, encodeVarInt, encodeVarUint,
} from '../../../src/binlog/mysql-serialization.js';
import { seededRandom } from './listing.js';

// Examples from libs/mysql/serialization/readme.md, written there big-endian bit strings.
function be(bits: string): number[] {
  return bits.split(' ').map((b) => parseInt(b, 2)).reverse();
}

test('varints encode as the serialization readme examples show', () => {
  assert.deepEqual([...encodeVarUint(65535)], be('00000111 11111111 11111011'));
  assert.deepEqual([...encodeVarInt(65535)], be('00001111 11111111 11110011'));
  assert.deepEqual([...encodeVarInt(-65535)], be('00001111 11111111 11101011'));
  assert.deepEqual([...encodeVarInt(-65536)], be('00001111 11111111 11111011'));
});

test('small values take one byte (value << 1) and strings are a varint length then bytes', () => {
  assert.deepEqual([...encodeVarUint(0)], [0]);
  assert.deepEqual([...encodeVarUint(5)], [10]);
  assert.deepEqual([...encodeSerializedString('mytag')], [0x0a, 0x6d, 0x79, 0x74, 0x61, 0x67]);
  assert.deepEqual(decodeSerializedString(Uint8Array.of(0x0a, 0x6d, 0x79, 0x74, 0x61, 0x67), 0), { value: 'mytag', next: 6 });
});

test('every byte length from 1 to 9 round-trips, including the full 64-bit range (seeded)', () => {
  const rnd = seededRandom(42);
  const lengths = new Set<number>();
  for (let i = 0; i < 3000; i++) {
    const bits = Math.floor(rnd() * 65);
    let v = 0n;
    for (let b = 0; b < bits; b++) v = (v << 1n) | (rnd() < 0.5 ? 1n : 0n);
    if (bits === 64) v |= 1n << 63n;
    const enc = encodeVarUint(v);
    lengths.add(enc.length);
    assert.deepEqual(decodeVarUint(enc, 0), { value: v, next: enc.length });
    const signed = BigInt.asIntN(64, v);
    const sEnc = encodeVarInt(signed);
    assert.deepEqual(decodeVarInt(sEnc, 0), { value: signed, next: sEnc.length });
  }
  assert.deepEqual([...lengths].sort(), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
});
