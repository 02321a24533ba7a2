import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SessionVariables, intOf } from '../../../src/server/session-variables.js';

describe('session variables', () => {
  it('read integers the way MySQL reads a user variable as a number', () => {
    assert.equal(intOf({ value: '30000001024', numeric: true }), 30000001024n);
    assert.equal(intOf({ value: ' 42abc', numeric: false }), 42n);
    assert.equal(intOf({ value: 'abc', numeric: false }), 0n);
    assert.equal(intOf({ value: null, numeric: false }), 0n);
    assert.equal(intOf(undefined), 0n);
  });

  it('gives a dump its parameters, nothing declared meaning no checksum handshake and capability 0', () => {
    const v = new SessionVariables();
    assert.deepEqual(v.dumpParameters('mariadb'), {
      checksum: 255, heartbeatPeriodNs: 0n, connectState: null, capability: 0, gtidStrictMode: false,
      gtidIgnoreDuplicates: false, replicaUuid: '', semiSync: false,
    });
    v.set('MASTER_BINLOG_CHECKSUM', { value: 'crc32', numeric: false });
    v.set('slave_connect_state', { value: '', numeric: false });
    assert.equal(v.dumpParameters('mariadb').checksum, 1, 'case-insensitive names and values');
    assert.equal(v.dumpParameters('mariadb').connectState, '', 'an empty state is still GTID mode');
  });

  it('reads the source_/replica_ spellings first for MySQL and only the old ones for MariaDB', () => {
    const v = new SessionVariables();
    v.set('master_heartbeat_period', { value: '1000', numeric: true });
    v.set('source_heartbeat_period', { value: '2000', numeric: true });
    v.set('source_binlog_checksum', { value: 'NONE', numeric: false });
    assert.equal(v.dumpParameters('mysql').heartbeatPeriodNs, 2000n);
    assert.equal(v.dumpParameters('mariadb').heartbeatPeriodNs, 1000n);
    assert.equal(v.dumpParameters('mysql').checksum, 0);
    assert.equal(v.dumpParameters('mariadb').checksum, 255);
  });
});
