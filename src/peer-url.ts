// A member's peer URL (POST/PUT /members): `host:port`, or with a scheme that must agree with the
// cluster's peer transport. `https://` means TLS: it is never stripped into a plain connection, so
// on a cluster without peer-tls it is refused, and `http://` is refused on a cluster with it.
import { ApiError } from '../api/errors.js';

/** The host:port of `url`; throws a 400 ApiError naming `field` when the scheme contradicts `peerTls`. */
export function peerAddrOfUrl(url: string, peerTls: boolean, field: string): string {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined) return url;
  if (scheme === 'https' && !peerTls) {
    throw new ApiError('BAD_REQUEST', `${field} ${url} asks for TLS, but this cluster's peers do not use TLS: configure peer-tls on every node, or give host:port`, { field });
  }
  if (scheme === 'http' && peerTls) {
    throw new ApiError('BAD_REQUEST', `${field} ${url} asks for plain TCP, but this cluster's peers use TLS (peer-tls): give https://host:port or host:port`, { field });
  }
  if (scheme !== 'http' && scheme !== 'https') throw new ApiError('BAD_REQUEST', `${field} ${url}: unknown scheme ${scheme}`, { field });
  return url.slice(scheme.length + 3);
}
