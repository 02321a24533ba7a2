// replicaLags: bytes from a replica's position to the relay's end across files, seconds by the
// oldest unsent event's timestamp, one figure per server_id, nothing for an unknown position.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { replicaLags } from '../../../src/metrics/replica-lag.js';

const files = [
  { name: 'b.000001', firstPos: 4, endPos: 1000 },
  { name: 'b.000002', firstPos: 4, endPos: 504 },
];
const timeAt = (name: string, pos: number): number => (name === 'b.000001' ? 100 + pos / 100 : 200);

test('a replica behind counts the rest of its file and the whole later files, and the age of its next event', () => {
  const [lag] = replicaLags([{ server_id: 7, file: 'b.000001', position: 900 }], files, timeAt, 150);
  assert.deepEqual(lag, { serverId: 7, bytes: 100 + 500, seconds: 150 - 109 });
});

test('a replica at the end of a file reads the next file for its age; at the relay end it lags 0', () => {
  assert.deepEqual(replicaLags([{ server_id: 7, file: 'b.000001', position: 1000 }], files, timeAt, 260), [{ serverId: 7, bytes: 500, seconds: 60 }]);
  assert.deepEqual(replicaLags([{ server_id: 8, file: 'b.000002', position: 504 }], files, timeAt, 260), [{ serverId: 8, bytes: 0, seconds: 0 }]);
});

test('no figure for a replica without a position or in a file the relay no longer holds; the worst per server_id', () => {
  const lags = replicaLags([
    { server_id: 1, file: null, position: null },
    { server_id: 2, file: 'b.000000', position: 4 },
    { server_id: 0, file: 'b.000002', position: 504 },
    { server_id: 0, file: 'b.000002', position: 4 },
  ], files, timeAt, 260);
  assert.deepEqual(lags, [{ serverId: 0, bytes: 500, seconds: 60 }]);
});

test('an unreadable event time is NaN, never 0', () => {
  const [lag] = replicaLags([{ server_id: 3, file: 'b.000001', position: 10 }], files, () => null, 1);
  assert.ok(Number.isNaN(lag!.seconds));
});
