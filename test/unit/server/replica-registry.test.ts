import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ReplicaRegistry } from '../../../src/server/replica-registry.js';
import type { DumpStream } from '../../../src/server/dump-stream.js';

function fakeDump(serverId: number, mode: 'gtid' | 'file' = 'file'): DumpStream {
  return { serverId, mode, file: 'up-bin.000002', position: 2552, gtid: '0-11-10' } as unknown as DumpStream;
}

const reg = { serverId: 2, host: '', user: '', port: 3407, rplRecoveryRank: 0, masterId: 0 };

describe('replica registry', () => {
  it('lists registered and dumping sessions, not plain clients, and forgets closed ones', () => {
    const r = new ReplicaRegistry();
    const at = new Date('2026-11-23T10:00:00Z');
    r.add(1, '127.0.0.1', 50001, at);
    r.add(2, '127.0.0.1', 50002, at);
    r.add(3, '127.0.0.1', 50003, at);
    r.register(1, reg, '', true);
    r.dumpStarted(1, fakeDump(2, 'gtid'), '', 'mariadb');
    r.dumpStarted(2, fakeDump(0), '', 'mariadb'); // a one-off mariadb-binlog
    assert.deepEqual(r.views(), [
      { server_id: 2, uuid: null, host: '127.0.0.1', port: 3407, remote_addr: '127.0.0.1:50001', mode: 'gtid', file: 'up-bin.000002', position: 2552, gtid: '0-11-10', connected_at: '2026-11-23T10:00:00.000Z' },
      { server_id: 0, uuid: null, host: '127.0.0.1', port: 0, remote_addr: '127.0.0.1:50002', mode: 'file', file: 'up-bin.000002', position: 2552, gtid: '0-11-10', connected_at: '2026-11-23T10:00:00.000Z' },
    ]);
    assert.deepEqual(r.hosts(), [{ serverId: 2, host: '', port: 3407, uuid: '' }], 'SHOW SLAVE HOSTS: registered only');
    r.remove(1);
    assert.deepEqual(r.views().map((v) => v.remote_addr), ['127.0.0.1:50002']);
  });

  it('a dump with the server_id of a running one replaces it; server_id 0 replaces nothing', () => {
    const r = new ReplicaRegistry();
    for (const id of [1, 2, 3, 4]) r.add(id, '127.0.0.1', 50000 + id, new Date());
    const older = fakeDump(77);
    assert.deepEqual(r.dumpStarted(1, older, '', 'mariadb'), []);
    assert.deepEqual(r.dumpStarted(2, fakeDump(77), '', 'mariadb'), [older]);
    assert.deepEqual(r.dumpStarted(3, fakeDump(0), '', 'mariadb'), []);
    assert.deepEqual(r.dumpStarted(4, fakeDump(0), '', 'mariadb'), []);
  });

  it('MySQL replicas are matched by replica UUID when they send one', () => {
    const r = new ReplicaRegistry();
    for (const id of [1, 2, 3]) r.add(id, '127.0.0.1', 50000 + id, new Date());
    const a = fakeDump(10);
    r.dumpStarted(1, a, 'uuid-a', 'mysql');
    assert.deepEqual(r.dumpStarted(2, fakeDump(10), 'uuid-b', 'mysql'), [], 'same server_id, other UUID: another replica');
    assert.deepEqual(r.dumpStarted(3, fakeDump(11), 'uuid-a', 'mysql'), [a], 'same UUID: the same replica back');
  });

  it('lists every session for SHOW PROCESSLIST by id: dumps from their start with their phase, others asleep since their last statement', () => {
    const r = new ReplicaRegistry();
    const at = new Date('2026-11-23T10:00:00Z');
    r.add(5, '10.0.0.5', 50005, at);
    r.add(2, '10.0.0.2', 50002, at);
    r.add(3, '10.0.0.3', 50003, at);
    const dumpOf = (command: string, waiting: boolean): DumpStream => ({ request: { command }, startedAtMs: 1000, phase: { waiting, sinceMs: 1500 } }) as unknown as DumpStream;
    r.dumpStarted(2, dumpOf('binlog-dump', true), '', 'mariadb');
    r.dumpStarted(3, dumpOf('binlog-dump-gtid', false), '', 'mysql');
    r.statementEnded(5, at.getTime() + 4000);
    assert.deepEqual(r.processes(), [
      { id: 2, host: '10.0.0.2:50002', command: 'Binlog Dump', sinceMs: 1000, waiting: true },
      { id: 3, host: '10.0.0.3:50003', command: 'Binlog Dump GTID', sinceMs: 1000, waiting: false },
      { id: 5, host: '10.0.0.5:50005', command: 'Sleep', sinceMs: at.getTime() + 4000, waiting: null },
    ]);
  });
});
