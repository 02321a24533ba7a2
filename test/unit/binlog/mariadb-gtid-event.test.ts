import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BinlogEventReader } from '../../../src/binlog/event-reader.js';
import { formatMariaDbGtid } from '../../../src/binlog/gtid-set-mariadb.js';
import {
  buildMariaDbGtidEvent, FL_ALLOW_PARALLEL, FL_DDL, FL_GROUP_COMMIT_ID, FL_STANDALONE, FL_TRANSACTIONAL, parseMariaDbGtidEvent,
} from '../../../src/binlog/mariadb-gtid-event.js';

function read(bytes: Buffer) {
  return new BinlogEventReader({ expectMagic: false, checksumBeforeFde: 'crc32' }).feed(bytes)[0]!;
}

test('a MariaDB GTID event is 42 bytes and takes its server id from the header', () => {
  // notes §5: 42 bytes, header flags 0x08, flags2 0x0c for DML, 0x29 for DDL.
  const dml = buildMariaDbGtidEvent({ gtid: { domain: 0, serverId: 7, seq: 3n }, flags2: FL_TRANSACTIONAL | FL_ALLOW_PARALLEL, checksum: true, logPos: 667 });
  assert.equal(dml.length, 42);
  assert.equal(dml.readUInt16LE(17), 0x08);
  const g = parseMariaDbGtidEvent(read(dml));
  assert.equal(formatMariaDbGtid(g.gtid), '0-7-3');
  assert.equal(g.flags2, 0x0c);
  assert.equal(g.standalone, false);
  const ddl = parseMariaDbGtidEvent(read(buildMariaDbGtidEvent({ gtid: { domain: 2, serverId: 7, seq: 1n }, flags2: FL_STANDALONE | FL_ALLOW_PARALLEL | FL_DDL, checksum: true })));
  assert.equal(ddl.flags2, 0x29);
  assert.ok(ddl.standalone);
});

test('a group-commit id follows flags2 when FL_GROUP_COMMIT_ID is set', () => {
  const bytes = buildMariaDbGtidEvent({ gtid: { domain: 1, serverId: 2, seq: 99n }, flags2: FL_GROUP_COMMIT_ID | FL_TRANSACTIONAL, commitId: 12345n, checksum: false });
  const ev = new BinlogEventReader({ expectMagic: false, checksumBeforeFde: 'none' }).feed(bytes)[0]!;
  const g = parseMariaDbGtidEvent(ev);
  assert.equal(g.commitId, 12345n);
  assert.equal(formatMariaDbGtid(g.gtid), '1-2-99');
});
