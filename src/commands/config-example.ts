// `binrelay config example`: a commented YAML config for `binrelay start --config FILE`. Every key
// of the config schema is in it, set to its default or commented out with an example value (a test
// checks both: that it loads, and that no key is missing).
export const CONFIG_EXAMPLE = `# binrelay node configuration: binrelay start --config FILE
# Every key can also be a flag (--key value, nested: --binlog-server.addr) or an environment
# variable (BINRELAY_KEY, nested with __: BINRELAY_BINLOG_SERVER__ADDR); flags win, then the
# environment, then this file. Durations: 100ms, 30s, 15m, 12h, 7d. Sizes: 512MiB, 10GB, bytes.

# This node's name, unique in the cluster.
name: node1
# Binlog files (binlog/), LevelDB (leveldb/) and the raft log (raft-log/). Default ./data/<name>.
data-dir: ./data/node1

# Admin API (REST, /metrics, dashboard) and raft traffic. A non-loopback address needs its token.
admin-addr: 127.0.0.1:9595
peer-addr: 127.0.0.1:9696
# What this node publishes to the other members instead (set them when binding 0.0.0.0 or ::, as
# in a container). Default: the addresses above; for 0.0.0.0/::, this node's entry in
# initial-cluster (and that host with admin-addr's port); start-up stops when there is none.
# advertise-admin-addr: relay1.example.net:9595
# advertise-peer-addr: relay1.example.net:9696

# The initial members by name and peer address, this node included (default: this node alone).
# kingbus's form name=http://host:port is read too.
initial-cluster: node1=127.0.0.1:9696
# new: a member of the initial cluster. existing: a member added later (POST /members), which learns
# the cluster id from the first member that contacts it. Ignored when data-dir already holds a node.
initial-cluster-state: new
# Part of the cluster id (derived from initial-cluster and this name): set it when two clusters
# have the same initial-cluster.
# cluster-name: prod-relay

# Secrets: better in the environment (BINRELAY_CLUSTER_TOKEN, BINRELAY_ADMIN_TOKEN) than on a
# command line, where ps shows them.
# cluster-token: a-long-random-secret      # authenticates raft peers
# admin-token: another-long-random-secret   # bearer token for the admin API (except /healthz)

# Mutual TLS between nodes (every node, or none), and HTTPS for the admin API.
# peer-tls:
#   cert: /etc/binrelay/node1.pem
#   key: /etc/binrelay/node1-key.pem
#   ca: /etc/binrelay/ca.pem
# admin-tls:
#   cert: /etc/binrelay/admin.pem
#   key: /etc/binrelay/admin-key.pem
#   ca: /etc/binrelay/ca.pem

# Raft timing.
heartbeat-interval: 100ms
election-timeout: 1000ms

# The binlog server replicas connect to, started at boot (or later with PUT /binlog/server/start).
# binlog-server:
#   addr: 127.0.0.1:3307
#   user: repl
#   password: a-replica-password   # or BINRELAY_BINLOG_SERVER__PASSWORD; the node keeps only hashes
#   tls:
#     cert: /etc/binrelay/server.pem
#     key: /etc/binrelay/server-key.pem
#   require-secure-transport: false
#   max-connections: 256           # the limits below are the defaults
#   max-handshakes: 64
#   max-handshakes-per-ip: 8
#   replica-handshakes: 32
#   max-packet-size: 16MiB
#   handshake-timeout: 5s
#   wait-timeout: 8h

# Automatic purge of old binlog files (replicated: every node purges the same files).
# binlog-retention:
#   max-age: 7d
#   max-bytes: 100GB
#   min-files: 1

# Raft log kept behind a snapshot for followers that fall behind.
raft-log-retain:
  bytes: 256MiB
  entries: 100000

# fatal, error, warn, info, debug, trace or silent.
log-level: info
# json: one JSON object per line (for a log collector); pretty: readable lines for a terminal.
log-format: json

# Admin API limits.
admin-request-timeout: 30s
admin-connection-timeout: 60s
admin-max-connections: 256
`;

export function runConfig(args: string[]): number {
  const [sub] = args;
  if (sub === 'example') {
    process.stdout.write(CONFIG_EXAMPLE);
    return 0;
  }
  const usage = 'usage: binrelay config example   print a commented YAML config (binrelay start --config FILE)\n';
  if (sub === undefined || sub === '--help' || sub === '-h') {
    process.stdout.write(usage);
    return sub === undefined ? 1 : 0;
  }
  process.stderr.write(`binrelay config: unknown subcommand "${sub}"\n${usage}`);
  return 2;
}
