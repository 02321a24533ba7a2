import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32 } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { decodeMessage, encodeMessageParts } from '../../../raft/codec.js';
import type { Message } from '../../../raft/core/types.js';
import { dataCrc32 } from '../../../raft/data-crc.js';
import { checkMessageCrc, encodeFrame, FrameDecoder, FrameError, FrameKind, frameHeader } from '../../../raft/transport-frame.js';
import {
  decodeHello, encodeHello, encodeWelcome, helloAuthentic, Lane, newNonce, tokenKey, welcomeAuthentic,
} from '../../../raft/transport-handshake.js';

test('frames split at every byte boundary decode to the same frames', () => {
  const a = encodeFrame(FrameKind.message, Buffer.from('first payload'));
  const b = encodeFrame(FrameKind.welcome, Buffer.alloc(0));
  const c = Buffer.concat([frameHeader(FrameKind.message, Buffer.alloc(300, 9)), Buffer.alloc(300, 9)]);
  const stream = Buffer.concat([a, b, c]);
  for (let cut = 0; cut <= stream.length; cut++) {
    const d = new FrameDecoder(1024);
    const frames = [...d.push(stream.subarray(0, cut)), ...d.push(stream.subarray(cut))];
    assert.deepEqual(frames.map((f) => [f.kind, f.payload.length]), [[5, 13], [3, 0], [5, 300]], `cut ${cut}`);
  }
  const d = new FrameDecoder(1024);
  const oneByOne = [...stream].flatMap((byte) => d.push(Buffer.from([byte])));
  assert.equal(oneByOne.length, 3);
  assert.equal(oneByOne[0]!.payload.toString(), 'first payload');
});

test('a corrupted frame body fails its CRC', () => {
  const f = encodeFrame(FrameKind.message, Buffer.from('payload'));
  f[f.length - 1] ^= 1;
  assert.throws(() => new FrameDecoder(1024).push(f), FrameError);
});

function appendWithEntries(sizes: number[]): Message {
  return {
    type: 'app', from: 1, to: 2, term: 3, logTerm: 3, index: 10, commit: 9, reject: false, rejectHint: 0, snapshot: null,
    context: new Uint8Array(0), entries: sizes.map((n, i) => ({ index: 11 + i, term: 3, type: 'normal' as const, data: randomBytes(n) })),
  };
}

/** A message frame as the wire has it: header, then the parts (entry data not copied). */
function messageFrame(m: Message): Buffer {
  const parts = encodeMessageParts(m);
  return Buffer.concat([frameHeader(FrameKind.message, parts), ...parts]);
}

test('a deferred message frame passes its CRC check piece by piece and remembers each large entry\'s CRC', () => {
  const m = appendWithEntries([10, 5000, 100, 70_000, 4096]);
  const wire = messageFrame(m);
  assert.equal(wire.readUInt32BE(4), crc32(wire.subarray(8)), 'the combined CRC is the plain CRC of the body (what older nodes check)');
  const [f] = new FrameDecoder(1 << 20, true).push(wire);
  assert.equal(typeof f!.crc, 'number', 'left for checkMessageCrc');
  const decoded = decodeMessage(f!.payload);
  checkMessageCrc(f!, decoded.entries.map((e) => e.data));
  assert.deepEqual(decoded.entries.map((e) => Buffer.from(e.data)), m.entries.map((e) => Buffer.from(e.data)));
  for (const e of decoded.entries) {
    const crc = crc32(e.data);
    // Entry data never changes; flipping a byte shows whether the CRC was kept (large) or is new.
    e.data[0] = e.data[0]! ^ 0xff;
    assert.equal(dataCrc32(e.data), e.data.length >= 4096 ? crc : crc32(e.data));
  }
});

test('a deferred message frame with a flipped bit anywhere fails its CRC check', () => {
  const m = appendWithEntries([6000, 20, 9000]);
  const wire = messageFrame(m);
  // a byte of the message header, of the first entry's data, between entries, of the last data
  for (const at of [9 + 5, wire.length - 9000 - 20 - 100, wire.length - 9000 - 10, wire.length - 1]) {
    const bad = Buffer.from(wire);
    bad[at] ^= 0x10;
    const [f] = new FrameDecoder(1 << 20, true).push(bad);
    let entries: Uint8Array[] = [];
    try {
      entries = decodeMessage(f!.payload).entries.map((e) => e.data);
    } catch {
      // a damaged length may not decode at all: the CRC still decides
    }
    assert.throws(() => checkMessageCrc(f!, entries), /checksum mismatch/, `byte ${at}`);
  }
});

test('a frame longer than the limit is refused before it is buffered', () => {
  const f = encodeFrame(FrameKind.message, Buffer.alloc(5000));
  assert.throws(() => new FrameDecoder(4096).push(f.subarray(0, 8)), /outside/);
});

test('an unknown frame kind is refused', () => {
  assert.throws(() => new FrameDecoder(1024).push(encodeFrame(99 as FrameKind, Buffer.alloc(1))), /unknown frame kind/);
});

test('a hello proves the token for this nonce only', () => {
  const key = tokenKey('token');
  const nonce = newNonce();
  const fields = { lane: Lane.bulk, from: 3, to: 9, clusterId: 'cluster-a' };
  const hello = decodeHello(encodeHello(key, nonce, newNonce(), fields));
  assert.deepEqual([hello.lane, hello.from, hello.to, hello.clusterId], [Lane.bulk, 3, 9, 'cluster-a']);
  assert.equal(helloAuthentic(key, nonce, hello), true);
  assert.equal(helloAuthentic(tokenKey('other'), nonce, hello), false);
  assert.equal(helloAuthentic(key, newNonce(), hello), false);
  assert.equal(helloAuthentic(key, nonce, { ...hello, from: 4 }), false);
  assert.equal(helloAuthentic(key, nonce, { ...hello, clusterId: 'cluster-b' }), false);
  assert.equal(helloAuthentic(tokenKey(null), nonce, hello), false);
  assert.deepEqual(tokenKey(null), tokenKey(''));
});

test('a welcome proves the token over the client nonce, for this hello only', () => {
  const key = tokenKey('token');
  const serverNonce = newNonce();
  const clientNonce = newNonce();
  const fields = { lane: Lane.control, from: 3, to: 9, clusterId: 'cluster-a' };
  const hello = decodeHello(encodeHello(key, serverNonce, clientNonce, fields));
  const welcome = encodeWelcome(key, serverNonce, hello);
  assert.equal(welcomeAuthentic(key, serverNonce, clientNonce, fields, welcome), true);
  assert.equal(welcomeAuthentic(tokenKey('other'), serverNonce, clientNonce, fields, welcome), false, 'server without the token');
  assert.equal(welcomeAuthentic(key, serverNonce, newNonce(), fields, welcome), false, 'welcome replayed to another connection');
  assert.equal(welcomeAuthentic(key, serverNonce, clientNonce, { ...fields, clusterId: 'cluster-b' }, welcome), false, 'other cluster');
  assert.equal(welcomeAuthentic(key, serverNonce, clientNonce, fields, Buffer.alloc(0)), false, 'empty welcome (protocol v1)');
  assert.equal(welcomeAuthentic(key, serverNonce, clientNonce, fields, hello.mac), false, 'the hello mac reflected back');
});
