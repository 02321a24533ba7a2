import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hasValidChecksum } from '../../../src/binlog/event-checksum.js';
import { BinlogEventReader } from '../../../src/binlog/event-reader.js';
import { buildFakeMariaDbGtidList, parseMariaDbGtidListEvent } from '../../../src/binlog/mariadb-gtid-list-event.js';

test('a fake GTID_LIST matches the 43 bytes MariaDB sent at a GTID resume point', () => {
  // notes §5: `00000000 a3 01000000 2b000000 f7040000 2000 | 01000000 | 00000000 01000000 0500000000000000 | crc`
  const ev = buildFakeMariaDbGtidList({ serverId: 1, gtids: [{ domain: 0, serverId: 1, seq: 5n }], checksum: true, logPos: 0x4f7 });
  assert.equal(ev.length, 43);
  assert.deepEqual(ev.subarray(0, 39), Buffer.from('00000000a3010000002b000000f7040000200001000000000000000100000005000000000000 00'.replace(/ /g, ''), 'hex'));
  assert.ok(hasValidChecksum(ev));
  const parsed = parseMariaDbGtidListEvent(new BinlogEventReader({ expectMagic: false, checksumBeforeFde: 'crc32' }).feed(ev)[0]!);
  assert.deepEqual(parsed, { gtids: [{ domain: 0, serverId: 1, seq: 5n }], flags: 0 });
});

test('the top 4 bits of the count are flags and an empty list is 4 bytes of body', () => {
  const ev = buildFakeMariaDbGtidList({ serverId: 3, gtids: [], checksum: false, logPos: 256, flags: 2 });
  assert.equal(ev.length, 23);
  const parsed = parseMariaDbGtidListEvent(new BinlogEventReader({ expectMagic: false, checksumBeforeFde: 'none' }).feed(ev)[0]!);
  assert.deepEqual(parsed, { gtids: [], flags: 2 });
});
