import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  appliedIndexKey, metaKey, metaNameOf, metaRange, RaftStateField, raftLogIndexOf, raftLogKey, raftLogRange,
  raftStateKey, Table, tableRange,
} from '../../../storage/keys.js';

test('log keys order numerically under bytewise comparison, across the 2^32 boundary', () => {
  const indexes = [0, 1, 255, 256, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 2 ** 40, Number.MAX_SAFE_INTEGER];
  const keys = indexes.map(raftLogKey);
  for (let i = 1; i < keys.length; i++) assert.equal(Buffer.compare(keys[i - 1]!, keys[i]!), -1, `${indexes[i - 1]} < ${indexes[i]}`);
  for (const i of indexes) assert.equal(raftLogIndexOf(raftLogKey(i)), i);
});

test('a log key is the table tag followed by the index as u64 big-endian', () => {
  assert.deepEqual([...raftLogKey(0x1_0000_0203)], [0x01, 0, 0, 0, 1, 0, 0, 2, 3]);
});

test('log keys refuse unsafe or negative indexes', () => {
  for (const bad of [-1, 1.5, 2 ** 53]) assert.throws(() => raftLogKey(bad), RangeError);
});

test('every key family stays inside its own table range', () => {
  const inside = (key: Buffer, tag: number): boolean => {
    const r = tableRange(tag);
    return Buffer.compare(key, r.gte) >= 0 && Buffer.compare(key, r.lt) < 0;
  };
  assert.ok(inside(raftLogKey(Number.MAX_SAFE_INTEGER), Table.raftLog));
  for (const f of Object.values(RaftStateField)) assert.ok(inside(raftStateKey(f), Table.raftState));
  assert.ok(inside(appliedIndexKey(), Table.relayApplied));
  assert.ok(inside(metaKey('\u{10ffff}'), Table.meta));
  const r = raftLogRange(5, 9);
  assert.equal(raftLogIndexOf(r.gte), 5);
  assert.equal(raftLogIndexOf(r.lt), 9);
});

test('meta names round-trip and a prefix range holds exactly the names with that prefix', () => {
  assert.equal(metaNameOf(metaKey('binlogServer.settings')), 'binlogServer.settings');
  const r = metaRange('node.');
  const inRange = (name: string): boolean => Buffer.compare(metaKey(name), r.gte) >= 0 && Buffer.compare(metaKey(name), r.lt) < 0;
  assert.ok(inRange('node.'));
  assert.ok(inRange('node.id'));
  assert.ok(inRange('node.\u{ff}\u{ff}'));
  assert.ok(!inRange('node'));
  assert.ok(!inRange('node/'));
  assert.ok(!inRange('nodf'));
});
