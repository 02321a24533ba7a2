// The syncer's MySQL GTID start (COM_BINLOG_DUMP_GTID) against a MySQL-flavor source: no MySQL
// server runs here, so the source is binrelay's own binlog server serving real MySQL 5.7 binlog
// files (its MySQL dump path follows the MySQL note and has its own tests).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeRelayRecord } from '../../../src/relaylog/relay-entry.js';
import { BinlogServer } from '../../../src/server/binlog-server.js';
import { Syncer, DEFAULT_SYNCER_OPTIONS } from '../../../src/syncer/syncer.js';
import { syncerStartSchema } from '../../../src/syncer/syncer-settings.js';
import { silentLogger } from '../../../src/logger.js';
import { openLocalRelay, waitFor, type LocalRelay } from '../../helpers/local-relay.js';
import { fixturesDir } from '../../unit/binlog/listing.js';

const FIXTURES = fixturesDir();
const U = '214eb71f-96ec-11e8-ab4f-fa163e72d4ae';
let source: LocalRelay;
let server: BinlogServer;

before(async () => {
  source = await openLocalRelay();
  for (const name of ['mysql_bin.000011', 'mysql_bin.000012']) {
    const bytes = readFileSync(join(FIXTURES, 'mysql57-binlog', name));
    await source.commit(encodeRelayRecord({ kind: 'binlog', file: name, pos: 4, endsAtBoundary: true, bytes: bytes.subarray(4) }));
  }
  server = await BinlogServer.start({
    settings: { addr: '127.0.0.1:0', user: 'repl', password: 'pw' },
    relay: source.relay, serverId: 4242, serverUuid: '5e5e5e5e-0000-4000-8000-000000000001', logger: silentLogger,
  });
});

after(async () => {
  await server?.stop();
  await source?.close();
});

test('start_gtid on a MySQL source starts the relay at the first transaction after that set, byte for byte', async () => {
  const target = await openLocalRelay();
  const settings = syncerStartSchema.parse({
    mysql_addr: `127.0.0.1:${server.address.port}`, mysql_user: 'repl', mysql_password: 'pw', start_gtid: `${U}:1-11795`,
  });
  const syncer = new Syncer(settings, target.relay, target.commit, silentLogger, { ...DEFAULT_SYNCER_OPTIONS, heartbeatMs: 200 });
  syncer.start();
  try {
    const expected = source.relay.executedGtids.toString();
    await waitFor(`the relay to reach ${expected}`, () => target.relay.executedGtids.toString() === expected, 20_000);
    const [first, second] = target.relay.allFiles();
    assert.equal(target.relay.flavor, 'mysql');
    assert.equal(first!.name, 'mysql_bin.000011');
    assert.ok(first!.firstPos > 4, 'mid-file start');
    assert.equal(first!.startGtids, `${U}:1-11795`);
    assert.equal(target.relay.purgedGtids, `${U}:1-11795`);
    const file11 = readFileSync(join(FIXTURES, 'mysql57-binlog', 'mysql_bin.000011'));
    assert.ok((await target.fileBytes('mysql_bin.000011')).equals(file11.subarray(first!.firstPos)));
    const file12 = readFileSync(join(FIXTURES, 'mysql57-binlog', 'mysql_bin.000012'));
    assert.equal(second!.name, 'mysql_bin.000012');
    assert.ok((await target.fileBytes('mysql_bin.000012')).equals(file12.subarray(4)));
    assert.equal(target.relay.refused, 0);
  } finally {
    await syncer.stop();
    await target.close();
  }
});
