import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeRelayRecord, encodeRelayRecord, RelayEntryError } from '../../../src/relaylog/relay-entry.js';

test('binlog records round-trip file, position beyond 4 GiB, boundary flag and bytes', () => {
  const bytes = Buffer.from([1, 2, 3, 4, 5]);
  for (const pos of [4, 0xffff_ffff, 0x1_0000_0004, 2 ** 40 + 7]) {
    for (const endsAtBoundary of [true, false]) {
      const rec = decodeRelayRecord(encodeRelayRecord({ kind: 'binlog', file: 'up-bin.000001', pos, endsAtBoundary, bytes }));
      assert.deepEqual({ ...rec, bytes: Buffer.from((rec as { bytes: Uint8Array }).bytes) },
        { kind: 'binlog', file: 'up-bin.000001', pos, endsAtBoundary, bytes });
    }
  }
});

test('abort and syncer records round-trip', () => {
  assert.deepEqual(decodeRelayRecord(encodeRelayRecord({ kind: 'abort', file: 'f.000002', pos: 1234 })), { kind: 'abort', file: 'f.000002', pos: 1234 });
  const settings = { mysql_addr: '127.0.0.1:3306', running: true };
  assert.deepEqual(decodeRelayRecord(encodeRelayRecord({ kind: 'syncer', settings })), { kind: 'syncer', settings });
});

test('corrupt payloads are refused with RELAY_ENTRY_CORRUPT, never misread', () => {
  const good = encodeRelayRecord({ kind: 'binlog', file: 'up-bin.000001', pos: 4, endsAtBoundary: true, bytes: Buffer.alloc(3) });
  const cases = [Buffer.alloc(0), Buffer.of(9, 1), Buffer.of(1, 77), good.subarray(0, 8), Buffer.of(1, 3, 0x7b)];
  for (const bad of cases) {
    assert.throws(() => decodeRelayRecord(bad), (err: unknown) => err instanceof RelayEntryError && err.code === 'RELAY_ENTRY_CORRUPT');
  }
});

test('member records round-trip and must carry every attribute', () => {
  const member = { id: '42', name: 'n1', peerAddr: '127.0.0.1:9696', adminAddr: '127.0.0.1:9595' };
  assert.deepEqual(decodeRelayRecord(encodeRelayRecord({ kind: 'member', member })), { kind: 'member', member });
  const partial = Buffer.concat([Buffer.of(1, 4), Buffer.from(JSON.stringify({ id: '42', name: 'n1' }))]);
  assert.throws(() => decodeRelayRecord(partial), (err: unknown) => err instanceof RelayEntryError);
});
