// Upstreams that write their binlog differently from the default, each through the relay:
// compressed events (log_bin_compress: QUERY_COMPRESSED, *_ROWS_COMPRESSED_V1), events without
// checksums (binlog_checksum=NONE) and an encrypted binlog (the dump sends it decrypted). For
// each, the relay's files equal the upstream's dump byte for byte, a real replica of the relay
// applies everything, and SHOW BINLOG EVENTS lists the files as the upstream does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { startMariaDb } from '../../helpers/mariadb.js';
import { waitFor } from '../../helpers/local-relay.js';
import { assertSameBinlogBytes, withUpstreamDump } from '../../helpers/upstream-binlog-reference.js';
import { startRelayStack, RELAY_PASSWORD, RELAY_USER } from './relay-stack.js';

const WORKLOAD = `CREATE DATABASE app; CREATE TABLE app.t (id INT PRIMARY KEY, v TEXT) ENGINE=InnoDB;
  INSERT INTO app.t VALUES ${Array.from({ length: 50 }, (_, i) => `(${i}, REPEAT('row ${i} ', 40))`).join(', ')};
  UPDATE app.t SET v = CONCAT(v, ' updated') WHERE id < 20; DELETE FROM app.t WHERE id >= 45;
  SET SESSION binlog_format = STATEMENT; INSERT INTO app.t VALUES (100, 'a statement long enough to be compressed in the binlog');
  SET SESSION binlog_format = ROW; ALTER TABLE app.t ADD COLUMN extra INT DEFAULT 7; FLUSH BINARY LOGS; INSERT INTO app.t (id, v) VALUES (101, 'next file')`;

/** Relays `WORKLOAD` from an upstream started with `args`; returns the event types listed and
 *  the upstream's answer to `probe` (what shows the setting took effect). */
async function relayThrough(args: string[], probe = 'SELECT 1 AS v'): Promise<{ types: Set<string>; setting: unknown }> {
  const stack = await startRelayStack({ args });
  const setting = (await stack.up.query(probe))[0]!.v;
  const replica = await startMariaDb({ serverId: 31, name: 'rv' });
  const relay = await mysql.createConnection({ host: '127.0.0.1', port: stack.port, user: RELAY_USER, password: RELAY_PASSWORD });
  const upstream = await mysql.createConnection({ host: '127.0.0.1', port: stack.up.port, user: 'root' });
  try {
    await replica.exec(`CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=${stack.port}, MASTER_USER='${RELAY_USER}',
      MASTER_PASSWORD='${RELAY_PASSWORD}', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1; START SLAVE`);
    await stack.up.exec(WORKLOAD);
    const upstreamPos = await stack.caughtUp();
    await waitFor(`the replica to reach ${upstreamPos}`, async () => (await replica.query('SELECT @@gtid_slave_pos AS p'))[0]!.p === upstreamPos, 60_000);
    const [status] = await replica.query('SHOW SLAVE STATUS');
    assert.equal(status!.Slave_SQL_Running, 'Yes', String(status!.Last_SQL_Error));
    assert.equal((await replica.query('CHECKSUM TABLE app.t'))[0]!.Checksum, (await stack.up.query('CHECKSUM TABLE app.t'))[0]!.Checksum);

    const types = new Set<string>();
    await withUpstreamDump(stack.up, async (dir, names) => {
      assert.ok(names.length >= 2, names.join(', '));
      for (const [i, name] of names.entries()) {
        assertSameBinlogBytes(readFileSync(stack.local.relay.dir.filePath(name)), readFileSync(join(dir, name)), i === names.length - 1, name);
        const sql = `SHOW BINLOG EVENTS IN '${name}'`;
        const [theirs] = await upstream.query({ sql, rowsAsArray: true });
        const [ours] = await relay.query({ sql, rowsAsArray: true });
        assert.deepEqual(ours, theirs, sql);
        for (const row of ours as unknown[][]) types.add(String(row[2]));
      }
    });
    return { types, setting };
  } finally {
    await relay.end();
    await upstream.end();
    await replica.exec('STOP SLAVE').catch(() => undefined);
    await replica.stop();
    await stack.stop();
  }
}

test('compressed events (log_bin_compress) pass through unchanged, apply on a replica and list decompressed', async () => {
  const { types } = await relayThrough(['--log-bin-compress=ON', '--log-bin-compress-min-len=10']);
  for (const t of ['Query_compressed', 'Write_rows_compressed_v1', 'Update_rows_compressed_v1', 'Delete_rows_compressed_v1']) {
    assert.ok(types.has(t), `no ${t} listed (got ${[...types].join(', ')})`);
  }
});

test('events without checksums (binlog_checksum=NONE) pass through unchanged and apply on a replica', async () => {
  const { setting } = await relayThrough(['--binlog-checksum=NONE'], 'SELECT @@binlog_checksum AS v');
  assert.equal(setting, 'NONE');
});

test('an encrypted binlog is relayed as the upstream dump sends it (decrypted) and applies on a replica', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'binrelay-keys-'));
  try {
    const keys = join(dir, 'keys.txt');
    writeFileSync(keys, '1;770A8A65DA156D24EE2A093277530142770A8A65DA156D24EE2A093277530142\n');
    const { setting } = await relayThrough(['--plugin-load-add=file_key_management', `--file-key-management-filename=${keys}`, '--encrypt-binlog=ON'],
      'SELECT @@encrypt_binlog AS v');
    assert.equal(Number(setting), 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
