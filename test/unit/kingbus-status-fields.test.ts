// kingbus's names in status answers (src/kingbus-status-fields.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { currentGtid, withKingbusReplicaFields } from '../../src/kingbus-status-fields.js';

test("current_gtid is the upstream's newest GTID in the executed set, '' when there is none", () => {
  const uuid = '214eb71f-96ec-11e8-ab4f-fa163e72d4ae';
  assert.equal(currentGtid(`${uuid}:1-9257530`, { server_id: 1, server_uuid: uuid }), `${uuid}:9257530`);
  assert.equal(currentGtid(`aaaaaaaa-0000-0000-0000-000000000000:1-5,\n${uuid}:1-7:9-12`, { server_id: 1, server_uuid: uuid }), `${uuid}:12`);
  assert.equal(currentGtid('0-1-100,1-2-7', { server_id: 2, server_uuid: null }), '1-2-7');
  assert.equal(currentGtid('0-1-100', null), '0-1-100');
  assert.equal(currentGtid('0-1-100,1-2-7', null), '');
  assert.equal(currentGtid('', null), '');
});

test('a replica carries server_uuid, host_name and connect_time beside our names', () => {
  const replica = { server_id: 7, uuid: null, host: 'r1', port: 3306, remote_addr: '127.0.0.1:5000', mode: 'gtid' as const,
    file: 'b.000001', position: 4, gtid: '0-1-1', connected_at: '2026-01-01T00:00:00.000Z' };
  assert.deepEqual(withKingbusReplicaFields(replica), { ...replica, server_uuid: '', host_name: 'r1', connect_time: '2026-01-01T00:00:00.000Z' });
});
