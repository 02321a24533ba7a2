// kingbus's names in the status answers, beside ours, so scripts written for kingbus keep working:
// `current_gtid` (the newest GTID the relay holds from its upstream), and in each replica of
// GET /binlog/server/status `server_uuid`, `host_name` and `connect_time`.
import type { ReplicaView } from './server/replica-registry.js';

/** A replica as GET /binlog/server/status lists it: ours, and kingbus's names for the same facts. */
export type ReplicaStatusView = ReplicaView & { server_uuid: string; host_name: string; connect_time: string };

export function withKingbusReplicaFields(replica: ReplicaView): ReplicaStatusView {
  return { ...replica, server_uuid: replica.uuid ?? '', host_name: replica.host, connect_time: replica.connected_at };
}

/** The upstream's newest GTID in `executed` (the upstream's own text form), '' when there is none.
 *  MySQL `uuid:1-100` → `uuid:100`, for the upstream's server_uuid when known; MariaDB
 *  `0-1-100,1-2-7` → the entry written by the upstream's server_id, else the only one. */
export function currentGtid(executed: string, upstream: { server_id: number; server_uuid: string | null } | null): string {
  const entries = executed.split(',').map((e) => e.trim()).filter(Boolean);
  if (entries.length === 0) return '';
  if (entries[0]!.includes(':')) {
    const entry = entries.find((e) => upstream?.server_uuid && e.toLowerCase().startsWith(upstream.server_uuid.toLowerCase())) ?? entries[0]!;
    const [uuid, ...intervals] = entry.split(':');
    const last = intervals[intervals.length - 1]?.split('-').pop();
    return last ? `${uuid}:${last}` : '';
  }
  const byUpstream = upstream ? entries.find((e) => e.split('-')[1] === String(upstream.server_id)) : undefined;
  return byUpstream ?? (entries.length === 1 ? entries[0]! : '');
}
