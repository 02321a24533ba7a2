// The meta record `cluster.id`: the id of the cluster this data dir belongs to (src/cluster-id.ts),
// and what it was derived from, for the message that refuses a data dir of another cluster.
import type { MetaStore } from './meta-store.js';
import { StorageError } from './storage-error.js';

export const CLUSTER_ID_RECORD = 'cluster.id';

export interface ClusterIdRecord {
  readonly id: string;
  /** Human description of the cluster's origin, e.g. `initial-cluster n1=…,n2=…`. */
  readonly origin: string;
  /** Learned from a member when this node joined (no config of this node can derive it). */
  readonly joined: boolean;
}

export function readClusterIdRecord(meta: MetaStore): ClusterIdRecord | undefined {
  const value = meta.getJson(CLUSTER_ID_RECORD);
  if (value === undefined) return undefined;
  const r = value as Partial<ClusterIdRecord>;
  if (typeof r.id !== 'string' || r.id === '' || typeof r.origin !== 'string') {
    throw new StorageError('ERR_STORAGE_CORRUPT', `meta record ${CLUSTER_ID_RECORD} is not a cluster id record`);
  }
  return { id: r.id, origin: r.origin, joined: r.joined === true };
}

/** Writes the record, synced: it must survive whatever the node does next. */
export async function writeClusterIdRecord(meta: MetaStore, record: ClusterIdRecord): Promise<void> {
  await meta.putJson(CLUSTER_ID_RECORD, record);
}
