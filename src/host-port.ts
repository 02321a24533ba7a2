// host:port as every surface takes it (config, admin API bodies, member records): a DNS name or an
// IPv4 literal of at most 253 characters, or a bracketed IPv6 literal, then a port. Bounded, so a
// value that travels through the raft log or into a URL stays small and cannot smuggle a path,
// credentials or a second host into `http://${addr}/…`.
import { isIP } from 'node:net';
import { z } from 'zod';

/** RFC 1035: a full DNS name has at most 253 characters. */
export const HOST_CHARS_MAX = 253;
/** `[` + the longest IPv6 text (45 characters) + `]` + `:` + 5 digits. */
export const HOST_PORT_CHARS_MAX = HOST_CHARS_MAX + 6;

const HOST_PORT = /^(?:\[([0-9A-Fa-f:.]{2,45})\]|([A-Za-z0-9.-]{1,253})):(\d{1,5})$/;

export interface HostPort {
  /** Without brackets for IPv6. */
  host: string;
  port: number;
}

/** Splits `host:port` or `[v6]:port`; null when malformed or the port is above 65535. A listen
 *  address may use port 0 (the system picks one); an address others connect to (`connectable`)
 *  may not. */
export function parseHostPort(text: string, options: { connectable?: boolean } = {}): HostPort | null {
  if (text.length > HOST_PORT_CHARS_MAX) return null;
  const m = HOST_PORT.exec(text);
  if (m === null) return null;
  const port = Number(m[3]);
  if (port > 65535 || (options.connectable && port === 0)) return null;
  if (m[1] !== undefined && isIP(m[1]) !== 6) return null;
  return { host: m[1] ?? m[2]!, port };
}

/** A listen address (port 0 allowed). */
export const listenAddrSchema = z.string().refine((s) => parseHostPort(s) !== null, 'expected host:port (port 0-65535)');

/** An address other nodes or clients connect to (port 1-65535). */
export const connectAddrSchema = z.string().refine((s) => parseHostPort(s, { connectable: true }) !== null, 'expected host:port (port 1-65535)');

/** True for the addresses that mean "every interface": 0.0.0.0 and :: (in any spelling). A node
 *  may listen on one, but it is no address another machine can connect to. */
export function isWildcardHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return isIP(h) === 4 ? h === '0.0.0.0' : isIP(h) === 6 && /^[0:]+$/.test(h);
}

/** `host:port`, bracketing an IPv6 literal. */
export function formatHostPort(host: string, port: number): string {
  return `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}

/** True for names and literals that only this machine can reach: `localhost`, 127.0.0.0/8, ::1
 *  (also as an IPv4-mapped IPv6 address). Anything else — 0.0.0.0, ::, a LAN address or any
 *  other host name — is reachable from elsewhere. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '').replace(/^::ffff:/, '');
  if (h === 'localhost' || h === '::1') return true;
  return isIP(h) === 4 && h.startsWith('127.');
}
