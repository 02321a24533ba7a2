// The peer handshake: each side proves to the other that it holds the cluster token, and the
// server refuses a client of another cluster. The token itself never crosses the wire and is never
// logged.
//
//   server → challenge  version u8 · serverNonce [32]
//   client → hello      version u8 · lane u8 · from u64 · to u64 · clusterId (u16 len · utf8) ·
//                       clientNonce [32] · mac [32]
//   server → welcome    mac [32]          or   refuse  reason u8 · text (utf8, rest)
//
// hello mac   = HMAC-SHA256(key, "binrelay/peer/v2/hello"   · serverNonce · lane · from · to · clusterId)
// welcome mac = HMAC-SHA256(key, "binrelay/peer/v2/welcome" · clientNonce · serverNonce · lane · from · to · clusterId)
// with key = SHA-256("binrelay/peer-token/v1\0" · token). Both are compared with
// crypto.timingSafeEqual. A fresh nonce on each side makes a recorded hello or welcome useless
// later; the two labels keep one side's proof from being replayed as the other's. Without TLS
// the message stream itself is not confidential: run peers on a private network, or set peer-tls.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { ByteReader, ByteWriter } from './codec-bytes.js';
import type { NodeId } from './core/types.js';

/** The newest peer protocol version this node speaks. 3 adds the commitIfDurable message; all
 *  else is version 2, which a version-2 node requires exactly (it drops a connection that carries
 *  a message it does not know). So the challenge names the oldest version a server accepts, and a
 *  client's hello names the newest it tries, then the oldest once a server refused it for its
 *  version: old and new nodes talk, and a cluster upgrades one node at a time. */
export const PROTOCOL_VERSION = 3;
/** The oldest version this node accepts, and the one its challenge names. */
export const PROTOCOL_VERSION_MIN = 2;
/** The first version whose peers read commitIfDurable messages. */
export const COMMIT_IF_DURABLE_VERSION = 3;
const NONCE_BYTES = 32;
const MAC_BYTES = 32;
const HELLO_LABEL = 'binrelay/peer/v2/hello';
const WELCOME_LABEL = 'binrelay/peer/v2/welcome';

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

/** What a hello is about; both proofs cover it. */
export interface HelloFields {
  readonly lane: Lane;
  readonly from: NodeId;
  readonly to: NodeId;
  readonly clusterId: string;
}

export interface Hello extends HelloFields {
  readonly version: number;
  /** The client's challenge to the server: the welcome must carry a proof over it. */
  readonly nonce: Uint8Array;
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
  return Buffer.concat([Buffer.from([PROTOCOL_VERSION_MIN]), nonce]);
}

export function decodeChallenge(payload: Uint8Array): { version: number; nonce: Uint8Array } {
  const r = new ByteReader(payload);
  const version = r.u8('challenge version');
  const nonce = r.raw(NONCE_BYTES, 'nonce');
  r.done('challenge');
  return { version, nonce };
}

function macOf(key: Buffer, label: string, nonces: readonly Uint8Array[], h: HelloFields): Buffer {
  const fields = new ByteWriter(1 + 8 + 8);
  fields.u8(h.lane);
  fields.u64(h.from);
  fields.u64(h.to);
  const mac = createHmac('sha256', key).update(label);
  for (const nonce of nonces) mac.update(nonce);
  return mac.update(fields.finish()).update(h.clusterId, 'utf8').digest();
}

function macEqual(expected: Buffer, got: Uint8Array): boolean {
  return got.length === expected.length && timingSafeEqual(expected, got);
}

/** The client's hello answering `serverNonce`, with its own challenge `clientNonce`. */
export function encodeHello(key: Buffer, serverNonce: Uint8Array, clientNonce: Uint8Array, h: HelloFields, version = PROTOCOL_VERSION): Buffer {
  const cluster = Buffer.from(h.clusterId, 'utf8');
  const w = new ByteWriter(1 + 1 + 8 + 8 + 2 + cluster.length + NONCE_BYTES + MAC_BYTES);
  w.u8(version);
  w.u8(h.lane);
  w.u64(h.from);
  w.u64(h.to);
  w.u16(cluster.length);
  w.raw(cluster);
  w.raw(clientNonce);
  w.raw(macOf(key, HELLO_LABEL, [serverNonce], h));
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
  const nonce = r.raw(NONCE_BYTES, 'client nonce');
  const mac = r.raw(MAC_BYTES, 'mac');
  r.done('hello');
  const lane: Lane = laneByte === Lane.bulk ? Lane.bulk : Lane.control;
  return { version, lane, from, to, clusterId, nonce, mac };
}

/** Constant-time check of a hello's proof against our key and the nonce we sent. */
export function helloAuthentic(key: Buffer, serverNonce: Uint8Array, hello: Hello): boolean {
  return macEqual(macOf(key, HELLO_LABEL, [serverNonce], hello), hello.mac);
}

/** The server's welcome: its proof of the token over the client's nonce (and ours). */
export function encodeWelcome(key: Buffer, serverNonce: Uint8Array, hello: Hello): Buffer {
  return macOf(key, WELCOME_LABEL, [hello.nonce, serverNonce], hello);
}

/** Constant-time check of a welcome's proof: a server without the token cannot make one. */
export function welcomeAuthentic(
  key: Buffer, serverNonce: Uint8Array, clientNonce: Uint8Array, h: HelloFields, welcome: Uint8Array,
): boolean {
  return macEqual(macOf(key, WELCOME_LABEL, [clientNonce, serverNonce], h), welcome);
}

export function encodeRefuse(reason: RefuseReason, text: string): Buffer {
  return Buffer.concat([Buffer.from([reason]), Buffer.from(text, 'utf8')]);
}

export function decodeRefuse(payload: Uint8Array): { reason: number; text: string } {
  return { reason: payload[0] ?? 0, text: Buffer.from(payload.subarray(1)).toString('utf8') };
}
