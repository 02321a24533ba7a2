import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  appliedIndexKey, metaKey, metaNameOf, metaRange, RaftStateField, raftStateKey, Table, tableRange,
} from '../../../storage/keys.js';

test('every key family stays inside its own table range', () => {
  const inside = (key: Buffer, tag: number): boolean => {
    const r = tableRange(tag);
    return Buffer.compare(key, r.gte) >= 0 && Buffer.compare(key, r.lt) < 0;
  };
  for (const f of Object.values(RaftStateField)) assert.ok(inside(raftStateKey(f), Table.raftState));
  assert.ok(inside(appliedIndexKey(), Table.relayApplied));
  assert.ok(inside(metaKey('\u{10ffff}'), Table.meta));
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
