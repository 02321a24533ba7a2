import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseXidEvent } from '../../../src/binlog/xid-event.js';
import { allFixtureListings, detailFields, readEventsOf } from './listing.js';

test('XID events carry the xid the listings show', () => {
  let n = 0;
  for (const f of allFixtureListings()) {
    const events = readEventsOf(f.path);
    f.events.forEach((listed, i) => {
      if (listed.type !== 'XID') return;
      const expected = f.name.startsWith('mysql57') ? /Xid = (\d+)/.exec(listed.detail)![1]! : detailFields(listed.detail).xid!;
      assert.equal(parseXidEvent(events[i]!).xid, BigInt(expected), `${f.name} @${listed.pos}`);
      n++;
    });
  }
  assert.equal(n, 20 + 5);
});
