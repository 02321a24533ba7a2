import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BinlogError } from '../../../src/binlog/binlog-error.js';
import { buildEvent } from '../../../src/binlog/event-builder.js';
import { BinlogEventReader } from '../../../src/binlog/event-reader.js';
import { BINLOG_CHECKPOINT_EVENT } from '../../../src/binlog/event-type.js';
import { parseBinlogCheckpointEvent } from '../../../src/binlog/mariadb-binlog-checkpoint-event.js';

function checkpoint(body: Buffer) {
  const bytes = buildEvent({ type: BINLOG_CHECKPOINT_EVENT, serverId: 7, body, checksum: true, logPos: 325 });
  return new BinlogEventReader({ expectMagic: false, checksumBeforeFde: 'crc32' }).feed(bytes)[0]!;
}

test('a BINLOG_CHECKPOINT names its file after a 4-byte length (40 bytes for up-bin.000001)', () => {
  const body = Buffer.concat([Buffer.from([13, 0, 0, 0]), Buffer.from('up-bin.000001')]);
  const ev = checkpoint(body);
  assert.equal(ev.bytes.length, 40, 'mariadb-binlog lists it at 285 → 325');
  assert.deepEqual(parseBinlogCheckpointEvent(ev), { file: 'up-bin.000001' });
});

test('a checkpoint whose length overruns its body is BINLOG_BAD_EVENT', () => {
  const ev = checkpoint(Buffer.concat([Buffer.from([99, 0, 0, 0]), Buffer.from('x')]));
  assert.throws(() => parseBinlogCheckpointEvent(ev), (e: unknown) => e instanceof BinlogError && e.code === 'BINLOG_BAD_EVENT');
});
