// An upstream MariaDB writing compressed events (log_bin_compress: QUERY_COMPRESSED and
// *_ROWS_COMPRESSED_V1) through the relay: the relay's files stay byte-identical, a real replica
// of the relay applies them, and SHOW BINLOG EVENTS lists them as the upstream does.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { startMariaDb, type MariaDb } from '../../helpers/mariadb.js';
import { waitFor } from '../../helpers/local-relay.js';
import { assertSameBinlogBytes, withUpstreamDump } from '../../helpers/upstream-binlog-reference.js';
import { startRelayStack, RELAY_PASSWORD, RELAY_USER, type RelayStack } from './relay-stack.js';

let stack: RelayStack;
let replica: MariaDb;
let upstreamPos = '';

before(async () => {
  stack = await startRelayStack({ args: ['--log-bin-compress=ON', '--log-bin-compress-min-len=10'] });
  replica = await startMariaDb({ serverId: 31, name: 'rc' });
  await replica.exec(`CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=${stack.port}, MASTER_USER='${RELAY_USER}',
    MASTER_PASSWORD='${RELAY_PASSWORD}', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1; START SLAVE`);
  await stack.up.exec(`CREATE DATABASE app; CREATE TABLE app.t (id INT PRIMARY KEY, v TEXT) ENGINE=InnoDB;
    INSERT INTO app.t VALUES ${Array.from({ length: 50 }, (_, i) => `(${i}, REPEAT('row ${i} ', 40))`).join(', ')};
    UPDATE app.t SET v = CONCAT(v, ' updated') WHERE id < 20; DELETE FROM app.t WHERE id >= 45;
    SET SESSION binlog_format = STATEMENT; INSERT INTO app.t VALUES (100, 'a statement long enough to be compressed in the binlog');
    SET SESSION binlog_format = ROW; ALTER TABLE app.t ADD COLUMN extra INT DEFAULT 7`);
  upstreamPos = await stack.caughtUp();
  await waitFor(`the replica to reach ${upstreamPos}`, async () => (await replica.query('SELECT @@gtid_slave_pos AS p'))[0]!.p === upstreamPos, 60_000);
});

after(async () => {
  await replica?.exec('STOP SLAVE').catch(() => undefined);
  await replica?.stop();
  await stack?.stop();
});

test('compressed events are relayed byte for byte and a replica of the relay applies them', async () => {
  await withUpstreamDump(stack.up, async (dir, names) => {
    assert.ok(names.length > 0);
    for (const [i, name] of names.entries()) {
      assertSameBinlogBytes(readFileSync(stack.local.relay.dir.filePath(name)), readFileSync(join(dir, name)), i === names.length - 1, name);
    }
  });
  const [theirs] = await stack.up.query('CHECKSUM TABLE app.t');
  const [ours] = await replica.query('CHECKSUM TABLE app.t');
  assert.equal(ours!.Checksum, theirs!.Checksum);
  const [status] = await replica.query('SHOW SLAVE STATUS');
  assert.equal(status!.Slave_SQL_Running, 'Yes', String(status!.Last_SQL_Error));
});

test('SHOW BINLOG EVENTS decompresses statements as the upstream does', async () => {
  const relay = await mysql.createConnection({ host: '127.0.0.1', port: stack.port, user: RELAY_USER, password: RELAY_PASSWORD });
  const upstream = await mysql.createConnection({ host: '127.0.0.1', port: stack.up.port, user: 'root' });
  try {
    const sql = 'SHOW BINLOG EVENTS';
    const [theirs] = await upstream.query({ sql, rowsAsArray: true });
    const [ours] = await relay.query({ sql, rowsAsArray: true });
    assert.deepEqual(ours, theirs);
    const types = new Set((ours as unknown[][]).map((r) => String(r[2])));
    for (const t of ['Query_compressed', 'Write_rows_compressed_v1', 'Update_rows_compressed_v1', 'Delete_rows_compressed_v1']) {
      assert.ok(types.has(t), `no ${t} listed (got ${[...types].join(', ')})`);
    }
  } finally {
    await relay.end();
    await upstream.end();
  }
});
