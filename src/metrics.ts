// Prometheus text exposition of a node's state (GET /metrics).
import type { RelayNode } from './node.js';

function line(name: string, help: string, type: 'gauge' | 'counter', value: number, labels = ''): string {
  return `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${name}${labels} ${value}\n`;
}

export function renderMetrics(node: RelayNode): string {
  const s = node.raft.status();
  const last = node.relay.lastFile();
  const syncer = node.syncer.running?.status();
  const replicas = node.binlogServer.current?.replicas.length ?? 0;
  return [
    line('binrelay_raft_term', 'Current raft term.', 'gauge', s.term),
    line('binrelay_raft_is_leader', '1 when this node is the raft leader.', 'gauge', s.role === 'leader' ? 1 : 0),
    line('binrelay_raft_commit_index', 'Raft commit index.', 'gauge', s.commitIndex),
    line('binrelay_raft_applied_index', 'Raft applied index.', 'gauge', s.appliedIndex),
    line('binrelay_relay_files', 'Binlog files held by the relay.', 'gauge', node.relay.allFiles().length),
    line('binrelay_relay_binlog_bytes', 'Bytes of binlog the relay holds (served ends of its files).', 'gauge', node.relay.heldBytes()),
    line('binrelay_relay_purge_held_back_files', 'Purged files kept on disk while a replica of this node reads them.', 'gauge', node.relay.dir.heldBack().length),
    line('binrelay_raft_snapshot_index', 'The raft log is compacted up to this index.', 'gauge', node.storage.raft.snapshotMeta().index),
    line('binrelay_relay_last_file_position', 'Served end position in the last binlog file.', 'gauge', last?.endPos ?? 0),
    line('binrelay_relay_refused_records_total', 'Relay records refused by the continuity check.', 'counter', node.relay.refused),
    line('binrelay_syncer_running', '1 when the syncer runs on this node.', 'gauge', syncer ? 1 : 0),
    line('binrelay_syncer_lag_seconds', 'Seconds behind the upstream (last event timestamp).', 'gauge', syncer?.lag_seconds ?? 0),
    line('binrelay_syncer_reconnects_total', 'Syncer reconnects to the upstream.', 'counter', syncer?.reconnects ?? 0),
    line('binrelay_server_replicas', 'Replicas connected to this node.', 'gauge', replicas),
  ].join('');
}
