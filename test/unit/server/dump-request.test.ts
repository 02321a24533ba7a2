import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MysqlGtidSet } from '../../../src/binlog/gtid-set-mysql.js';
import { encodeMysqlGtidSet } from '../../../src/binlog/gtid-set-mysql-binary.js';
import { DumpRequestError, parseBinlogDump, parseBinlogDumpGtid, parseRegisterSlave } from '../../../src/server/dump-request.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s/g, ''), 'hex');

describe('COM_REGISTER_SLAVE', () => {
  it("decodes a MariaDB replica's 18-byte registration (capA) and never keeps the password", () => {
    // server_id=2 host="" user="" password="" port=3407 rank=0 master_id=0
    const reg = parseRegisterSlave(hex('15 02000000 00 00 00 4f0d 00000000 00000000'));
    assert.deepEqual(reg, { serverId: 2, host: '', user: '', port: 3407, rplRecoveryRank: 0, masterId: 0 });
  });

  it('decodes reported host and user, and skips the password', () => {
    const p = Buffer.concat([hex('15 07000000'), Buffer.from([4]), Buffer.from('rep1'), Buffer.from([1]), Buffer.from('u'), Buffer.from([6]), Buffer.from('secret'), hex('ea0c 00000000 01000000')]);
    const reg = parseRegisterSlave(p);
    assert.deepEqual(reg, { serverId: 7, host: 'rep1', user: 'u', port: 3306, rplRecoveryRank: 0, masterId: 1 });
    assert.ok(!JSON.stringify(reg).includes('secret'));
  });

  it('refuses a truncated registration', () => {
    assert.throws(() => parseRegisterSlave(hex('15 0200')), DumpRequestError);
  });
});

describe('COM_BINLOG_DUMP', () => {
  it('decodes position, flags, server_id and the file name up to the end of the packet', () => {
    const p = Buffer.concat([hex('12 f8090000 0200 02000000'), Buffer.from('up-bin.000001')]);
    assert.deepEqual(parseBinlogDump(p), { command: 'binlog-dump', position: 2552, flags: 2, serverId: 2, file: 'up-bin.000001' });
  });

  it('accepts an empty name (first binlog / GTID mode) and a NUL-terminated one', () => {
    assert.equal(parseBinlogDump(hex('12 04000000 0300 00000000')).file, '');
    assert.equal(parseBinlogDump(Buffer.concat([hex('12 04000000 0300 00000000'), Buffer.from('f.000001\0')])).file, 'f.000001');
  });

  it('refuses a packet too short for its fixed fields', () => {
    assert.throws(() => parseBinlogDump(hex('12 04000000 03')), DumpRequestError);
  });
});

describe('COM_BINLOG_DUMP_GTID', () => {
  it('decodes the encoded GTID set a MySQL replica sends (empty name, pos 4)', () => {
    const set = MysqlGtidSet.parse('3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5:7,8a94f357-aab4-11df-86ab-c80aa9429562:1-3');
    const data = encodeMysqlGtidSet(set);
    const head = Buffer.alloc(2 + 4 + 4 + 8 + 4);
    head.writeUInt16LE(0x02, 0);
    head.writeUInt32LE(21, 2);
    head.writeUInt32LE(0, 6);
    head.writeBigUInt64LE(4n, 10);
    head.writeUInt32LE(data.length, 18);
    const req = parseBinlogDumpGtid(Buffer.concat([Buffer.of(0x1e), head, data]));
    assert.equal(req.flags, 2);
    assert.equal(req.serverId, 21);
    assert.equal(req.file, '');
    assert.equal(req.position, 4);
    assert.ok(req.gtids.equals(set));
  });

  it('takes a file name and position too (connector-java), and an empty data block as an empty set', () => {
    const name = Buffer.from('binlog.000003');
    const p = Buffer.alloc(1 + 2 + 4 + 4 + name.length + 8 + 4);
    let o = p.writeUInt8(0x1e, 0);
    o = p.writeUInt16LE(0, o);
    o = p.writeUInt32LE(5, o);
    o = p.writeUInt32LE(name.length, o);
    o += name.copy(p, o);
    o = p.writeBigUInt64LE(157n, o);
    p.writeUInt32LE(0, o);
    const req = parseBinlogDumpGtid(p);
    assert.equal(req.file, 'binlog.000003');
    assert.equal(req.position, 157);
    assert.ok(req.gtids.isEmpty());
  });

  it('refuses a data block that is not an encoded GTID set', () => {
    const p = Buffer.concat([hex('1e 0000 05000000 00000000 0400000000000000 03000000'), hex('010203')]);
    assert.throws(() => parseBinlogDumpGtid(p), DumpRequestError);
  });
});

describe('dump file names from a hostile client', () => {
  const head = hex('12 04000000 0000 02000000');

  it('handles 64k NULs in a few ms (no quadratic /\\0+$/): trailing ones stripped, a longer name refused', () => {
    const started = process.hrtime.bigint();
    // NULs before the end made the old regex retry from every one of them: 1.6 s.
    assert.throws(() => parseBinlogDump(Buffer.concat([head, Buffer.alloc(64 * 1024), Buffer.from('x')])), DumpRequestError);
    assert.equal(parseBinlogDump(Buffer.concat([head, Buffer.from('f.000001'), Buffer.alloc(64 * 1024)])).file, 'f.000001');
    const name = Buffer.concat([Buffer.from('f.000001'), Buffer.alloc(64 * 1024)]);
    const length = Buffer.alloc(4);
    length.writeUInt32LE(name.length);
    const gtid = parseBinlogDumpGtid(Buffer.concat([hex('1e 0000 02000000'), length, name, hex('0400000000000000 00000000')]));
    assert.equal(gtid.file, 'f.000001');
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    assert.ok(ms < 50, `took ${ms.toFixed(1)} ms`);
  });

  it('refuses a name over 512 bytes as one not in the index: 1236, like MySQL', () => {
    assert.equal(parseBinlogDump(Buffer.concat([head, Buffer.from('n'.repeat(512))])).file.length, 512);
    assert.throws(() => parseBinlogDump(Buffer.concat([head, Buffer.from('n'.repeat(513))])), (err: unknown) => {
      assert.ok(err instanceof DumpRequestError);
      assert.equal(err.errno, 1236);
      assert.equal(err.message, 'Could not find first log file name in binary log index file');
      return true;
    });
  });
});
