import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hasValidChecksum } from '../../../src/binlog/event-checksum.js';
import { BinlogEventReader } from '../../../src/binlog/event-reader.js';
import { HEARTBEAT_LOG_EVENT_V2 } from '../../../src/binlog/event-type.js';
import { buildHeartbeat, buildHeartbeatV2, parseHeartbeat } from '../../../src/binlog/heartbeat-event.js';

test('a heartbeat matches the 36 bytes MariaDB sent (ts 0, type 27, log_pos, file name, CRC)', () => {
  // notes §3.4: `00000000 1b 01000000 24000000 f8090000 0000 | "up-bin.000001" | crc`
  const hb = buildHeartbeat({ serverId: 1, file: 'up-bin.000001', position: 0x9f8, checksum: true });
  assert.equal(hb.length, 36);
  assert.deepEqual(hb.subarray(0, 32), Buffer.concat([Buffer.from('000000001b0100000024000000f80900000000', 'hex'), Buffer.from('up-bin.000001')]));
  assert.ok(hasValidChecksum(hb));
  const ev = new BinlogEventReader({ expectMagic: false }).feed(hb)[0]!;
  assert.deepEqual(parseHeartbeat(ev), { file: 'up-bin.000001', position: 0x9f8 });
});

test('a v2 heartbeat carries positions past 4 GiB in its TLV body', () => {
  const position = 5 * 2 ** 32 + 123;
  const hb = buildHeartbeatV2({ serverId: 9, file: 'binlog.000007', position, checksum: true });
  assert.equal(hb[4], HEARTBEAT_LOG_EVENT_V2);
  assert.ok(hasValidChecksum(hb));
  const ev = new BinlogEventReader({ expectMagic: false }).feed(hb)[0]!;
  assert.deepEqual(parseHeartbeat(ev), { file: 'binlog.000007', position });
  assert.equal(ev.header.logPos, 123, 'the header keeps the low 32 bits');
});
