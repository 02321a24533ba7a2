// A node that listens beyond loopback must know who talks to it: the admin API then needs
// `admin-token`, the peer port `cluster-token` (without it the peer key is derived from an empty
// token that anyone can compute, so a forged hello would be welcomed) or `peer-tls` (mutual TLS:
// only holders of a certificate from the cluster CA reach the hello). Start-up stops otherwise,
// naming the key to set and how; tokens belong in the environment or the config file, never on a
// command line that `ps` shows.
//
// What a node publishes to the other members (its member record: where they send raft traffic,
// forward admin calls and fetch snapshot files) is an address they can reach, never the wildcard it
// may listen on (0.0.0.0 or ::, as in a container): `advertise-peer-addr` / `advertise-admin-addr`
// when set, else the bind address, else what initial-cluster says about this node.
import { formatHostPort, isLoopbackHost, isWildcardHost, parseHostPort } from './host-port.js';

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

export interface AdvertiseInput {
  adminAddr: string;
  peerAddr: string;
  advertiseAdminAddr: string | undefined;
  advertisePeerAddr: string | undefined;
  /** This node's peer address as initial-cluster lists it (undefined when it is not given). */
  initialClusterAddr: string | undefined;
}

export type Advertised =
  | { readonly ok: true; readonly peerAddr: string; readonly adminAddr: string }
  | { readonly ok: false; readonly key: 'advertise-peer-addr' | 'advertise-admin-addr'; readonly detail: string };

const wildcard = (addr: string): boolean => isWildcardHost(parseHostPort(addr)?.host ?? addr);

/**
 * The addresses this node publishes to the other members:
 * - peer: advertise-peer-addr; else peer-addr; when that is a wildcard, this node's entry in
 *   initial-cluster (the address the other members were given for it);
 * - admin: advertise-admin-addr; else admin-addr; when that is a wildcard, the advertised peer
 *   host with admin-addr's port (both ports listen on every interface of that host).
 * Refused (naming the key to set) when a wildcard is left with nothing to publish in its place.
 */
export function advertisedAddresses(c: AdvertiseInput): Advertised {
  let peerAddr = c.advertisePeerAddr ?? c.peerAddr;
  if (c.advertisePeerAddr === undefined && wildcard(c.peerAddr)) {
    if (c.initialClusterAddr === undefined || wildcard(c.initialClusterAddr)) {
      return {
        ok: false, key: 'advertise-peer-addr',
        detail: `peer-addr ${c.peerAddr} listens on every interface, which is no address the other members can reach: ` +
          'set advertise-peer-addr to the host:port they reach this node at (environment BINRELAY_ADVERTISE_PEER_ADDR; ' +
          "in a container, its name on the docker network), or give this node's reachable address in initial-cluster",
      };
    }
    peerAddr = c.initialClusterAddr;
  }
  let adminAddr = c.advertiseAdminAddr ?? c.adminAddr;
  if (c.advertiseAdminAddr === undefined && wildcard(c.adminAddr)) {
    const port = parseHostPort(c.adminAddr)?.port ?? 0;
    const host = parseHostPort(peerAddr)?.host;
    if (port === 0 || host === undefined) {
      return {
        ok: false, key: 'advertise-admin-addr',
        detail: `admin-addr ${c.adminAddr} listens on every interface on a port the system picks: set advertise-admin-addr ` +
          'to the host:port the other members reach its admin API at (environment BINRELAY_ADVERTISE_ADMIN_ADDR)',
      };
    }
    adminAddr = formatHostPort(host, port);
  }
  return { ok: true, peerAddr, adminAddr };
}
