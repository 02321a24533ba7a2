import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterMismatchError, deriveClusterId, establishClusterId, type ClusterIdentity } from '../../src/cluster-id.js';
import { memberIdCollision, memberIdOf } from '../../src/member-id.js';
import { openStorage } from '../../storage/storage.js';
import { writeClusterIdRecord } from '../../storage/cluster-id-record.js';
import { COLLIDING_WITH_N1 } from '../helpers/colliding-member-names.js';

const cluster = (pairs: [string, string][], clusterName?: string, state: 'new' | 'existing' = 'new'): ClusterIdentity =>
  ({ initialCluster: new Map(pairs), initialClusterState: state, clusterName });

const A: [string, string][] = [['n1', '10.0.0.1:9696'], ['n2', '10.0.0.2:9696'], ['n3', '10.0.0.3:9696']];


test('every initial member derives the same cluster id, whatever the order of initial-cluster', () => {
  assert.equal(deriveClusterId(cluster(A)), deriveClusterId(cluster([...A].reverse())));
  assert.match(deriveClusterId(cluster(A)), /^[0-9a-f]{16}$/);
});

test('clusters differing in one address, one name or the cluster-name get different ids', () => {
  const id = deriveClusterId(cluster(A));
  assert.notEqual(deriveClusterId(cluster([A[0]!, A[1]!, ['n3', '10.0.0.4:9696']])), id);
  assert.notEqual(deriveClusterId(cluster([A[0]!, A[1]!, ['n4', '10.0.0.3:9696']])), id);
  assert.notEqual(deriveClusterId(cluster(A, 'staging')), id);
  assert.notEqual(deriveClusterId(cluster(A, 'staging')), deriveClusterId(cluster(A, 'production')));
});

test('a data dir keeps the id of its first start and refuses the config of another cluster', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'binrelay-cluster-id-'));
  try {
    let storage = await openStorage(dir);
    const first = await establishClusterId(storage.meta, dir, cluster(A));
    assert.equal(first, deriveClusterId(cluster(A)));
    await storage.close();

    storage = await openStorage(dir);
    assert.equal(await establishClusterId(storage.meta, dir, cluster([...A].reverse())), first, 'same cluster after a restart');
    await assert.rejects(establishClusterId(storage.meta, dir, cluster(A, 'other')), (err: Error) => {
      assert.ok(err instanceof ClusterMismatchError);
      assert.match(err.message, new RegExp(`data dir .* belongs to cluster ${first} \\(initial-cluster n1=10.0.0.1:9696,n2=10.0.0.2:9696,n3=10.0.0.3:9696\\), not to cluster [0-9a-f]{16} \\(cluster-name other`));
      return true;
    });
    assert.equal(await establishClusterId(storage.meta, dir, cluster([['n4', '10.0.0.4:9696']], undefined, 'existing')), first,
      'a joined member keeps the id it learned, whatever its initial-cluster');
    await storage.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a node joining an existing cluster has no id until it learns one, then keeps it on any restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'binrelay-cluster-id-'));
  try {
    const storage = await openStorage(dir);
    assert.equal(await establishClusterId(storage.meta, dir, cluster(A, undefined, 'existing')), null);
    await writeClusterIdRecord(storage.meta, { id: '0123456789abcdef', origin: 'learned when this node joined', joined: true });
    const joined = cluster([...A, ['n4', '10.0.0.4:9696']]);
    assert.equal(await establishClusterId(storage.meta, dir, joined), '0123456789abcdef', 'restarted with initial-cluster-state new');
    await storage.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('two member names with the same 32-bit id are found', () => {
  assert.equal(memberIdOf(COLLIDING_WITH_N1), memberIdOf('n1'));
  assert.deepEqual(memberIdCollision(['n1', 'n2', COLLIDING_WITH_N1]), { id: memberIdOf('n1'), names: ['n1', COLLIDING_WITH_N1] });
  assert.equal(memberIdCollision(['n1', 'n2', 'n3']), undefined);
});
