import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAdminServer } from '../../../api/server.js';
import type { AdminBackend, BinlogBackend, BinlogImportView } from '../../../api/backend.js';
import { BinlogImportError } from '../../../src/syncer/binlog-import-error.js';
import { silentLogger } from '../../../src/logger.js';

const IMPORTED: BinlogImportView = { files: ['up-bin.000001'], bytes: 1000, last_binlog_file: 'up-bin.000001', last_file_position: 1004 };

/** The leader (or a follower knowing no leader), importing with `importBinlogs`. */
function backend(importBinlogs: BinlogBackend['importBinlogs'], leader: string | null = null): AdminBackend & Partial<BinlogBackend> {
  const unused = (): never => {
    throw new Error('not used by these tests');
  };
  return {
    members: () => [], addMember: unused, removeMember: unused, updateMember: unused,
    health: unused, readiness: () => ({ ready: true }), metrics: () => '',
    leaderAdminAddr: () => leader, syncerStatus: unused, serverStatus: unused, importBinlogs,
  };
}

test('PUT /binlog/import hands the directory to the backend and answers what it imported', async () => {
  const asked: { dir: string }[] = [];
  const app = createAdminServer({ backend: backend(async (r) => (asked.push(r), IMPORTED)), logger: silentLogger });
  const res = await app.inject({ method: 'PUT', url: '/binlog/import', payload: { dir: '/backups/up' } });
  assert.equal(res.statusCode, 200);
  assert.deepEqual(res.json(), { message: 'success', data: IMPORTED });
  assert.deepEqual(asked, [{ dir: '/backups/up' }]);
});

test('a relative, missing or extra field is a 400 naming it', async () => {
  const app = createAdminServer({ backend: backend(async () => IMPORTED), logger: silentLogger });
  for (const [payload, field] of [[{ dir: 'backups/up' }, 'dir'], [{}, 'dir'], [{ dir: '/b', force: true }, 'force']] as const) {
    const res = await app.inject({ method: 'PUT', url: '/binlog/import', payload });
    assert.equal(res.statusCode, 400, JSON.stringify(payload));
    assert.equal(res.json().error.code, 'BAD_REQUEST');
    assert.equal(res.json().error.field, field);
    assert.match(res.json().message, new RegExp(field));
  }
});

test('a refused directory is a 400 carrying the import code, file and offset', async () => {
  const refused = new BinlogImportError('IMPORT_CORRUPT', '/b/up-bin.000002: event CRC32 mismatch', '/b/up-bin.000002', 1234);
  const app = createAdminServer({ backend: backend(async () => Promise.reject(refused)), logger: silentLogger });
  const res = await app.inject({ method: 'PUT', url: '/binlog/import', payload: { dir: '/b' } });
  assert.equal(res.statusCode, 400);
  assert.deepEqual(res.json().error, { code: 'BAD_REQUEST', field: 'dir', import_code: 'IMPORT_CORRUPT', file: '/b/up-bin.000002', offset: 1234 });
});

test('a failed proposal is a 503: the cluster, not the directory, is at fault', async () => {
  const failed = new BinlogImportError('IMPORT_PROPOSE_FAILED', 'proposing the import failed: not the leader');
  const app = createAdminServer({ backend: backend(async () => Promise.reject(failed)), logger: silentLogger });
  const res = await app.inject({ method: 'PUT', url: '/binlog/import', payload: { dir: '/b' } });
  assert.equal(res.statusCode, 503);
  assert.equal(res.json().error.import_code, 'IMPORT_PROPOSE_FAILED');
});

test('a follower that knows no leader does not import itself', async () => {
  let called = false;
  const app = createAdminServer({ backend: backend(async () => ((called = true), IMPORTED), ''), logger: silentLogger });
  const res = await app.inject({ method: 'PUT', url: '/binlog/import', payload: { dir: '/b' } });
  assert.equal(res.statusCode, 503);
  assert.equal(res.json().error.code, 'NO_LEADER');
  assert.equal(called, false);
});
