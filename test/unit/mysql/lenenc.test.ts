import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  encodeLenencInt,
  encodeLenencString,
  encodeNulTerminatedString,
  lenencIntSize,
  readFixedInt,
  readLenencBigInt,
  readLenencBytes,
  readLenencInt,
  readNulTerminatedBytes,
  writeFixedInt,
} from '../../../src/mysql/lenenc.js';
import { PayloadReader } from '../../../src/mysql/payload-reader.js';
import { PayloadWriter } from '../../../src/mysql/payload-writer.js';
import { MysqlProtocolError } from '../../../src/mysql/protocol-error.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s/g, ''), 'hex');
const isCode = (code: string) => (e: unknown) => e instanceof MysqlProtocolError && e.code === code;

describe('length-encoded integers', () => {
  const cases: [number | bigint, string][] = [
    [0, '00'],
    [250, 'fa'],
    [251, 'fc fb00'],
    [0xffff, 'fc ffff'],
    [0x10000, 'fd 000001'],
    [0xffffff, 'fd ffffff'],
    [0x1000000, 'fe 0000000100000000'],
    [Number.MAX_SAFE_INTEGER, 'fe ffffffffffff1f00'],
    [(1n << 64n) - 1n, 'fe ffffffffffffffff'],
  ];
  for (const [value, bytes] of cases) {
    it(`encodes ${value} as ${bytes} and reads it back`, () => {
      assert.deepEqual(encodeLenencInt(value), hex(bytes));
      assert.equal(lenencIntSize(value), hex(bytes).length);
      const padded = Buffer.concat([hex('aa'), hex(bytes), hex('bb')]);
      assert.deepEqual(readLenencBigInt(padded, 1), { value: BigInt(value), offset: 1 + hex(bytes).length });
    });
  }

  it('reads 0xfb as NULL', () => {
    assert.deepEqual(readLenencInt(hex('fb'), 0), { value: null, offset: 1 });
    assert.deepEqual(readLenencBytes(hex('fb'), 0), { value: null, offset: 1 });
  });

  it('refuses 0xff, which marks an ERR packet, not an integer', () => {
    assert.throws(() => readLenencInt(hex('ff'), 0), isCode('ERR_MYSQL_MALFORMED_PACKET'));
  });

  it('returns numbers up to 2^53 - 1 and refuses larger ones instead of rounding', () => {
    assert.equal(readLenencInt(hex('fe ffffffffffff1f00'), 0).value, Number.MAX_SAFE_INTEGER);
    assert.throws(() => readLenencInt(hex('fe 0000000000002000'), 0), isCode('ERR_MYSQL_UNSAFE_INTEGER'));
    assert.equal(readLenencBigInt(hex('fe 0000000000002000'), 0).value, 1n << 53n);
  });

  it('reports a truncated integer as a malformed packet', () => {
    assert.throws(() => readLenencInt(hex('fd 0102'), 0), isCode('ERR_MYSQL_MALFORMED_PACKET'));
    assert.throws(() => readLenencInt(Buffer.alloc(0), 0), isCode('ERR_MYSQL_MALFORMED_PACKET'));
  });

  it('refuses negative, fractional and over-64-bit values', () => {
    assert.throws(() => encodeLenencInt(-1), isCode('ERR_MYSQL_INVALID_ARGUMENT'));
    assert.throws(() => encodeLenencInt(1.5), isCode('ERR_MYSQL_INVALID_ARGUMENT'));
    assert.throws(() => encodeLenencInt(1n << 64n), isCode('ERR_MYSQL_INVALID_ARGUMENT'));
  });
});

describe('length-encoded strings', () => {
  it('prefixes short strings with one length byte and NULL with 0xfb', () => {
    assert.deepEqual(encodeLenencString('def'), hex('03 646566'));
    assert.deepEqual(encodeLenencString(''), hex('00'));
    assert.deepEqual(encodeLenencString(null), hex('fb'));
  });

  it('uses the 0xfc form from 251 bytes on and reads it back as a view', () => {
    const s = 'x'.repeat(300);
    const enc = encodeLenencString(s);
    assert.deepEqual(enc.subarray(0, 3), hex('fc 2c01'));
    const { value, offset } = readLenencBytes(enc, 0);
    assert.equal(value!.toString(), s);
    assert.equal(offset, enc.length);
    assert.equal(value!.buffer, enc.buffer);
  });

  it('reports a string running past the payload as malformed', () => {
    assert.throws(() => readLenencBytes(hex('05 6162'), 0), isCode('ERR_MYSQL_MALFORMED_PACKET'));
  });
});

describe('NUL-terminated strings and fixed-width integers', () => {
  it('reads up to the NUL and consumes it', () => {
    assert.deepEqual(readNulTerminatedBytes(hex('616200 63'), 0), { value: Buffer.from('ab'), offset: 3 });
    assert.throws(() => readNulTerminatedBytes(hex('6162'), 0), isCode('ERR_MYSQL_MALFORMED_PACKET'));
  });

  it('refuses to write a NUL inside a NUL-terminated string', () => {
    assert.deepEqual(encodeNulTerminatedString('ab'), hex('616200'));
    assert.throws(() => encodeNulTerminatedString('a\0b'), isCode('ERR_MYSQL_INVALID_ARGUMENT'));
  });

  it('reads and writes little-endian int<1>…int<8>', () => {
    const buf = Buffer.alloc(8);
    assert.equal(writeFixedInt(buf, 0, 3, 0x030201), 3);
    assert.deepEqual(buf.subarray(0, 3), hex('010203'));
    assert.equal(readFixedInt(hex('010203'), 0, 3), 0x030201);
    writeFixedInt(buf, 0, 8, 2n ** 52n + 5n);
    assert.equal(readFixedInt(buf, 0, 8), 2 ** 52 + 5);
    assert.throws(() => writeFixedInt(buf, 0, 2, 0x10000), isCode('ERR_MYSQL_INVALID_ARGUMENT'));
    assert.throws(() => readFixedInt(hex('0102'), 0, 4), isCode('ERR_MYSQL_MALFORMED_PACKET'));
  });
});

describe('PayloadWriter and PayloadReader', () => {
  it('round-trip every field type in order, growing past the initial capacity', () => {
    const blob = Buffer.alloc(70_000, 0x41);
    const payload = new PayloadWriter(16)
      .uint8(0x12)
      .uint16(0xbeef)
      .uint24(0x123456)
      .uint32(0xfedcba98)
      .uint64(1n << 60n)
      .lenencInt(70_000)
      .lenencString('ünïcode')
      .lenencString(null)
      .lenencString(blob)
      .nulString('nul-terminated')
      .string('rest')
      .finish();
    const r = new PayloadReader(payload);
    assert.equal(r.uint8(), 0x12);
    assert.equal(r.uint16(), 0xbeef);
    assert.equal(r.uint24(), 0x123456);
    assert.equal(r.uint32(), 0xfedcba98);
    assert.equal(r.uint64(), 1n << 60n);
    assert.equal(r.lenencInt(), 70_000);
    assert.equal(r.lenencString(), 'ünïcode');
    assert.equal(r.lenencString(), null);
    assert.deepEqual(r.lenencBytes(), blob);
    assert.equal(r.nulString(), 'nul-terminated');
    assert.equal(r.rest().toString(), 'rest');
    assert.equal(r.atEnd(), true);
  });

  it('throws a typed error instead of reading past the end', () => {
    const r = new PayloadReader(hex('0102'));
    assert.throws(() => r.uint32(), isCode('ERR_MYSQL_MALFORMED_PACKET'));
    assert.throws(() => r.bytes(3), isCode('ERR_MYSQL_MALFORMED_PACKET'));
  });
});
