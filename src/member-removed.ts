// A node the cluster removed stops, and does not run again on the same data dir (an etcd member
// does the same): it would receive nothing more and serve its replicas a stale position without
// an error. The removal is recorded in the data dir (storage/member-removed-record.ts) in the raft
// batch that writes the membership without the node, before it stops; a start that finds it ends
// at once, exit 0, saying how to join again.
import type { MetaStore } from '../storage/meta-store.js';
import { readMemberRemovedRecord } from '../storage/member-removed-record.js';

export class MemberRemovedError extends Error {
  readonly code = 'MEMBER_REMOVED';
}

/** Throws MemberRemovedError if this data dir's node was removed from its cluster. */
export function refuseRemovedMember(meta: MetaStore, name: string, dataDir: string): void {
  const removed = readMemberRemovedRecord(meta);
  if (removed) {
    throw new MemberRemovedError(`node ${name} was removed from its cluster at ${removed.at}: it does not run again on ${dataDir}; ` +
      'to join again, delete the data dir and add the member (POST /members)');
  }
}
