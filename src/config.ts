// Node configuration (DESIGN.md §4): one zod schema; values come from defaults < YAML file <
// BINRELAY_* environment < --flags. An unknown or invalid key stops start-up with a message naming
// the key. Nested keys: `--binlog-server.addr X` on the command line, BINRELAY_BINLOG_SERVER__ADDR
// in the environment (`-` → `_`, `.` → `__`). Every key is documented where it is declared
// (`key(…)`): `binrelay start --help` is generated from this schema (src/config-help.ts).
import { readFileSync } from 'node:fs';
import type { PeerTls } from '../raft/transport-tls.js';
import { peerSecureContext } from '../raft/transport-tls.js';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { DEFAULT_HTTP_LIMITS, type HttpLimits } from '../api/http-limits.js';
import { advertisedAddresses, missingTokens } from './exposed-addresses.js';
import { connectAddrSchema, isWildcardHost, listenAddrSchema, parseHostPort } from './host-port.js';
import { MEMBER_NAME, memberIdCollision } from './member-id.js';
import type { BinlogServerSettings } from './server/binlog-server.js';
import type { BinlogServerDefaults } from './server-control.js';
import { readTlsFiles, TlsFilesError, type TlsFiles } from './tls-files.js';
import { translateKingbusKeys } from './kingbus-config.js';
import { DEFAULT_BINLOG_SERVER_LIMITS, limitsProblem, type BinlogServerLimits } from './server/server-limits.js';

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(readonly key: string, readonly detail: string) {
    super(`config: ${key}: ${detail}`);
  }
}

/** What `start --help` shows of a key: what it does, the form of its value (HOST:PORT,
 *  DURATION…), the default applied where it is not the schema's own, and whether it is a secret. */
export interface ConfigKeyMeta {
  description: string;
  value?: string;
  defaultShown?: string | number;
  secret?: boolean;
}

/** `schema` documented: the description and the rest of ConfigKeyMeta, kept with its value form. */
function key<T extends z.ZodType>(schema: T, description: string, more: Omit<ConfigKeyMeta, 'description'> = {}): T {
  return schema.meta({ ...schema.meta(), description, ...more });
}

/** The form of a value, for `start --help`. */
const form = <T extends z.ZodType>(schema: T, value: string): T => schema.meta({ value });

const hostPort = form(listenAddrSchema, 'HOST:PORT');

/** An address other members connect to: no wildcard, no port 0. */
const advertisedAddr = form(connectAddrSchema.refine(
  (s) => !isWildcardHost(parseHostPort(s)?.host ?? s),
  'expected the host:port other members reach this node at, not a wildcard such as 0.0.0.0 or ::',
), 'HOST:PORT');

const file = form(z.string().min(1), 'FILE');
const secret = form(z.string().min(1), 'SECRET');

const DURATION_UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** '100ms', '30s', '15m', '12h', '7d' or a number of milliseconds; positive. */
const durationMs = form(z.union([z.number(), z.string()]).transform((value, ctx) => {
  const m = typeof value === 'string' ? /^(\d+)(ms|s|m|h|d)?$/.exec(value.trim()) : null;
  const ms = m ? Number(m[1]) * DURATION_UNIT_MS[m[2] ?? 'ms']! : value;
  if (typeof ms !== 'number' || !Number.isSafeInteger(ms) || ms <= 0) {
    ctx.addIssue({ code: 'custom', message: "expected a duration such as '100ms', '1s', '15m', '12h' or '7d'" });
    return z.NEVER;
  }
  return ms;
}), 'DURATION');

const SIZE_UNIT_BYTES: Readonly<Record<string, number>> = {
  b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40,
};

/** '512MiB', '10GB', '1048576' (bytes): SI units are powers of 1000, IEC units of 1024. */
const byteSize = form(z.union([z.number(), z.string()]).transform((value, ctx) => {
  const m = typeof value === 'string' ? /^(\d+)\s*([kmgt]i?b|b)?$/i.exec(value.trim()) : null;
  const bytes = m ? Number(m[1]) * SIZE_UNIT_BYTES[(m[2] ?? 'b').toLowerCase()]! : value;
  if (typeof bytes !== 'number' || !Number.isSafeInteger(bytes) || bytes < 0) {
    ctx.addIssue({ code: 'custom', message: "expected a size such as '512MiB', '10GB' or a number of bytes" });
    return z.NEVER;
  }
  return bytes;
}), 'SIZE');

/** A whole number from YAML, or from a flag or environment variable (text). */
const count = form(z.union([z.number(), z.string()]).transform((value, ctx) => {
  const n = typeof value === 'string' ? (/^\s*\d+\s*$/.test(value) ? Number(value) : NaN) : value;
  if (!Number.isSafeInteger(n) || n < 0) {
    ctx.addIssue({ code: 'custom', message: 'expected a whole number' });
    return z.NEVER;
  }
  return n;
}), 'N');

const memberName = form(z.string().regex(MEMBER_NAME, 'expected a name of letters, digits, _ . -'), 'NAME');

/** `n1=host:port,n2=host:port` → Map(name → host:port), names unique. kingbus's form
 *  `n1=http://host:port` is read the same (plain TCP; config checks `https://` against peer-tls). */
const initialCluster = form(z.string().transform((s, ctx) => {
  const members = new Map<string, string>();
  for (const part of s.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [name, url, extra] = part.split('=');
    const addr = url?.replace(/^https?:\/\//i, '');
    if (extra !== undefined || !name || !addr || !memberName.safeParse(name).success || !parseHostPort(addr, { connectable: true })) {
      ctx.addIssue({ code: 'custom', message: `bad member "${part}": expected name=host:port` });
      return z.NEVER;
    }
    if (members.has(name)) {
      ctx.addIssue({ code: 'custom', message: `member "${name}" listed twice` });
      return z.NEVER;
    }
    members.set(name, addr);
  }
  return members;
}), 'NAME=HOST:PORT,…');

const atLeastOne = count.pipe(z.number().min(1, 'expected at least 1'));

/** PEM files of a listener: certificate (chain), private key, and a CA bundle where one is used. */
const tlsFiles = z.strictObject({
  cert: key(file, 'PEM certificate (chain) of this node'),
  key: key(file, 'PEM private key of the certificate'),
  ca: key(file.optional(), 'PEM CA bundle (admin-tls: calls to other nodes verify their certificates against it, else against the system CAs)'),
});

/** true/false from YAML, or 'true'/'false'/'on'/'off'/'1'/'0' from a flag or the environment. */
const onOff = form(z.union([z.boolean(), z.enum(['true', 'false', 'on', 'off', '1', '0'])])
  .transform((v) => v === true || v === 'true' || v === 'on' || v === '1'), 'true|false');

/** Checks now that the files of a TLS section can be read, naming the key when one cannot. */
function checkedTlsFiles(raw: z.infer<typeof tlsFiles> | undefined, key: string): TlsFiles | undefined {
  if (!raw) return undefined;
  try {
    readTlsFiles(raw, key);
  } catch (err) {
    if (err instanceof TlsFilesError) throw new ConfigError(err.key, err.detail);
    throw err;
  }
  return raw.ca ? { cert: raw.cert, key: raw.key, ca: raw.ca } : { cert: raw.cert, key: raw.key };
}

/** Mutual TLS between nodes: this node's certificate and key, and the CA of every peer's. */
const peerTls = tlsFiles.extend({ ca: key(file, "PEM CA that signs every node's certificate") });

/** Reads the peer-tls files at start; an unreadable file or unusable material names its key. */
function loadPeerTls(raw: z.infer<typeof peerTls> | undefined): Config['peerTls'] {
  if (!raw) return undefined;
  let tls: PeerTls;
  try {
    const material = readTlsFiles(raw, 'peer-tls');
    tls = { cert: material.cert, key: material.key, ca: material.ca! };
    peerSecureContext(tls);
  } catch (err) {
    if (err instanceof TlsFilesError) throw new ConfigError(err.key, err.detail);
    throw new ConfigError('peer-tls', `unusable certificate, key or CA (${raw.cert}, ${raw.key}, ${raw.ca}): ${(err as Error).message}`);
  }
  return { files: { cert: raw.cert, key: raw.key, ca: raw.ca }, tls };
}

/** The binlog server; its limits default to DEFAULT_BINLOG_SERVER_LIMITS (src/server/server-limits.ts).
 *  addr, user and password start it at boot; without them the rest applies to a server started
 *  through the admin API. */
const limits = DEFAULT_BINLOG_SERVER_LIMITS;
const binlogServer = z.strictObject({
  addr: key(hostPort.optional(), 'where the binlog server listens for replicas; addr, user and password together start it at boot (else it starts with PUT /binlog/server/start, and a restarted node starts it again with the settings it last ran with)'),
  user: key(form(z.string().min(1), 'USER').optional(), 'the account replicas log in with'),
  password: key(form(z.string().min(1, 'must not be empty: replicas log in with it, and without one anybody who reaches the port reads the binlog'), 'SECRET').optional(),
    "that account's password; the node keeps only the hashes it verifies against", { secret: true }),
  tls: key(tlsFiles.optional(), 'offer TLS to replicas (every start, the admin API\'s too)'),
  'require-secure-transport': key(onOff.optional(), 'refuse plaintext logins (1045), as MariaDB does; needs binlog-server.tls', { defaultShown: 'false' }),
  'require-client-cert': key(onOff.optional(), 'replicas must log in over TLS with a certificate signed by binlog-server.tls.ca (an account REQUIRE X509); implies require-secure-transport', { defaultShown: 'false' }),
  'max-connections': key(atLeastOne.optional(), 'connections at most, logged in or not (1040 beyond)', { defaultShown: limits.maxConnections }),
  'max-handshakes': key(atLeastOne.optional(), 'connections still logging in, from addresses no replica logged in from', { defaultShown: limits.maxHandshakes }),
  'max-handshakes-per-ip': key(atLeastOne.optional(), 'connections still logging in from one address', { defaultShown: limits.maxHandshakesPerIp }),
  'replica-handshakes': key(count.optional(), 'login slots kept for addresses a replica logged in from', { defaultShown: limits.replicaHandshakes }),
  'max-packet-size': key(byteSize.pipe(z.number().min(64 * 1024, 'expected at least 64KiB').max(2 ** 30, 'expected at most 1GiB')).optional(),
    'max_allowed_packet after login (64KiB before)', { defaultShown: limits.maxPacketSize }),
  'handshake-timeout': key(durationMs.optional(), 'connect_timeout: from connect to a finished login', { defaultShown: limits.handshakeTimeoutMs }),
  'wait-timeout': key(durationMs.optional(), 'wait_timeout: an idle logged-in connection is closed (never one running a dump)', { defaultShown: limits.waitTimeoutMs }),
});

const BINLOG_SERVER_LIMIT_KEYS: Readonly<Record<keyof BinlogServerLimits, keyof z.infer<typeof binlogServer>>> = {
  maxConnections: 'max-connections',
  maxHandshakes: 'max-handshakes',
  maxHandshakesPerIp: 'max-handshakes-per-ip',
  replicaHandshakes: 'replica-handshakes',
  maxPacketSize: 'max-packet-size',
  handshakeTimeoutMs: 'handshake-timeout',
  waitTimeoutMs: 'wait-timeout',
};

/** The binlog-server section: what every start takes from the node's config (`limits` holding only
 *  the keys given), and the settings to start with at boot when addr, user and password are set. */
function binlogServerSettings(raw: z.infer<typeof binlogServer> | undefined): { boot: BinlogServerSettings | undefined; defaults: BinlogServerDefaults } {
  if (!raw) return { boot: undefined, defaults: {} };
  const limits: Partial<BinlogServerLimits> = {};
  for (const [field, key] of Object.entries(BINLOG_SERVER_LIMIT_KEYS) as [keyof BinlogServerLimits, keyof typeof raw][]) {
    const value = raw[key];
    if (typeof value === 'number') limits[field] = value;
  }
  const problem = limitsProblem({ ...DEFAULT_BINLOG_SERVER_LIMITS, ...limits });
  if (problem) throw new ConfigError(`binlog-server.${BINLOG_SERVER_LIMIT_KEYS[problem.key]}`, problem.detail);
  const defaults: BinlogServerDefaults = {};
  if (Object.keys(limits).length > 0) defaults.limits = limits;
  const tls = checkedTlsFiles(raw.tls, 'binlog-server.tls');
  if (tls) defaults.tls = tls;
  if (raw['require-secure-transport']) {
    if (!tls) throw new ConfigError('binlog-server.require-secure-transport', 'needs binlog-server.tls (cert and key): without TLS no replica could log in');
    defaults.requireSecureTransport = true;
  }
  if (raw['require-client-cert']) {
    if (!tls?.ca) throw new ConfigError('binlog-server.require-client-cert', 'needs binlog-server.tls.ca: the CA that signs the replicas\' certificates');
    defaults.requireClientCert = true;
  }
  const given = (['addr', 'user', 'password'] as const).filter((k) => raw[k] !== undefined);
  if (given.length === 0) return { boot: undefined, defaults };
  const missing = (['addr', 'user', 'password'] as const).find((k) => raw[k] === undefined);
  if (missing) throw new ConfigError(`binlog-server.${missing}`, `missing: addr, user and password together start the binlog server at boot (${given.join(', ')} given)`);
  return { boot: { addr: raw.addr!, user: raw.user!, password: raw.password!, ...defaults }, defaults };
}

/** How long the relay keeps its binlog files; absent limits keep everything. */
const binlogRetention = z.strictObject({
  'max-age': key(durationMs.optional(), 'purge binlog files older than this (on every node: the purge is replicated)', { defaultShown: 'keep all' }),
  'max-bytes': key(byteSize.pipe(z.number().positive('expected a size above 0')).optional(), 'purge the oldest files beyond this total', { defaultShown: 'keep all' }),
  'min-files': key(count.pipe(z.number().min(1, 'expected at least 1')).default(1), 'files retention always keeps'),
});

const RAFT_LOG_RETAIN_DEFAULTS = { bytes: 256 * 2 ** 20, entries: 100_000 } as const;

/** How much raft log a snapshot leaves behind for followers to catch up from. */
const raftLogRetain = z.strictObject({
  bytes: key(byteSize.default(RAFT_LOG_RETAIN_DEFAULTS.bytes), 'raft log bytes kept behind a snapshot'),
  entries: key(count.default(RAFT_LOG_RETAIN_DEFAULTS.entries), 'raft log entries kept behind a snapshot'),
});

export const configSchema = z.strictObject({
  name: key(memberName.default('node1'), 'this node\'s name, unique in the cluster (its member id derives from it)'),
  'data-dir': key(form(z.string().min(1), 'DIR').optional(), 'binlog files (binlog/), raft log (raft-log/), LevelDB state (leveldb/)', { defaultShown: './data/<name>' }),
  'admin-addr': key(hostPort.default('127.0.0.1:9595'), 'where the admin API (REST, /metrics, dashboard) listens; not loopback: needs admin-token'),
  'peer-addr': key(hostPort.default('127.0.0.1:9696'), 'where raft traffic from the other members is accepted; not loopback: needs cluster-token (or peer-tls)'),
  'advertise-admin-addr': key(advertisedAddr.optional(), 'the admin address this node publishes to the other members (they forward calls to the leader and fetch snapshot files there); set it when admin-addr is 0.0.0.0 or :: (a container)',
    { defaultShown: "admin-addr; for 0.0.0.0 or ::, the advertised peer host with admin-addr's port" }),
  'advertise-peer-addr': key(advertisedAddr.optional(), 'the peer address this node publishes to the other members; set it when peer-addr is 0.0.0.0 or :: (a container) and initial-cluster does not list this node at a reachable address',
    { defaultShown: "peer-addr; for 0.0.0.0 or ::, this node's address in initial-cluster (else start-up stops)" }),
  'initial-cluster': key(initialCluster.optional(), 'peer addresses of the initial members, this node included; also the kingbus form name=http://host:port', { defaultShown: 'this node alone, at peer-addr' }),
  'initial-cluster-state': key(z.enum(['new', 'existing']).default('new'),
    'new: this node is one of the initial members, which form the cluster together. existing: a node added to a running cluster (POST /members first, on any node); it starts empty, learns the cluster id from the first member that contacts it, and catches up from the leader (its log, or a snapshot of the relay state with the binlog files when the log is compacted). Only read while the data dir is empty'),
  'cluster-token': key(secret.optional(), 'authenticates raft peers (the same on every node)', { secret: true }),
  'cluster-name': key(memberName.optional(), 'part of the cluster id, which derives from initial-cluster and this name: set it when two clusters have equal initial-cluster'),
  'peer-tls': key(peerTls.optional(), 'mutual TLS between nodes (all nodes, or none)'),
  'admin-token': key(secret.optional(), 'bearer token of the admin API (every route but /, /healthz, /openapi.json, /docs)', { secret: true }),
  'admin-tls': key(tlsFiles.optional(), 'HTTPS admin API; calls to other nodes verify them with ca (all nodes, or none)'),
  'heartbeat-interval': key(durationMs.default(100), 'raft heartbeat'),
  'election-timeout': key(durationMs.default(1000), 'raft election timeout; at least twice heartbeat-interval'),
  'binlog-server': key(binlogServer.optional(), 'the MySQL-protocol server replicas and mariadb-binlog read the binlog from'),
  'binlog-retention': key(binlogRetention.optional(), 'automatic purge of old binlog files; without a limit every file is kept'),
  'raft-log-retain': key(raftLogRetain.optional(), 'raft log kept behind a snapshot for lagging followers'),
  'log-level': key(z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'), 'pino log level'),
  'log-format': key(z.enum(['json', 'pretty']).default('json'), 'json: one JSON object per line (for collectors); pretty: readable lines for a terminal'),
  'admin-request-timeout': key(durationMs.default(DEFAULT_HTTP_LIMITS.requestTimeoutMs), 'a request (headers and body) must arrive within this'),
  'admin-connection-timeout': key(durationMs.default(DEFAULT_HTTP_LIMITS.connectionTimeoutMs), 'an idle admin connection is closed (never while its request is handled)'),
  'admin-max-connections': key(count.pipe(z.number().min(1, 'expected at least 1')).default(DEFAULT_HTTP_LIMITS.maxConnections), 'open admin API connections at most'),
});

export interface Config {
  name: string;
  dataDir: string;
  adminAddr: string;
  peerAddr: string;
  /** What this node publishes to the other members as its admin and peer addresses (never a
   *  wildcard): advertise-admin-addr / advertise-peer-addr, or what src/exposed-addresses.ts
   *  derives when they are not set. */
  advertiseAdminAddr: string;
  advertisePeerAddr: string;
  /** Every initial member by name → peer address; contains this node. */
  initialCluster: Map<string, string>;
  initialClusterState: 'new' | 'existing';
  clusterToken: string | undefined;
  /** Part of the cluster id (src/cluster-id.ts): tells apart clusters with equal initial-cluster. */
  clusterName: string | undefined;
  /** Mutual TLS on the peer port: the files as configured, and their contents read at start. */
  peerTls: { files: { cert: string; key: string; ca: string }; tls: PeerTls } | undefined;
  adminToken: string | undefined;
  heartbeatIntervalMs: number;
  electionTimeoutMs: number;
  /** The binlog server to start at boot (binlog-server.addr, user, password given). */
  binlogServer: BinlogServerSettings | undefined;
  /** binlog-server.tls, require-secure-transport and limits: applied to every start, the admin
   *  API's included. */
  binlogServerDefaults: BinlogServerDefaults;
  /** admin-tls: the admin API serves HTTPS, and calls between nodes use it, verified with `ca`. */
  adminTls: TlsFiles | undefined;
  /** Null limits are off; with none set every binlog file is kept. */
  binlogRetention: { maxAgeMs: number | null; maxBytes: number | null; minFiles: number };
  raftLogRetain: { bytes: number; entries: number };
  logLevel: string;
  /** json: one JSON object per line (for collectors); pretty: one readable line (for a terminal). */
  logFormat: 'json' | 'pretty';
  /** admin-request-timeout, admin-connection-timeout, admin-max-connections. */
  adminLimits: HttpLimits;
  /** What start-up logs about the config: kingbus keys taken as ours or set aside. */
  notes: string[];
}

type Raw = Record<string, unknown>;

function setNested(target: Raw, dotted: string, value: unknown): void {
  const parts = dotted.split('.');
  let obj = target;
  for (const p of parts.slice(0, -1)) {
    if (typeof obj[p] !== 'object' || obj[p] === null) obj[p] = {};
    obj = obj[p] as Raw;
  }
  obj[parts[parts.length - 1]] = value;
}

/** `--key value` / `--key=value` pairs; `--config FILE` is returned apart. */
export function parseFlags(args: string[]): { configFile: string | undefined; values: Raw } {
  const values: Raw = {};
  let configFile: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith('--')) throw new ConfigError(arg, 'unexpected argument (flags are --key value)');
    const eq = arg.indexOf('=');
    const key = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
    let value: string;
    if (eq > 0) value = arg.slice(eq + 1);
    else {
      if (i + 1 >= args.length) throw new ConfigError(key, 'missing value');
      value = args[++i];
    }
    if (key === 'config') configFile = value;
    else setNested(values, key, value);
  }
  return { configFile, values };
}

/** BINRELAY_DATA_DIR → data-dir; BINRELAY_BINLOG_SERVER__ADDR → binlog-server.addr. */
export function envValues(env: NodeJS.ProcessEnv): Raw {
  const values: Raw = {};
  for (const [key, { value }] of envKeys(env)) setNested(values, key, value);
  return values;
}

/** The BINRELAY_* variable that sets `key` (data-dir → BINRELAY_DATA_DIR, binlog-server.addr →
 *  BINRELAY_BINLOG_SERVER__ADDR): the inverse of envKeys. */
export function envVariableOf(key: string): string {
  return `BINRELAY_${key.split('.').map((part) => part.replace(/-/g, '_')).join('__').toUpperCase()}`;
}

/** Config key → the BINRELAY_* variable that sets it. */
function envKeys(env: NodeJS.ProcessEnv): Map<string, { name: string; value: string }> {
  const keys = new Map<string, { name: string; value: string }>();
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('BINRELAY_') || value === undefined) continue;
    keys.set(name.slice('BINRELAY_'.length).toLowerCase().split('__').map((s) => s.replace(/_/g, '-')).join('.'), { name, value });
  }
  return keys;
}

function merge(base: Raw, over: Raw): Raw {
  const out: Raw = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const prev = out[k];
    out[k] = typeof v === 'object' && v !== null && typeof prev === 'object' && prev !== null
      ? merge(prev as Raw, v as Raw)
      : v;
  }
  return out;
}

function readYaml(path: string): Raw {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError('config', `cannot read ${path}: ${(err as Error).message}`);
  }
  const doc: unknown = parseYaml(text);
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError('config', `${path} is not a YAML mapping`);
  return doc as Raw;
}

/** Validates merged raw values into a Config; throws ConfigError naming the first bad key. */
export function validateConfig(given: Raw, notesSoFar: string[] = []): Config {
  const { raw, notes: more } = translateKingbusKeys(given);
  const notes = [...notesSoFar, ...more];
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const unknown = issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : undefined;
    const path = [...issue.path.map(String), ...(unknown ? [unknown] : [])].join('.') || '(root)';
    throw new ConfigError(path, unknown ? 'unknown key' : issue.message);
  }
  const c = parsed.data;
  const peerSchemes = /\bhttps?:\/\//i.exec(String(raw['initial-cluster'] ?? ''));
  if (peerSchemes && /^https/i.test(peerSchemes[0]) !== (c['peer-tls'] !== undefined)) {
    throw new ConfigError('initial-cluster', c['peer-tls'] ? 'http:// asks for plain TCP, but peer-tls is set: give host:port or https://host:port'
      : 'https:// asks for TLS between peers: configure peer-tls, or give host:port');
  }
  const serverSection = binlogServerSettings(c['binlog-server']);
  const maxAgeMs = c['binlog-retention']?.['max-age'] ?? null;
  const initial = c['initial-cluster'] ?? new Map([[c.name, c['peer-addr']]]);
  if (!initial.has(c.name)) {
    throw new ConfigError('initial-cluster', `does not list this node's name "${c.name}"`);
  }
  const collision = memberIdCollision(initial.keys());
  if (collision) {
    throw new ConfigError('initial-cluster', `members "${collision.names[0]}" and "${collision.names[1]}" have the same member id ${collision.id}: rename one`);
  }
  if (c['election-timeout'] < 2 * c['heartbeat-interval']) {
    throw new ConfigError('election-timeout', 'must be at least twice heartbeat-interval');
  }
  const missing = missingTokens({
    adminAddr: c['admin-addr'], peerAddr: c['peer-addr'], adminToken: c['admin-token'], clusterToken: c['cluster-token'],
    peerTls: c['peer-tls'] !== undefined,
  });
  if (missing.length > 0) throw new ConfigError(missing.map((m) => m.key).join(', '), missing.map((m) => m.detail).join('; '));
  const advertised = advertisedAddresses({
    adminAddr: c['admin-addr'], peerAddr: c['peer-addr'], advertiseAdminAddr: c['advertise-admin-addr'], advertisePeerAddr: c['advertise-peer-addr'],
    initialClusterAddr: c['initial-cluster']?.get(c.name),
  });
  if (!advertised.ok) throw new ConfigError(advertised.key, advertised.detail);
  return {
    name: c.name,
    dataDir: c['data-dir'] ?? `./data/${c.name}`,
    adminAddr: c['admin-addr'],
    peerAddr: c['peer-addr'],
    advertiseAdminAddr: advertised.adminAddr,
    advertisePeerAddr: advertised.peerAddr,
    initialCluster: initial,
    initialClusterState: c['initial-cluster-state'],
    clusterToken: c['cluster-token'],
    clusterName: c['cluster-name'],
    peerTls: loadPeerTls(c['peer-tls']),
    adminToken: c['admin-token'],
    heartbeatIntervalMs: c['heartbeat-interval'],
    electionTimeoutMs: c['election-timeout'],
    binlogServer: serverSection.boot,
    binlogServerDefaults: maxAgeMs === null ? serverSection.defaults : { ...serverSection.defaults, expireLogsSeconds: Math.round(maxAgeMs / 1000) },
    adminTls: checkedTlsFiles(c['admin-tls'], 'admin-tls'),
    binlogRetention: {
      maxAgeMs,
      maxBytes: c['binlog-retention']?.['max-bytes'] ?? null,
      minFiles: c['binlog-retention']?.['min-files'] ?? 1,
    },
    raftLogRetain: {
      bytes: c['raft-log-retain']?.bytes ?? RAFT_LOG_RETAIN_DEFAULTS.bytes,
      entries: c['raft-log-retain']?.entries ?? RAFT_LOG_RETAIN_DEFAULTS.entries,
    },
    logLevel: c['log-level'],
    logFormat: c['log-format'],
    notes,
    adminLimits: {
      requestTimeoutMs: c['admin-request-timeout'],
      connectionTimeoutMs: c['admin-connection-timeout'],
      maxConnections: c['admin-max-connections'],
    },
  };
}

/** Defaults < YAML file (--config) < BINRELAY_* env < flags. */
export function loadConfig(args: string[], env: NodeJS.ProcessEnv = process.env): Config {
  const { configFile, values: flags } = parseFlags(args);
  const file = configFile ? readYaml(configFile) : {};
  try {
    // kingbus's keys are read per source, so a flag still wins over a file's kingbus alias.
    const sources = [file, envValues(env), flags].map(translateKingbusKeys);
    const merged = sources.reduce<Raw>((raw, source) => merge(raw, source.raw), {});
    return validateConfig(merged, sources.flatMap((source) => source.notes));
  } catch (err) {
    // A stray BINRELAY_* variable in the shell is easy to miss: name it as the source.
    if (!(err instanceof ConfigError)) throw err;
    const fromEnv = envKeys(env).get(err.key);
    if (fromEnv) throw new ConfigError(err.key, `${err.detail} (set by the environment variable ${fromEnv.name})`);
    throw err;
  }
}

/** The config as it may be logged or shown: secrets replaced. */
export function redactConfig(config: Config): Record<string, unknown> {
  const shown: Record<string, unknown> = {
    ...config,
    initialCluster: Object.fromEntries(config.initialCluster),
    clusterToken: config.clusterToken ? '***' : undefined,
    peerTls: config.peerTls?.files,
    adminToken: config.adminToken ? '***' : undefined,
    binlogServer: config.binlogServer ? { ...config.binlogServer, password: '***' } : undefined,
  };
  // Unset keys are left out: the logger's redaction would print an absent token as "***".
  for (const key of Object.keys(shown)) if (shown[key] === undefined) delete shown[key];
  return shown;
}
