// What the meta store keeps of the binlog server: the password's hashes, never the password; a
// record written before hashes were kept is rewritten without the password when read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb } from '../../../storage/db.js';
import { MetaStore } from '../../../storage/meta-store.js';
import type { Storage } from '../../../storage/storage.js';
import { BinlogServerControl } from '../../../src/server-control.js';
import { passwordHashes } from '../../../src/mysql/password-hashes.js';
import { openLocalRelay } from '../../helpers/local-relay.js';
import { silentLogger } from '../../../src/logger.js';

test('a started server persists only the hashes, and an old record holding the password is rewritten', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'binrelay-server-control-'));
  const db = await openDb(join(dir, 'leveldb'));
  const local = await openLocalRelay();
  const meta = new MetaStore(db);
  const control = new BinlogServerControl({ meta } as unknown as Storage, local.relay, 1, silentLogger);
  try {
    await control.start({ addr: '127.0.0.1:0', user: 'relay', password: 'relay-pw' });
    const record = JSON.stringify(meta.getJson('binlog-server'));
    assert.doesNotMatch(record, /relay-pw/);
    assert.match(record, new RegExp(passwordHashes('relay-pw').mysqlNativePassword.toString('hex')));
    assert.deepEqual((await control.savedSettings())?.password, passwordHashes('relay-pw'));
    await control.stop();

    await meta.putJson('binlog-server', { addr: '127.0.0.1:0', user: 'relay', password: 'old-pw' });
    assert.deepEqual((await control.savedSettings())?.password, passwordHashes('old-pw'));
    assert.doesNotMatch(JSON.stringify(meta.getJson('binlog-server')), /old-pw/);
  } finally {
    await control.stop();
    await local.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
