// Node configuration (DESIGN.md §4): one zod schema; values come from defaults < YAML file <
// BINRELAY_* environment < --flags. An unknown or invalid key stops start-up with a message naming
// the key. Nested keys: `--binlog-server.addr X` on the command line, BINRELAY_BINLOG_SERVER__ADDR
// in the environment (`-` → `_`, `.` → `__`).
import { readFileSync } from 'node:fs';
import type { PeerTls } from '../raft/transport-tls.js';
import { peerSecureContext } from '../raft/transport-tls.js';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { DEFAULT_HTTP_LIMITS, type HttpLimits } from '../api/http-limits.js';
import { missingTokens } from './exposed-addresses.js';
import { listenAddrSchema, parseHostPort } from './host-port.js';
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

const hostPort = listenAddrSchema;

const DURATION_UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** '100ms', '30s', '15m', '12h', '7d' or a number of milliseconds; positive. */
const durationMs = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const m = typeof value === 'string' ? /^(\d+)(ms|s|m|h|d)?$/.exec(value.trim()) : null;
  const ms = m ? Number(m[1]) * DURATION_UNIT_MS[m[2] ?? 'ms']! : value;
  if (typeof ms !== 'number' || !Number.isSafeInteger(ms) || ms <= 0) {
    ctx.addIssue({ code: 'custom', message: "expected a duration such as '100ms', '1s', '15m', '12h' or '7d'" });
    return z.NEVER;
  }
  return ms;
});

const SIZE_UNIT_BYTES: Readonly<Record<string, number>> = {
  b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40,
};

/** '512MiB', '10GB', '1048576' (bytes): SI units are powers of 1000, IEC units of 1024. */
const byteSize = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const m = typeof value === 'string' ? /^(\d+)\s*([kmgt]i?b|b)?$/i.exec(value.trim()) : null;
  const bytes = m ? Number(m[1]) * SIZE_UNIT_BYTES[(m[2] ?? 'b').toLowerCase()]! : value;
  if (typeof bytes !== 'number' || !Number.isSafeInteger(bytes) || bytes < 0) {
    ctx.addIssue({ code: 'custom', message: "expected a size such as '512MiB', '10GB' or a number of bytes" });
    return z.NEVER;
  }
  return bytes;
});

/** A whole number from YAML, or from a flag or environment variable (text). */
const count = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const n = typeof value === 'string' ? (/^\s*\d+\s*$/.test(value) ? Number(value) : NaN) : value;
  if (!Number.isSafeInteger(n) || n < 0) {
    ctx.addIssue({ code: 'custom', message: 'expected a whole number' });
    return z.NEVER;
  }
  return n;
});

const memberName = z.string().regex(MEMBER_NAME, 'expected a name of letters, digits, _ . -');

/** `n1=host:port,n2=host:port` → Map(name → host:port), names unique. kingbus's form
 *  `n1=http://host:port` is read the same (plain TCP; config checks `https://` against peer-tls). */
const initialCluster = z.string().transform((s, ctx) => {
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
});

const atLeastOne = count.pipe(z.number().min(1, 'expected at least 1'));

/** PEM files of a listener: certificate (chain), private key, and a CA bundle where one is used. */
const tlsFiles = z.strictObject({ cert: z.string().min(1), key: z.string().min(1), ca: z.string().min(1).optional() });

/** true/false from YAML, or 'true'/'false'/'on'/'off'/'1'/'0' from a flag or the environment. */
const onOff = z.union([z.boolean(), z.enum(['true', 'false', 'on', 'off', '1', '0'])])
  .transform((v) => v === true || v === 'true' || v === 'on' || v === '1');

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
const peerTls = tlsFiles.extend({ ca: z.string().min(1) });

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
const binlogServer = z.strictObject({
  addr: hostPort.optional(),
  user: z.string().min(1).optional(),
  password: z.string().min(1, 'must not be empty: replicas log in with it, and without one anybody who reaches the port reads the binlog').optional(),
  tls: tlsFiles.optional(),
  'require-secure-transport': onOff.optional(),
  'max-connections': atLeastOne.optional(),
  'max-handshakes': atLeastOne.optional(),
  'max-handshakes-per-ip': atLeastOne.optional(),
  'replica-handshakes': count.optional(),
  'max-packet-size': byteSize.pipe(z.number().min(64 * 1024, 'expected at least 64KiB').max(2 ** 30, 'expected at most 1GiB')).optional(),
  'handshake-timeout': durationMs.optional(),
  'wait-timeout': durationMs.optional(),
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
  const given = (['addr', 'user', 'password'] as const).filter((k) => raw[k] !== undefined);
  if (given.length === 0) return { boot: undefined, defaults };
  const missing = (['addr', 'user', 'password'] as const).find((k) => raw[k] === undefined);
  if (missing) throw new ConfigError(`binlog-server.${missing}`, `missing: addr, user and password together start the binlog server at boot (${given.join(', ')} given)`);
  return { boot: { addr: raw.addr!, user: raw.user!, password: raw.password!, ...defaults }, defaults };
}

/** How long the relay keeps its binlog files; absent limits keep everything. */
const binlogRetention = z.strictObject({
  'max-age': durationMs.optional(),
  'max-bytes': byteSize.pipe(z.number().positive('expected a size above 0')).optional(),
  'min-files': count.pipe(z.number().min(1, 'expected at least 1')).default(1),
});

const RAFT_LOG_RETAIN_DEFAULTS = { bytes: 256 * 2 ** 20, entries: 100_000 } as const;

/** How much raft log a snapshot leaves behind for followers to catch up from. */
const raftLogRetain = z.strictObject({
  bytes: byteSize.default(RAFT_LOG_RETAIN_DEFAULTS.bytes),
  entries: count.default(RAFT_LOG_RETAIN_DEFAULTS.entries),
});

export const configSchema = z.strictObject({
  name: memberName.default('node1'),
  'data-dir': z.string().min(1).optional(),
  'admin-addr': hostPort.default('127.0.0.1:9595'),
  'peer-addr': hostPort.default('127.0.0.1:9696'),
  'initial-cluster': initialCluster.optional(),
  'initial-cluster-state': z.enum(['new', 'existing']).default('new'),
  'cluster-token': z.string().min(1).optional(),
  'cluster-name': memberName.optional(),
  'peer-tls': peerTls.optional(),
  'admin-token': z.string().min(1).optional(),
  'admin-tls': tlsFiles.optional(),
  'heartbeat-interval': durationMs.default(100),
  'election-timeout': durationMs.default(1000),
  'binlog-server': binlogServer.optional(),
  'binlog-retention': binlogRetention.optional(),
  'raft-log-retain': raftLogRetain.optional(),
  'log-level': z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  'log-format': z.enum(['json', 'pretty']).default('json'),
  'admin-request-timeout': durationMs.default(DEFAULT_HTTP_LIMITS.requestTimeoutMs),
  'admin-connection-timeout': durationMs.default(DEFAULT_HTTP_LIMITS.connectionTimeoutMs),
  'admin-max-connections': count.pipe(z.number().min(1, 'expected at least 1')).default(DEFAULT_HTTP_LIMITS.maxConnections),
});

export interface Config {
  name: string;
  dataDir: string;
  adminAddr: string;
  peerAddr: string;
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
  return {
    name: c.name,
    dataDir: c['data-dir'] ?? `./data/${c.name}`,
    adminAddr: c['admin-addr'],
    peerAddr: c['peer-addr'],
    initialCluster: initial,
    initialClusterState: c['initial-cluster-state'],
    clusterToken: c['cluster-token'],
    clusterName: c['cluster-name'],
    peerTls: loadPeerTls(c['peer-tls']),
    adminToken: c['admin-token'],
    heartbeatIntervalMs: c['heartbeat-interval'],
    electionTimeoutMs: c['election-timeout'],
    binlogServer: serverSection.boot,
    binlogServerDefaults: serverSection.defaults,
    adminTls: checkedTlsFiles(c['admin-tls'], 'admin-tls'),
    binlogRetention: {
      maxAgeMs: c['binlog-retention']?.['max-age'] ?? null,
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
