// Where a relay node and its upstream end: the executed GTID set and the last file and position.
// While the relay follows one upstream these are equal exactly when nothing was lost or doubled
// (the relay's files mirror the upstream's names and positions: DESIGN.md invariant 4).
import type { MariaDb } from './mariadb.js';
import type { RelayCluster } from './relay-cluster.js';

export interface RelayEnd {
  executed_gtid_set: string;
  last_binlog_file: string | null;
  last_file_position: number | null;
}

/** Node i's end (from /binlog/server/status), or null while it does not answer. */
export async function relayEnd(cluster: RelayCluster, i: number): Promise<RelayEnd | null> {
  const s = (await cluster.api(i, 'GET', '/binlog/server/status').catch(() => null))?.body.data as RelayEnd | undefined;
  return s ? { executed_gtid_set: s.executed_gtid_set, last_binlog_file: s.last_binlog_file, last_file_position: s.last_file_position } : null;
}

export async function upstreamEnd(up: MariaDb): Promise<RelayEnd> {
  const [master] = await up.query('SHOW MASTER STATUS');
  const [gtid] = await up.query('SELECT @@gtid_binlog_pos AS p');
  return { executed_gtid_set: String(gtid!.p), last_binlog_file: String(master!.File), last_file_position: Number(master!.Position) };
}
