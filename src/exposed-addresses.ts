// A node that listens beyond loopback must know who talks to it: the admin API then needs
// `admin-token`, the peer port `cluster-token` (without it the peer key is derived from an empty
// token that anyone can compute, so a forged hello would be welcomed) or `peer-tls` (mutual TLS:
// only holders of a certificate from the cluster CA reach the hello). Start-up stops otherwise,
// naming the key to set and how; tokens belong in the environment or the config file, never on a
// command line that `ps` shows.
import { isLoopbackHost, parseHostPort } from './host-port.js';

export interface ExposureInput {
  adminAddr: string;
  peerAddr: string;
  adminToken: string | undefined;
  clusterToken: string | undefined;
  /** Mutual TLS on the peer port authenticates peers without a token. */
  peerTls?: boolean;
}

export interface MissingToken {
  /** The config key to set. */
  key: 'admin-token' | 'cluster-token';
  detail: string;
}

const SURFACES = [
  { addrKey: 'admin-addr', key: 'admin-token', env: 'BINRELAY_ADMIN_TOKEN', what: 'the admin API needs a bearer token' },
  { addrKey: 'peer-addr', key: 'cluster-token', env: 'BINRELAY_CLUSTER_TOKEN', what: 'raft peers must prove they hold the cluster token (or certificates, with peer-tls)' },
] as const;

/** The tokens a configuration lacks for the addresses it binds (empty when it is safe). */
export function missingTokens(c: ExposureInput): MissingToken[] {
  const addrs = { 'admin-addr': c.adminAddr, 'peer-addr': c.peerAddr };
  const tokens = { 'admin-token': c.adminToken, 'cluster-token': c.clusterToken };
  const missing: MissingToken[] = [];
  for (const s of SURFACES) {
    const addr = addrs[s.addrKey];
    const host = parseHostPort(addr)?.host ?? addr;
    if (isLoopbackHost(host) || tokens[s.key] || (s.key === 'cluster-token' && c.peerTls === true)) continue;
    missing.push({
      key: s.key,
      detail: `${s.addrKey} ${addr} is not a loopback address, so ${s.what}: set ${s.key} ` +
        `(environment ${s.env}, or "${s.key}:" in the --config file), or bind ${s.addrKey} to 127.0.0.1`,
    });
  }
  return missing;
}
