// The meta record `member.removed`: the cluster removed this node (it applied its own removal).
// A node that finds it at start does not run again: it would receive nothing more and serve its
// replicas a stale position. To join again under the same name, the data dir is deleted.
import type { MetaStore } from './meta-store.js';
import { StorageError } from './storage-error.js';

export const MEMBER_REMOVED_RECORD = 'member.removed';

export interface MemberRemovedRecord {
  /** When this node applied its removal (ISO 8601). */
  readonly at: string;
}

export function readMemberRemovedRecord(meta: MetaStore): MemberRemovedRecord | undefined {
  const value = meta.getJson(MEMBER_REMOVED_RECORD);
  if (value === undefined) return undefined;
  const at = (value as Partial<MemberRemovedRecord>).at;
  if (typeof at !== 'string') throw new StorageError('ERR_STORAGE_CORRUPT', `meta record ${MEMBER_REMOVED_RECORD} is not a removal record`);
  return { at };
}

/** Writes the record, synced: a restart must find it. */
export async function writeMemberRemovedRecord(meta: MetaStore, record: MemberRemovedRecord): Promise<void> {
  await meta.putJson(MEMBER_REMOVED_RECORD, record);
}
