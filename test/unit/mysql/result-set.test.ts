import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MYSQL_TYPE_LONGLONG, MYSQL_TYPE_VAR_STRING } from '../../../src/mysql/column-types.js';
import { encodeColumnDefinition41, encodeResultSet, encodeTextRow } from '../../../src/mysql/result-set.js';
import { PayloadReader } from '../../../src/mysql/payload-reader.js';
import { MysqlProtocolError } from '../../../src/mysql/protocol-error.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s/g, ''), 'hex');

describe('column definition 41', () => {
  it('writes catalog def, schema, table, org_table, name, org_name and the 12 fixed bytes', () => {
    const def = encodeColumnDefinition41({ name: 'Value', table: 't', orgTable: 'tt', schema: 's' });
    assert.deepEqual(
      def,
      Buffer.concat([
        hex('03 646566'), // "def"
        hex('01 73'), // schema
        hex('01 74'), // table
        hex('02 7474'), // org_table
        hex('05'),
        Buffer.from('Value'),
        hex('05'),
        Buffer.from('Value'), // org_name defaults to name
        hex('0c'),
        hex('2100'), // utf8_general_ci
        hex('00040000'), // length 1024
        hex('fd'), // VAR_STRING
        hex('0000'), // flags
        hex('00'), // decimals
        hex('0000'), // filler
      ]),
    );
  });

  it('gives numeric columns the binary collation and NUM|BINARY flags', () => {
    const r = new PayloadReader(encodeColumnDefinition41({ name: 'n', type: MYSQL_TYPE_LONGLONG }));
    for (let i = 0; i < 6; i++) r.lenencBytes();
    assert.equal(r.lenencInt(), 0x0c);
    assert.equal(r.uint16(), 63);
    assert.equal(r.uint32(), 21);
    assert.equal(r.uint8(), MYSQL_TYPE_LONGLONG);
    assert.equal(r.uint16(), 0x8080);
  });
});

describe('text rows', () => {
  it('writes values as length-encoded strings and NULL as 0xfb', () => {
    assert.deepEqual(encodeTextRow(['ab', null, 12, 5n, Buffer.from([0])]), hex('02 6162 fb 02 3132 01 35 01 00'));
  });
});

describe('result set', () => {
  const columns = [{ name: 'a', type: MYSQL_TYPE_VAR_STRING }];

  it('is column count, columns, EOF, rows, EOF with classic EOF packets', () => {
    const payloads = encodeResultSet(columns, [['x'], [null]]);
    assert.equal(payloads.length, 6);
    assert.deepEqual(payloads[0], hex('01'));
    assert.deepEqual(payloads[2], hex('fe 0000 0200'));
    assert.deepEqual(payloads[3], hex('01 78'));
    assert.deepEqual(payloads[4], hex('fb'));
    assert.deepEqual(payloads[5], hex('fe 0000 0200'));
  });

  it('drops the column EOF and ends with OK(0xfe) under DEPRECATE_EOF', () => {
    const payloads = encodeResultSet(columns, [['x']], { deprecateEof: true });
    assert.equal(payloads.length, 4);
    assert.deepEqual(payloads[2], hex('01 78'));
    assert.deepEqual(payloads[3], hex('fe 00 00 0200 0000'));
  });

  it('encodes an empty result set as columns and two EOFs', () => {
    assert.equal(encodeResultSet(columns, []).length, 4);
  });

  it('refuses a row whose width differs from the column count', () => {
    assert.throws(
      () => encodeResultSet(columns, [['x', 'y']]),
      (e: unknown) => e instanceof MysqlProtocolError && e.code === 'ERR_MYSQL_INVALID_ARGUMENT',
    );
  });
});
