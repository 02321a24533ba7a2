import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { startMariaDb, type MariaDb } from '../../helpers/mariadb.js';

let db: MariaDb;
before(async () => {
  db = await startMariaDb({ serverId: 7 });
});
after(async () => {
  await db?.stop();
});

test('a throwaway server runs with the requested server_id, ROW binlog and CRC32', async () => {
  const [row] = await db.query('SELECT @@server_id AS id, @@binlog_format AS fmt, @@binlog_checksum AS crc, @@gtid_strict_mode AS strict');
  assert.deepEqual(row, { id: '7', fmt: 'ROW', crc: 'CRC32', strict: '1' });
});

test('writes go to a binlog file in its own datadir and advance gtid_binlog_pos', async () => {
  await db.exec('CREATE DATABASE t; CREATE TABLE t.a (id INT PRIMARY KEY); INSERT INTO t.a VALUES (1),(2)');
  const [pos] = await db.query('SELECT @@gtid_binlog_pos AS pos');
  assert.equal(pos.pos, '0-7-3');
  const files = await db.binlogPaths();
  assert.equal(files.length, 1);
  assert.ok(files[0].startsWith(db.dataDir) && existsSync(files[0]));
});

test('stop removes the datadir', async () => {
  const other = await startMariaDb({ serverId: 8, name: 'other' });
  await other.stop();
  assert.equal(existsSync(other.baseDir), false);
});
