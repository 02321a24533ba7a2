import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFormatDescription } from '../../../src/binlog/format-description.js';
import { summarizeEvent } from '../../../src/binlog/event-summary.js';
import { allFixtureListings, readEventsOf } from './listing.js';
import { deflateSync } from 'node:zlib';
import { buildEvent } from '../../../src/binlog/event-builder.js';
import { readEventHeader } from '../../../src/binlog/event-header.js';
import * as T from '../../../src/binlog/event-type.js';

function summaries(name: string) {
  const f = allFixtureListings().find((x) => x.name === name)!;
  const events = readEventsOf(f.path);
  const fde = parseFormatDescription(events[0]!.bytes);
  return events.map((e) => summarizeEvent(e, fde));
}

test('summaries give the type name, the GTID and a detail naming what people look for', () => {
  const s57 = summaries('mysql57-binlog/mysql_bin.000011');
  assert.deepEqual(s57[0], { type: 'FORMAT_DESCRIPTION', gtid: null, info: 'server=5.7.23-log binlog_v=4 checksum=CRC32' });
  assert.deepEqual(s57[1], { type: 'PREVIOUS_GTIDS', gtid: null, info: 'set=214eb71f-96ec-11e8-ab4f-fa163e72d4ae:1-11789' });
  assert.deepEqual(s57[2], { type: 'GTID', gtid: '214eb71f-96ec-11e8-ab4f-fa163e72d4ae:11790', info: '' });
  assert.equal(s57[5]!.info, 'db=ks query="BEGIN"');
  assert.equal(s57[14]!.info, 'xid=44853');
  assert.equal(s57[s57.length - 1]!.info, 'next=mysql_bin.000012:4');
  const compressed = summaries('mysql8-binlog/transaction_compression.000001');
  assert.equal(compressed[3]!.info, 'compression=ZSTD payload_size=124 uncompressed=179');
  assert.equal(compressed[2]!.gtid, null, 'ANONYMOUS_GTID carries no GTID');
  const inUse = summaries('mysql8-binlog/mysql_type_bit.000001');
  assert.match(inUse[0]!.info, / in_use$/);
  assert.equal(inUse[3]!.info.length <= 'db=- query=""'.length + 81, true, 'long statements are cut');
});

test("a MariaDB QUERY_COMPRESSED event is summarized with its statement decompressed", () => {
  const text = Buffer.from("INSERT INTO t VALUES ('compressed')");
  const zipped = deflateSync(text);
  const postHeader = Buffer.alloc(13);
  postHeader.writeUInt8(3, 8); // db_len
  const body = Buffer.concat([postHeader, Buffer.from('app\0'), Buffer.of(0x81, text.length), zipped]);
  const bytes = buildEvent({ type: T.QUERY_COMPRESSED_EVENT, serverId: 1, body, checksum: false });
  const event = { offset: 4, header: readEventHeader(bytes), bytes, checksumLength: 0 as const };
  assert.deepEqual(summarizeEvent(event), { type: 'MARIADB_QUERY_COMPRESSED', gtid: null, info: `db=app query="INSERT INTO t VALUES ('compressed')"` });
});
