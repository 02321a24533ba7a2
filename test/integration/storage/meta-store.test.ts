import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { metaKey } from '../../../storage/keys.js';
import { openStorage } from '../../../storage/storage.js';

async function withStorage(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'binrelay-meta-'));
  try {
    await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('meta records survive a restart and list by name prefix in order', async () => {
  await withStorage(async (dir) => {
    const a = await openStorage(dir);
    await a.meta.putJson('binlogServer.settings', { addr: '127.0.0.1:3306', user: 'repl' });
    await a.meta.put('node.id', Buffer.from('n1'));
    await a.meta.put('node.name', Buffer.from('relay-1'));
    await a.meta.put('nodeX', Buffer.from('other'));
    await a.meta.del('node.name');
    await a.close();
    const b = await openStorage(dir);
    assert.deepEqual(b.meta.getJson('binlogServer.settings'), { addr: '127.0.0.1:3306', user: 'repl' });
    assert.equal(b.meta.get('missing'), undefined);
    assert.deepEqual((await b.meta.list('node.')).map((r) => [r.name, r.value.toString()]), [['node.id', 'n1']]);
    assert.equal((await b.meta.list()).length, 3);
    await b.close();
  });
});

test('a meta record that is not JSON is reported as ERR_STORAGE_CORRUPT by getJson', async () => {
  await withStorage(async (dir) => {
    const s = await openStorage(dir);
    await s.db.put(metaKey('bad'), Buffer.from('{'));
    assert.throws(() => s.meta.getJson('bad'), (err: unknown) => (err as { code?: string }).code === 'ERR_STORAGE_CORRUPT');
    await s.close();
  });
});
