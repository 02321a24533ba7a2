import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BinlogDir } from '../../../src/relaylog/binlog-dir.js';

function withDir(fn: (dir: BinlogDir) => Promise<void>, options?: { writebackBytes: number }): () => Promise<void> {
  return async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'binrelay-binlog-dir-'));
    try {
      await fn(new BinlogDir(dataDir, options));
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  };
}

test('syncAll leaves no file unsynced when nothing is written meanwhile', withDir(async (dir) => {
  dir.write('b.000001', 4, Buffer.alloc(100, 1));
  dir.write('b.000002', 4, Buffer.alloc(100, 2));
  assert.deepEqual(dir.unsyncedFiles().sort(), ['b.000001', 'b.000002']);
  await dir.syncAll();
  assert.deepEqual(dir.unsyncedFiles(), []);
}));

test('a write that lands while its file is being fsynced keeps the file unsynced for the next syncAll', withDir(async (dir) => {
  dir.write('b.000001', 4, Buffer.alloc(100, 1));
  const sync = dir.syncAll(); // the fdatasync runs off the event loop
  dir.write('b.000001', 104, Buffer.alloc(50, 3)); // a commit applied meanwhile
  await sync;
  assert.deepEqual(dir.unsyncedFiles(), ['b.000001'], 'the second write may not be covered by that fsync');
  await dir.syncAll();
  assert.deepEqual(dir.unsyncedFiles(), []);
  assert.equal(readFileSync(dir.filePath('b.000001')).length, 154);
}));

test('past the writeback size, written bytes are synced in the background without a syncAll', withDir(async (dir) => {
  dir.write('b.000001', 4, Buffer.alloc(600, 1));
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.deepEqual(dir.unsyncedFiles(), ['b.000001'], 'under the writeback size nothing is synced');
  dir.write('b.000001', 604, Buffer.alloc(600, 2));
  for (let i = 0; i < 100 && dir.unsyncedFiles().length > 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.deepEqual(dir.unsyncedFiles(), []);
}, { writebackBytes: 1024 }));
