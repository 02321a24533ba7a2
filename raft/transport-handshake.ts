// The peer handshake: the server challenges, the client proves it holds the cluster token, the
// server welcomes or refuses. The token itself never crosses the wire and is never logged.
//
//   server → challenge  version u8 · nonce [32]
//   client → hello      version u8 · lane u8 · from u64 · to u64 · clusterId (u16 len · utf8) · mac [32]
//   server → welcome    (empty)            or   refuse  reason u8 · text (utf8, rest)
//
// mac = HMAC-SHA256(key, "binrelay/peer/v1" · nonce · lane · from · to · clusterId) with
// key = SHA-256("binrelay/peer-token/v1\0" · token). The server recomputes it and compares with
// crypto.timingSafeEqual. The fresh nonce per connection makes a recorded hello useless later.
// Without TLS the message stream itself is not confidential: run peers on a private network.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { ByteReader, ByteWriter } from './codec-bytes.js';
import type { NodeId } from './core/types.js';

export const PROTOCOL_VERSION = 1;
const NONCE_BYTES = 32;
const MAC_BYTES = 32;

/** Which outbound connection a hello opens: control messages never wait behind appends. */
export const Lane = { control: 0, bulk: 1 } as const;
export type Lane = (typeof Lane)[keyof typeof Lane];
export const laneName = (lane: Lane): string => (lane === Lane.control ? 'control' : 'bulk');

export const RefuseReason = {
  version: 1,
  cluster: 2,
  auth: 3,
  wrongNode: 4,
  protocol: 5,
} as const;
export type RefuseReason = (typeof RefuseReason)[keyof typeof RefuseReason];
const REASON_NAMES: Record<number, string> = {
  1: 'version', 2: 'cluster', 3: 'auth', 4: 'wrongNode', 5: 'protocol',
};
export const refuseReasonName = (r: number): string => REASON_NAMES[r] ?? `unknown(${r})`;

export interface Hello {
  readonly version: number;
  readonly lane: Lane;
  readonly from: NodeId;
  readonly to: NodeId;
  readonly clusterId: string;
  readonly mac: Uint8Array;
}

/** The HMAC key derived from the cluster token (null or '' = no token configured). */
export function tokenKey(token: string | null): Buffer {
  return createHash('sha256').update('binrelay/peer-token/v1\0').update(token ?? '', 'utf8').digest();
}

export function newNonce(): Buffer {
  return randomBytes(NONCE_BYTES);
}

export function encodeChallenge(nonce: Buffer): Buffer {
  return Buffer.concat([Buffer.from([PROTOCOL_VERSION]), nonce]);
}

export function decodeChallenge(payload: Uint8Array): { version: number; nonce: Uint8Array } {
  const r = new ByteReader(payload);
  const version = r.u8('challenge version');
  const nonce = r.raw(NONCE_BYTES, 'nonce');
  r.done('challenge');
  return { version, nonce };
}

function macOf(key: Buffer, nonce: Uint8Array, lane: Lane, from: NodeId, to: NodeId, clusterId: string): Buffer {
  const fields = new ByteWriter(1 + 8 + 8);
  fields.u8(lane);
  fields.u64(from);
  fields.u64(to);
  return createHmac('sha256', key)
    .update('binrelay/peer/v1').update(nonce).update(fields.finish()).update(clusterId, 'utf8')
    .digest();
}

export function encodeHello(key: Buffer, nonce: Uint8Array, lane: Lane, from: NodeId, to: NodeId, clusterId: string): Buffer {
  const cluster = Buffer.from(clusterId, 'utf8');
  const w = new ByteWriter(1 + 1 + 8 + 8 + 2 + cluster.length + MAC_BYTES);
  w.u8(PROTOCOL_VERSION);
  w.u8(lane);
  w.u64(from);
  w.u64(to);
  w.u16(cluster.length);
  w.raw(cluster);
  w.raw(macOf(key, nonce, lane, from, to, clusterId));
  return w.finish();
}

/** Parses a hello; throws CodecError when malformed. */
export function decodeHello(payload: Uint8Array): Hello {
  const r = new ByteReader(payload);
  const version = r.u8('hello version');
  const laneByte = r.u8('lane');
  const from = r.u64('from');
  const to = r.u64('to');
  const clusterId = Buffer.from(r.raw(r.u16('cluster id length'), 'cluster id')).toString('utf8');
  const mac = r.raw(MAC_BYTES, 'mac');
  r.done('hello');
  const lane: Lane = laneByte === Lane.bulk ? Lane.bulk : Lane.control;
  return { version, lane, from, to, clusterId, mac };
}

/** Constant-time check of a hello's proof against our key and the nonce we sent. */
export function helloAuthentic(key: Buffer, nonce: Uint8Array, hello: Hello): boolean {
  const expected = macOf(key, nonce, hello.lane, hello.from, hello.to, hello.clusterId);
  return hello.mac.length === expected.length && timingSafeEqual(expected, hello.mac);
}

export function encodeRefuse(reason: RefuseReason, text: string): Buffer {
  return Buffer.concat([Buffer.from([reason]), Buffer.from(text, 'utf8')]);
}

export function decodeRefuse(payload: Uint8Array): { reason: number; text: string } {
  return { reason: payload[0] ?? 0, text: Buffer.from(payload.subarray(1)).toString('utf8') };
}
