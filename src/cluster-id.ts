// The cluster id tells binrelay clusters apart: peers of another cluster are refused in the
// handshake, and a data dir of another cluster is refused at start. Every initial member derives
// the same id from its config, without coordination: a hash of the optional cluster-name and the
// sorted name=peer-address pairs of initial-cluster. Two clusters differ as soon as one member name
// or address differs; clusters with identical initial-cluster strings (the same compose file in
// two environments) set different cluster-names. The id is persisted at the first start; a node
// started with `initial-cluster-state existing` learns it from the first member that contacts it.
import { createHash } from 'node:crypto';
import type { MetaStore } from '../storage/meta-store.js';
import { readClusterIdRecord, writeClusterIdRecord } from '../storage/cluster-id-record.js';

export class ClusterMismatchError extends Error {
  readonly code = 'CLUSTER_MISMATCH';
}

export interface ClusterIdentity {
  readonly initialCluster: ReadonlyMap<string, string>;
  readonly initialClusterState: 'new' | 'existing';
  readonly clusterName: string | undefined;
}

/** `name=addr` pairs in name order: the same text on every member whatever the config's order. */
function describeInitialCluster(initialCluster: ReadonlyMap<string, string>): string {
  return [...initialCluster].map(([name, addr]) => `${name}=${addr}`).sort().join(',');
}

/** What an id was derived from, for messages: `cluster-name X, initial-cluster n1=…`. */
export function clusterOrigin(c: Pick<ClusterIdentity, 'initialCluster' | 'clusterName'>): string {
  const members = `initial-cluster ${describeInitialCluster(c.initialCluster)}`;
  return c.clusterName === undefined ? members : `cluster-name ${c.clusterName}, ${members}`;
}

/** 16 hex digits (64 bits of SHA-256): collisions between real clusters are out of reach. */
export function deriveClusterId(c: Pick<ClusterIdentity, 'initialCluster' | 'clusterName'>): string {
  return createHash('sha256')
    .update('binrelay/cluster-id/v1\0').update(c.clusterName ?? '', 'utf8').update('\0')
    .update(describeInitialCluster(c.initialCluster), 'utf8')
    .digest('hex').slice(0, 16);
}

/**
 * The id of the cluster this data dir belongs to: the persisted one (checked against the config of
 * an initial member; a joined member's is taken as it is), else the derived one, persisted now. Null for a joining node that has none
 * yet. Throws ClusterMismatchError when the data dir belongs to another cluster.
 */
export async function establishClusterId(meta: MetaStore, dataDir: string, c: ClusterIdentity): Promise<string | null> {
  const stored = readClusterIdRecord(meta);
  // A member that joined keeps the id it learned, whatever initial-cluster it is restarted with.
  if (c.initialClusterState === 'existing' || stored?.joined === true) return stored?.id ?? null;
  const derived = deriveClusterId(c);
  if (stored === undefined) {
    // A new data dir, or one from before cluster ids: it belongs to the configured cluster.
    await writeClusterIdRecord(meta, { id: derived, origin: clusterOrigin(c), joined: false });
    return derived;
  }
  if (stored.id !== derived) {
    throw new ClusterMismatchError(
      `data dir ${dataDir} belongs to cluster ${stored.id} (${stored.origin}), not to cluster ${derived} ` +
      `(${clusterOrigin(c)}): start this node on its own data dir, or with the initial-cluster and ` +
      'cluster-name the data dir was created with (initial-cluster-state existing for a member that joined later)',
    );
  }
  return stored.id;
}
