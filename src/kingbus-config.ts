// A kingbus config file works as a binrelay one: kingbus's keys are taken as ours or set aside,
// and each is reported in a note that `binrelay start` logs (`config.kingbus_key`), so an operator
// sees what became of it. (`http://` in initial-cluster is read by config.ts itself.)
import { ConfigError } from './config.js';

type Raw = Record<string, unknown>;

/** kingbus key → our key, for addresses given as URLs (`http://host:port`). */
const URL_ALIASES: Readonly<Record<string, { key: string; tls: string }>> = {
  'admin-url': { key: 'admin-addr', tls: 'admin-tls' },
  'peer-url': { key: 'peer-addr', tls: 'peer-tls' },
};

/** kingbus keys that have no counterpart, and why that is fine. */
const IGNORED: Readonly<Record<string, string>> = {
  'metrics-addr': 'ignored: Prometheus metrics are served at GET /metrics on admin-addr',
  'log-dir': 'ignored: binrelay logs JSON lines to stdout (redirect it, or let the supervisor keep it)',
};

const GIGABYTE = 1e9;

/** `raw` with kingbus's keys replaced by ours, and what was done with each. */
export function translateKingbusKeys(raw: Raw): { raw: Raw; notes: string[] } {
  const out: Raw = { ...raw };
  const notes: string[] = [];
  for (const [alias, { key, tls }] of Object.entries(URL_ALIASES)) {
    if (!(alias in out)) continue;
    const value = out[alias];
    delete out[alias];
    if (key in out) throw new ConfigError(alias, `kingbus's name for ${key}, which is set too: keep one`);
    if (typeof value !== 'string') throw new ConfigError(alias, 'expected http://host:port or host:port');
    const https = /^https:\/\//i.test(value);
    if (https && !(tls in out)) throw new ConfigError(alias, `${value} asks for TLS: configure ${tls}, or give http://host:port`);
    out[key] = value.replace(/^https?:\/\//i, '');
    notes.push(`${alias} (kingbus) taken as ${key} ${String(out[key])}`);
  }
  for (const [alias, why] of Object.entries(IGNORED)) {
    if (!(alias in out)) continue;
    delete out[alias];
    notes.push(`${alias} (kingbus) ${why}`);
  }
  if ('reserve-data-size' in out) {
    // kingbus keeps this many GB of binlog data and purges beyond it: our retention by size.
    const gb = Number(out['reserve-data-size']);
    delete out['reserve-data-size'];
    if (!Number.isFinite(gb) || gb <= 0) throw new ConfigError('reserve-data-size', 'expected a number of gigabytes above 0 (kingbus)');
    const retention = { ...(out['binlog-retention'] as Raw | undefined) };
    if (retention['max-bytes'] !== undefined) {
      notes.push('reserve-data-size (kingbus) ignored: binlog-retention.max-bytes is set');
    } else {
      retention['max-bytes'] = Math.round(gb * GIGABYTE);
      out['binlog-retention'] = retention;
      notes.push(`reserve-data-size (kingbus) ${gb} GB taken as binlog-retention.max-bytes ${gb}GB`);
    }
  }
  return { raw: out, notes };
}
