// Fuzz surface: the raft peer port (raft/transport-frame.ts, raft/transport-handshake.ts). Raw TCP
// clients from outsider loopback addresses send random bytes, mutated hellos (right or wrong
// token, odd lanes, ids and cluster ids), invalid frame headers (oversized, empty, bad CRC,
// unknown kinds) and, after a hello that proves the cluster token, mutated frames of every kind.
//
// The authenticated connections speak as a peer that is not a member (FUZZ_PEER_ID). A token
// holder is trusted with raft messages, so a mutated message that still decodes as a valid
// message from that peer to this node is not sent as is: it is re-encoded to another node id,
// which the transport refuses after decoding it. Announcements from a non-member are never
// recorded (src/member-announcement.ts), so they are sent as mutated.
import { decodeMessage, encodeMessage } from '../../../raft/codec.js';
import type { Message, MessageType } from '../../../raft/core/types.js';
import { encodeFrame, FrameKind } from '../../../raft/transport-frame.js';
import { encodeHello, Lane, tokenKey } from '../../../raft/transport-handshake.js';
import { memberIdOf } from '../../../src/member-id.js';
import { type Fuzz, type InputLog, outsiderAddress, type Probe, withProbe } from './fuzzer.js';

export interface PeerTarget {
  port: number;
  nodeId: number;
  clusterId: string;
  clusterToken: string;
}

export const FUZZ_PEER_ID = memberIdOf('fuzz-peer');
const CHALLENGE_FRAME_BYTES = 8 + 1 + 1 + 32;
const TYPES: MessageType[] = ['app', 'appResp', 'preVote', 'preVoteResp', 'vote', 'voteResp', 'snap', 'heartbeat', 'heartbeatResp',
  'transferLeader', 'timeoutNow', 'readIndex', 'readIndexResp'];

/** A raw frame: header (length, CRC) over `kind` + `payload`, maybe with a broken header. */
function rawFrame(fuzz: Fuzz, kind: number, payload: Buffer): Buffer {
  const frame = encodeFrame((kind & 0xff) as FrameKind, payload);
  switch (fuzz.int(8)) {
    case 0:
      frame.writeUInt32BE((frame.readUInt32BE(4) ^ (1 << fuzz.int(32))) >>> 0, 4);
      return frame;
    case 1:
      frame.writeUInt32BE(fuzz.pick([0, 4097, 0x10000000, 0x10000001, 0xffffffff, fuzz.u32()]), 0);
      return frame;
    default:
      return frame;
  }
}

function helloPayload(fuzz: Fuzz, target: PeerTarget, serverNonce: Buffer, authentic: boolean): Buffer {
  const key = tokenKey(authentic || fuzz.chance(0.3) ? target.clusterToken : fuzz.mutateText(target.clusterToken));
  const fields = authentic
    ? { lane: fuzz.pick([Lane.control, Lane.bulk]), from: FUZZ_PEER_ID, to: target.nodeId, clusterId: target.clusterId }
    : {
      lane: fuzz.pick([Lane.control, Lane.bulk, fuzz.int(256) as Lane]),
      from: fuzz.pick([FUZZ_PEER_ID, target.nodeId, 0, fuzz.u32()]),
      to: fuzz.pick([target.nodeId, 0, fuzz.u32()]),
      clusterId: fuzz.pick([target.clusterId, '', fuzz.mutateText(target.clusterId), 'c'.repeat(fuzz.size(5000))]),
    };
  return encodeHello(key, serverNonce, fuzz.bytes(32), fields);
}

function message(fuzz: Fuzz, target: PeerTarget): Buffer {
  const entries = Array.from({ length: fuzz.size(4) }, (_, i) => ({
    index: 10 + i, term: 1 + fuzz.int(3), type: fuzz.pick(['normal', 'confChange'] as const), data: fuzz.bytes(fuzz.size(200)),
  }));
  const m: Message = {
    type: fuzz.pick(TYPES), from: FUZZ_PEER_ID, to: target.nodeId, term: fuzz.int(5), logTerm: fuzz.int(5), index: fuzz.int(100),
    entries, commit: fuzz.int(100), reject: fuzz.chance(0.5), rejectHint: fuzz.int(100),
    snapshot: fuzz.chance(0.2) ? { index: fuzz.int(100), term: fuzz.int(5), confState: { voters: [target.nodeId], learners: [] }, data: fuzz.bytes(fuzz.size(100)) } : null,
    context: fuzz.bytes(fuzz.size(16)),
  };
  const bytes = fuzz.mutate(encodeMessage(m), 6);
  let decoded: Message | null = null;
  try {
    decoded = decodeMessage(bytes);
  } catch {
    return bytes; // malformed: refused by the decoder
  }
  // Still a valid message from the fake peer to this node: addressed elsewhere (see the header).
  if (decoded.from === FUZZ_PEER_ID && decoded.to === target.nodeId) return encodeMessage({ ...decoded, to: (target.nodeId + 1) >>> 0 });
  return bytes;
}

function announcement(fuzz: Fuzz): Buffer {
  const json = JSON.stringify({ id: String(FUZZ_PEER_ID), name: 'fuzz-peer', peerAddr: '127.0.0.1:1', adminAddr: '127.0.0.1:2' });
  return fuzz.pick([
    () => Buffer.from(fuzz.mutateText(json, 4), 'utf8'),
    () => fuzz.bytes(fuzz.size(5000)),
    () => Buffer.from(`{"a":${'['.repeat(fuzz.range(100, 4000))}`),
  ])();
}

async function challengeOf(probe: Probe): Promise<Buffer | null> {
  const bytes = await probe.waitFor(CHALLENGE_FRAME_BYTES, 1500);
  if (bytes.length < CHALLENGE_FRAME_BYTES || bytes[8] !== FrameKind.challenge) return null;
  return bytes.subarray(10, 42);
}

/** One case on a fresh connection to the peer port. */
export async function peerCase(fuzz: Fuzz, target: PeerTarget, log: InputLog): Promise<void> {
  await withProbe(target.port, outsiderAddress(fuzz, 2), undefined, async (probe) => {
    const kind = fuzz.int(5);
    if (kind === 0) {
      const garbage = fuzz.bytes(fuzz.size(6000));
      await probe.send(log, 'random bytes', garbage, 150);
      return;
    }
    const nonce = await challengeOf(probe);
    if (!nonce) return;
    probe.clear();
    if (kind === 1) {
      let hello = helloPayload(fuzz, target, nonce, false);
      if (fuzz.chance(0.5)) hello = fuzz.mutate(hello);
      const frame = fuzz.chance(0.7) ? encodeFrame(FrameKind.hello, hello) : rawFrame(fuzz, fuzz.pick([FrameKind.hello, fuzz.int(256)]), hello);
      await probe.send(log, 'mutated hello', frame, 200);
      return;
    }
    if (kind === 2) {
      const frame = rawFrame(fuzz, fuzz.int(256), fuzz.bytes(fuzz.size(5000)));
      await probe.send(log, 'frame before the hello', frame, 200);
      return;
    }
    const hello = encodeFrame(FrameKind.hello, helloPayload(fuzz, target, nonce, true));
    log.record('authentic hello (non-member peer)', hello);
    probe.write(hello);
    const welcome = await probe.waitFor(9, 1500);
    if (welcome[8] !== FrameKind.welcome) throw new Error(`an authentic hello was not welcomed: ${welcome.toString('hex')}`);
    for (let n = fuzz.range(1, 10); n > 0 && !probe.closed; n--) {
      const what = fuzz.int(10);
      let frame: Buffer;
      if (what <= 4) frame = fuzz.chance(0.8) ? encodeFrame(FrameKind.message, message(fuzz, target)) : rawFrame(fuzz, FrameKind.message, message(fuzz, target));
      else if (what <= 6) frame = encodeFrame(FrameKind.announce, announcement(fuzz));
      else frame = rawFrame(fuzz, fuzz.int(256), fuzz.bytes(fuzz.size(3000)));
      await probe.send(log, `after welcome: kind ${frame[8]}`, frame, fuzz.int(30));
    }
    await probe.waitFor(Number.MAX_SAFE_INTEGER, 100);
  });
}
