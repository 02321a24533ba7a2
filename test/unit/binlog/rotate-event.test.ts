import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hasValidChecksum } from '../../../src/binlog/event-checksum.js';
import { BinlogEventReader } from '../../../src/binlog/event-reader.js';
import { buildFakeRotate, parseRotateEvent } from '../../../src/binlog/rotate-event.js';
import { allFixtureListings, detailFields, readEventsOf } from './listing.js';

test('real ROTATE events name the next file and position the listings show', () => {
  let n = 0;
  for (const f of allFixtureListings()) {
    const events = readEventsOf(f.path);
    f.events.forEach((listed, i) => {
      if (listed.type !== 'ROTATE') return;
      const r = parseRotateEvent(events[i]!);
      assert.equal(r.artificial, false);
      if (f.name.startsWith('mysql57')) {
        const m = /Rotate to (\S+)\s+pos: (\d+)/.exec(listed.detail)!;
        assert.deepEqual([r.nextFile, r.position], [m[1], Number(m[2])]);
      } else {
        const d = detailFields(listed.detail);
        assert.deepEqual([r.nextFile, r.position], [d.next, Number(d.pos)]);
      }
      n++;
    });
  }
  assert.equal(n, 4);
});

test('a fake ROTATE matches the bytes MariaDB sent in capture capE (ts 0, flags 0x20, log_pos 0)', () => {
  // notes §5: `00000000 04 01000000 2c000000 00000000 2000 | 0400000000000000 "up-bin.000001" | crc`
  const ev = buildFakeRotate({ serverId: 1, nextFile: 'up-bin.000001', position: 4, checksum: true });
  const expected = Buffer.concat([
    Buffer.from('00000000' + '04' + '01000000' + '2c000000' + '00000000' + '2000' + '0400000000000000', 'hex'),
    Buffer.from('up-bin.000001'),
  ]);
  assert.equal(ev.length, 44);
  assert.deepEqual(ev.subarray(0, 40), expected);
  assert.ok(hasValidChecksum(ev));
  const noCrc = buildFakeRotate({ serverId: 1, nextFile: 'up-bin.000001', position: 4, checksum: false });
  assert.equal(noCrc.length, 40, 'the first fake ROTATE goes without CRC when the client declared NONE');
  const parsed = parseRotateEvent(new BinlogEventReader({ expectMagic: false }).feed(ev)[0]!);
  assert.deepEqual(parsed, { nextFile: 'up-bin.000001', position: 4, artificial: true });
});
