import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeEof,
  decodeErr,
  decodeOk,
  encodeAuthMoreData,
  encodeEof,
  encodeErr,
  encodeOk,
  isEofPacket,
  isErrPacket,
  isOkPacket,
} from '../../../src/mysql/response-packets.js';
import { MysqlProtocolError } from '../../../src/mysql/protocol-error.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s/g, ''), 'hex');

describe('OK packet', () => {
  it('is 00 00 00 02 00 00 00 for a plain OK with autocommit status', () => {
    assert.deepEqual(encodeOk(), hex('00 00 00 0200 0000'));
  });

  it('length-encodes affected rows and insert id and appends info text', () => {
    const ok = encodeOk({ affectedRows: 300, lastInsertId: 2n ** 40n, warnings: 1, info: 'hi' });
    assert.deepEqual(ok, hex('00 fc2c01 fe0000000000010000 0200 0100 6869'));
    assert.deepEqual(decodeOk(ok), { affectedRows: 300, lastInsertId: 2 ** 40, statusFlags: 2, warnings: 1, info: 'hi' });
  });

  it('uses the 0xfe header when it replaces a result set EOF', () => {
    assert.deepEqual(encodeOk({ header: 0xfe }), hex('fe 00 00 0200 0000'));
  });
});

describe('ERR packet', () => {
  const message = "Access denied for user 'u'@'127.0.0.1' (using password: YES)";

  it("carries the code, '#', the SQLSTATE and the message", () => {
    const err = encodeErr(1045, '28000', message);
    assert.deepEqual(err.subarray(0, 9), hex('ff 1504 23 3238303030'));
    assert.equal(err.subarray(9).toString(), message);
    assert.deepEqual(decodeErr(err), { code: 1045, sqlState: '28000', message });
    assert.equal(isErrPacket(err), true);
  });

  it('omits the SQLSTATE marker for a client that has not said it speaks 4.1', () => {
    const err = encodeErr(1040, '08004', 'Too many connections', false);
    assert.deepEqual(err, Buffer.concat([hex('ff 1004'), Buffer.from('Too many connections')]));
    assert.deepEqual(decodeErr(err), { code: 1040, sqlState: null, message: 'Too many connections' });
  });

  it('refuses a SQLSTATE that is not five characters', () => {
    assert.throws(
      () => encodeErr(1064, '4200', 'x'),
      (e: unknown) => e instanceof MysqlProtocolError && e.code === 'ERR_MYSQL_INVALID_ARGUMENT',
    );
  });
});

describe('EOF packet', () => {
  it('is fe, warnings, status: fe 00 00 02 00', () => {
    assert.deepEqual(encodeEof(), hex('fe 0000 0200'));
    assert.deepEqual(decodeEof(encodeEof(3, 0x22)), { warnings: 3, statusFlags: 0x22 });
  });

  it('is told apart from a row starting with an 8-byte length by its size', () => {
    assert.equal(isEofPacket(encodeEof()), true);
    assert.equal(isEofPacket(hex('fe 0000000001000000 41')), false);
    assert.equal(isOkPacket(encodeOk()), true);
  });
});

describe('AuthMoreData', () => {
  it('prefixes the data with 0x01 (fast auth success is 01 03)', () => {
    assert.deepEqual(encodeAuthMoreData(Buffer.from([3])), hex('01 03'));
  });
});
