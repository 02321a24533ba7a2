import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BinlogError } from '../../../src/binlog/binlog-error.js';
import {
  BINLOG_CHECKSUM_ALG_CRC32, BINLOG_CHECKSUM_ALG_OFF, BINLOG_CHECKSUM_ALG_UNDEF, hasValidChecksum, storedEventCrc,
} from '../../../src/binlog/event-checksum.js';
import { readEventHeader } from '../../../src/binlog/event-header.js';
import { QUERY_EVENT, ROTATE_EVENT } from '../../../src/binlog/event-type.js';
import {
  buildFormatDescription, isChecksumAware, parseFormatDescription, postHeaderLength, rewriteFormatDescription,
} from '../../../src/binlog/format-description.js';
import { allFixtureListings, detailFields, readFixture } from './listing.js';

function firstEvent(name: string): Buffer {
  const bytes = readFixture(...name.split('/'));
  return bytes.subarray(4, 4 + readEventHeader(bytes, 4).eventSize);
}

test('every fixture FDE parses to the version, creation time and flags its listing shows', () => {
  for (const f of allFixtureListings()) {
    const fde = parseFormatDescription(firstEvent(f.name));
    const listed = f.events[0]!;
    assert.equal(listed.type, 'FORMAT_DESCRIPTION');
    assert.equal(fde.binlogVersion, 4);
    assert.equal(fde.headerLength, 19);
    assert.equal(fde.flavor, 'mysql');
    assert.equal(fde.checksumAlg, BINLOG_CHECKSUM_ALG_CRC32, f.name);
    assert.ok(fde.hasChecksumField);
    if (f.name.startsWith('mysql57')) {
      const m = /server v (\S+) created (\d{6} [\d:]+)/.exec(listed.detail)!;
      assert.equal(fde.serverVersion, m[1]);
    } else {
      const d = detailFields(listed.detail);
      assert.equal(fde.serverVersion, d.server, f.name);
      assert.equal(fde.createTimestamp, Number(d.created), f.name);
      assert.equal(String(fde.binlogVersion), d.binlog_v);
      assert.equal(String(fde.headerLength), d.header_len);
      assert.equal(fde.inUse, (listed.flags! & 1) === 1, f.name);
      // One post-header length per event type the server knows (SOURCES.md: 121 → 8.0.26 … 123 → 9.0).
      assert.equal(fde.postHeaderLengths.length, listed.length! - 19 - 57 - 5, f.name);
    }
    assert.equal(postHeaderLength(fde, QUERY_EVENT, -1), 13);
    assert.equal(postHeaderLength(fde, ROTATE_EVENT, -1), 8);
  }
});

test('checksum-aware servers are MySQL from 5.6.1 and MariaDB from 5.3.0', () => {
  assert.equal(isChecksumAware('5.6.0-log', 'mysql'), false);
  assert.equal(isChecksumAware('5.6.1', 'mysql'), true);
  assert.equal(isChecksumAware('5.5.62', 'mysql'), false);
  assert.equal(isChecksumAware('4.1.22', 'mysql'), false);
  assert.equal(isChecksumAware('8.0.26', 'mysql'), true);
  assert.equal(isChecksumAware('10.0.1', 'mysql'), true);
  assert.equal(isChecksumAware('5.2.14-MariaDB', 'mariadb'), false);
  assert.equal(isChecksumAware('5.3.0-MariaDB', 'mariadb'), true);
  assert.equal(isChecksumAware('10.11.19-MariaDB-0+deb12u1-log', 'mariadb'), true);
});

test('clearing IN_USE reproduces the closed-file FDE: same bytes but the flag, and the stored CRC still holds', () => {
  for (const name of ['mysql8-binlog/json-opaque.binlog', 'mysql8-binlog/mysql_type_bit.000001']) {
    const original = firstEvent(name);
    const before = Buffer.from(original);
    const cleared = rewriteFormatDescription(original);
    assert.deepEqual(original, before, 'the input is not modified');
    assert.equal(cleared.readUInt16LE(17) & 1, 0);
    assert.equal(storedEventCrc(cleared), storedEventCrc(original), 'the server computed the CRC with the flag cleared');
    const diff = [...cleared].flatMap((b, i) => (b === original[i] ? [] : [i]));
    assert.deepEqual(diff, [17]);
    assert.ok(hasValidChecksum(cleared));
  }
});

test('a dump FDE copy with created and log_pos zeroed gets a recomputed, valid CRC', () => {
  const original = firstEvent('mysql57-binlog/mysql_bin.000011');
  const copy = rewriteFormatDescription(original, { zeroCreated: true, zeroLogPos: true });
  const fde = parseFormatDescription(copy);
  assert.equal(fde.createTimestamp, 0);
  assert.equal(readEventHeader(copy).logPos, 0);
  assert.equal(fde.serverVersion, '5.7.23-log');
  assert.ok(hasValidChecksum(copy));
  assert.notEqual(storedEventCrc(copy), storedEventCrc(original));
});

test('a built FDE parses back to what was asked, with or without the checksum algorithm byte', () => {
  const post = parseFormatDescription(firstEvent('mysql8-binlog/mysql_type_bit.000001')).postHeaderLengths;
  const built = buildFormatDescription({
    serverId: 5, serverVersion: '10.11.19-MariaDB-log', postHeaderLengths: post, checksumAlg: BINLOG_CHECKSUM_ALG_OFF,
    timestamp: 1700000000, createTimestamp: 1700000001, logPos: 0, flags: 1,
  });
  const fde = parseFormatDescription(built);
  assert.equal(fde.flavor, 'mariadb');
  assert.equal(fde.checksumAlg, BINLOG_CHECKSUM_ALG_OFF);
  assert.ok(fde.inUse);
  assert.equal(fde.createTimestamp, 1700000001);
  assert.deepEqual(fde.postHeaderLengths, post);
  assert.ok(hasValidChecksum(built), 'even with checksums OFF the FDE itself carries a real CRC');

  const old = buildFormatDescription({ serverId: 1, serverVersion: '5.5.62-log', postHeaderLengths: post.subarray(0, 27), checksumAlg: BINLOG_CHECKSUM_ALG_UNDEF });
  const oldFde = parseFormatDescription(old);
  assert.equal(oldFde.hasChecksumField, false);
  assert.equal(oldFde.checksumAlg, BINLOG_CHECKSUM_ALG_UNDEF);
  assert.equal(oldFde.postHeaderLengths.length, 27);
});

test('an FDE whose server version is not a version number is BINLOG_BAD_EVENT, not a guessed layout', () => {
  const fde = Buffer.from(firstEvent('mysql8-binlog/mysql_type_bit.000001'));
  fde[19 + 2] = 'x'.charCodeAt(0);
  assert.throws(() => parseFormatDescription(fde), (e: unknown) => e instanceof BinlogError && e.code === 'BINLOG_BAD_EVENT');
});
