// Where a relay node and its upstream end: the executed GTID set and the last file and position.
// While the relay follows one upstream these are equal exactly when nothing was lost or doubled
// (the relay's files mirror the upstream's names and positions: DESIGN.md invariant 4).
import type { ServerStatusView } from '../../api/backend.js';
import type { MariaDb } from './mariadb.js';
import type { RelayCluster } from './relay-cluster.js';

export interface RelayEnd {
  executed_gtid_set: string;
  last_binlog_file: string | null;
  last_file_position: number | null;
}

/** Node i's /binlog/server/status, or null while it does not answer it. */
export async function serverStatus(cluster: RelayCluster, i: number): Promise<ServerStatusView | null> {
  const res = await cluster.api(i, 'GET', '/binlog/server/status').catch(() => null);
  return res?.status === 200 ? (res.body.data as ServerStatusView) : null;
}

/** Node i's end, or null while it does not answer. */
export async function relayEnd(cluster: RelayCluster, i: number): Promise<RelayEnd | null> {
  const s = await serverStatus(cluster, i);
  return s ? { executed_gtid_set: s.executed_gtid_set, last_binlog_file: s.last_binlog_file, last_file_position: s.last_file_position } : null;
}

/** Sequence number of domain 0 in a MariaDB GTID set text (`0-11-123,1-2-7`), or 0. */
export function seqOf(set: string | null | undefined): number {
  for (const part of (set ?? '').split(',')) {
    const m = /^\s*(\d+)-(\d+)-(\d+)\s*$/.exec(part);
    if (m && m[1] === '0') return Number(m[3]);
  }
  return 0;
}

export async function upstreamEnd(up: MariaDb): Promise<RelayEnd> {
  const [master] = await up.query('SHOW MASTER STATUS');
  const [gtid] = await up.query('SELECT @@gtid_binlog_pos AS p');
  return { executed_gtid_set: String(gtid!.p), last_binlog_file: String(master!.File), last_file_position: Number(master!.Position) };
}
