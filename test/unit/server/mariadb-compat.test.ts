import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hasValidChecksum } from '../../../src/binlog/event-checksum.js';
import { readEventHeader } from '../../../src/binlog/event-header.js';
import { buildEvent } from '../../../src/binlog/event-builder.js';
import { ANNOTATE_ROWS_EVENT, BINLOG_CHECKPOINT_EVENT, GTID_LIST_EVENT, QUERY_EVENT, USER_VAR_EVENT } from '../../../src/binlog/event-type.js';
import { FL_GROUP_COMMIT_ID, FL_TRANSACTIONAL, buildMariaDbGtidEvent } from '../../../src/binlog/mariadb-gtid-event.js';
import { parseQueryEvent } from '../../../src/binlog/query-event.js';
import { beginEvent, dummyEvent } from '../../../src/server/mariadb-compat.js';

const asEvent = (bytes: Buffer) => ({ offset: 0, header: readEventHeader(bytes), bytes, checksumLength: 4 as const });

describe('GTID event → BEGIN for replicas below capability 4', () => {
  it('keeps the size, header fields and a valid CRC, and reads as BEGIN', () => {
    const gtid = buildMariaDbGtidEvent({ gtid: { domain: 0, serverId: 11, seq: 5n }, flags2: FL_TRANSACTIONAL, checksum: true, timestamp: 1795269914, logPos: 1313 });
    const begin = beginEvent(gtid, true)!;
    assert.equal(begin.length, gtid.length);
    const h = readEventHeader(begin);
    assert.deepEqual([h.type, h.serverId, h.timestamp, h.logPos, h.flags], [QUERY_EVENT, 11, 1795269914, 1313, 0x08]);
    assert.ok(hasValidChecksum(begin));
    const q = parseQueryEvent(asEvent(begin));
    assert.deepEqual([q.query, q.database, q.threadId, q.errorCode], ['BEGIN', '', 0, 0]);
  });

  it('pads a GTID with commit id with an empty time_zone status variable', () => {
    const gtid = buildMariaDbGtidEvent({ gtid: { domain: 0, serverId: 11, seq: 6n }, flags2: FL_TRANSACTIONAL | FL_GROUP_COMMIT_ID, commitId: 9n, checksum: true });
    const begin = beginEvent(gtid, true)!;
    assert.equal(begin.length, gtid.length);
    assert.equal(parseQueryEvent(asEvent(begin)).query, 'BEGIN');
    assert.deepEqual([...begin.subarray(19 + 11, 19 + 16)], [2, 0, 5, 0, 0]); // status_vars_len 2, Q_TIME_ZONE_CODE, len 0, db NUL
  });

  it('refuses a GTID event of another size (XA)', () => {
    const gtid = buildEvent({ type: 162, serverId: 1, body: Buffer.alloc(30), checksum: true });
    assert.equal(beginEvent(gtid, true), null);
  });
});

describe('dummy events of the same size', () => {
  it('an ANNOTATE_ROWS becomes a QUERY holding only a comment naming the replaced type', () => {
    const annotate = buildEvent({ type: ANNOTATE_ROWS_EVENT, serverId: 11, body: Buffer.from("INSERT INTO app.t (a,b,c) VALUES (3,'z',NOW())"), checksum: true, logPos: 1382 });
    const dummy = dummyEvent(annotate, true)!;
    assert.equal(dummy.length, annotate.length);
    assert.ok(hasValidChecksum(dummy));
    const q = parseQueryEvent(asEvent(dummy));
    // The 69-byte event of capA: 65 bytes before the CRC, 32 of them left for the comment.
    assert.equal(q.query, '# Dummy event replacing event type 160 that slave cannot handle.'.slice(0, 32));
    assert.equal(readEventHeader(dummy).logPos, 1382);
  });

  it('pads a long event with spaces and cuts a short one', () => {
    const long = buildEvent({ type: ANNOTATE_ROWS_EVENT, serverId: 1, body: Buffer.alloc(200, 0x41), checksum: false });
    const q = parseQueryEvent({ ...asEvent(dummyEvent(long, false)!), checksumLength: 0 }).query;
    assert.equal(q, '# Dummy event replacing event type 160 that slave cannot handle.'.padEnd(200 - 14, ' '));
    const checkpoint = buildEvent({ type: BINLOG_CHECKPOINT_EVENT, serverId: 1, body: Buffer.concat([Buffer.from([13, 0, 0, 0]), Buffer.from('up-bin.000001')]), checksum: true });
    assert.equal(parseQueryEvent(asEvent(dummyEvent(checkpoint, true)!)).query, '# D', '40 bytes leave 3 for the comment');
  });

  it('uses a NULL user variable for events too short for a query (an empty GTID_LIST)', () => {
    const list = buildEvent({ type: GTID_LIST_EVENT, serverId: 1, body: Buffer.alloc(8), checksum: true, flags: 0x04 }); // 31 bytes
    const dummy = dummyEvent(list, true)!;
    assert.equal(dummy[4], USER_VAR_EVENT);
    assert.equal(dummy.readUInt32LE(19), 3);
    assert.equal(dummy.toString('latin1', 23, 26), '!du');
    assert.equal(dummy[26], 1, 'is_null');
    assert.equal(dummy.readUInt16LE(17), 0x08, 'SUPPRESS_USE set, THREAD_SPECIFIC cleared');
    assert.ok(hasValidChecksum(dummy));
    assert.equal(dummyEvent(buildEvent({ type: 5, serverId: 1, body: Buffer.alloc(1), checksum: true }), true), null, 'under 25 bytes');
  });
});
