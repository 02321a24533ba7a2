// The meta record `member.removed`: the cluster removed this node (it applied its own removal).
// A node that finds it at start does not run again: it would receive nothing more and serve its
// replicas a stale position. To join again under the same name, the data dir is deleted.
import { metaKey } from './keys.js';
import { MetaStore } from './meta-store.js';
import type { SegmentRaftStore } from './raft-store.js';
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

/** Stages the record into the raft store's next batch: staged as the removal is applied, it
 *  goes with the conf state without this node, so a crash leaves both or neither (and a restart
 *  with neither applies the removal again). */
export function stageMemberRemovedRecord(raft: Pick<SegmentRaftStore, 'stage'>, record: MemberRemovedRecord): void {
  raft.stage(metaKey(MEMBER_REMOVED_RECORD), MetaStore.jsonBytes(record));
}
