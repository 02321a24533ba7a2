import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { decodeMessage } from '../../../raft/codec.js';
import type { Entry, Message, MessageType, NodeId } from '../../../raft/core/types.js';
import { TcpTransport, type TcpTransportOptions } from '../../../raft/transport.js';
import { encodeFrame, FrameDecoder, FrameKind } from '../../../raft/transport-frame.js';
import {
  decodeChallenge, decodeHello, encodeChallenge, encodeHello, encodeRefuse, encodeWelcome, helloAuthentic, Lane, newNonce,
  RefuseReason, tokenKey,
} from '../../../raft/transport-handshake.js';

const CLUSTER = 'test-cluster';
const TOKEN = 's3cret-token-value';

function msg(type: MessageType, from: NodeId, to: NodeId, index: number, entries: Entry[] = []): Message {
  return {
    type, from, to, term: 1, logTerm: 1, index, entries, commit: index, reject: false, rejectHint: 0,
    snapshot: null, context: new Uint8Array(0),
  };
}

interface LogLine { event?: string; [k: string]: unknown }

function capture(): { logger: Logger; lines: LogLine[]; raw: string[] } {
  const lines: LogLine[] = [];
  const raw: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      raw.push(chunk.toString());
      lines.push(JSON.parse(chunk.toString()) as LogLine);
      cb();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines, raw };
}

async function waitFor(what: string, pred: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > until) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

interface Node {
  t: TcpTransport;
  got: Message[];
  unreachable: NodeId[];
  log: ReturnType<typeof capture>;
  addr: string;
}

async function node(id: NodeId, extra: Partial<TcpTransportOptions> = {}, listen = '127.0.0.1:0'): Promise<Node> {
  const log = capture();
  const t = await TcpTransport.start({ nodeId: id, listen, clusterId: CLUSTER, clusterToken: TOKEN, logger: log.logger, ...extra });
  const n: Node = { t, got: [], unreachable: [], log, addr: `127.0.0.1:${t.address().port}` };
  t.onMessage((m) => n.got.push(m));
  t.onUnreachable((p) => n.unreachable.push(p));
  return n;
}

/** A hand-written peer server: completes handshakes, records messages per lane and can stop
 *  reading its bulk connections (a slow follower). With `onlyVersion` it refuses other hello
 *  versions as a node of that version does. */
async function fakePeer(id: NodeId, pauseBulk: boolean, onlyVersion?: number): Promise<{
  port: number; got: Array<{ lane: Lane; m: Message; at: number }>; bulk: Socket[]; server: Server; hellos: number[];
}> {
  const key = tokenKey(TOKEN);
  const got: Array<{ lane: Lane; m: Message; at: number }> = [];
  const bulk: Socket[] = [];
  const hellos: number[] = [];
  const server = createServer((socket) => {
    const nonce = newNonce();
    const decoder = new FrameDecoder(64 * 1024 * 1024);
    let lane: Lane | null = null;
    socket.write(encodeFrame(FrameKind.challenge, encodeChallenge(nonce)));
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      for (const f of decoder.push(chunk)) {
        if (lane === null) {
          const hello = decodeHello(f.payload);
          assert.ok(helloAuthentic(key, nonce, hello) && hello.to === id);
          hellos.push(hello.version);
          if (onlyVersion !== undefined && hello.version !== onlyVersion) {
            socket.end(encodeFrame(FrameKind.refuse, encodeRefuse(RefuseReason.version, `protocol version ${hello.version} not supported`)));
            return;
          }
          lane = hello.lane;
          socket.write(encodeFrame(FrameKind.welcome, encodeWelcome(key, nonce, hello)));
          if (lane === Lane.bulk) {
            bulk.push(socket);
            if (pauseBulk) socket.pause();
          }
        } else {
          got.push({ lane, m: decodeMessage(f.payload), at: performance.now() });
        }
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  assert.ok(a !== null && typeof a === 'object');
  return { port: a.port, got, bulk, server, hellos };
}

type FakePeer = Awaited<ReturnType<typeof fakePeer>>;

/** Runs `body` with node 1 sending to a fake node 2 that stopped reading its bulk lane, both
 *  lanes open; closes both after. */
async function withStalledBulkPeer(body: (a: Node, peer: FakePeer) => Promise<void>): Promise<void> {
  const peer = await fakePeer(2, true);
  const a = await node(1);
  try {
    a.t.setPeer(2, `127.0.0.1:${peer.port}`);
    a.t.send([msg('heartbeat', 1, 2, 0), msg('app', 1, 2, 0)]); // open both lanes
    await waitFor('both lanes open', () => peer.got.length === 1 && peer.bulk.length === 1);
    await body(a, peer);
  } finally {
    await a.t.close();
    await closeServer(peer.server, peer.bulk);
  }
}

function closeServer(server: Server, sockets: Socket[]): Promise<void> {
  for (const s of sockets) s.destroy();
  return new Promise((r) => server.close(() => r()));
}

test('three transports exchange messages, in order per lane', async () => {
  const nodes = [await node(1), await node(2), await node(3)];
  try {
    for (const a of nodes) for (const [k, b] of nodes.entries()) if (a !== b) a.t.setPeer(k + 1, b.addr);
    const N = 300;
    for (let i = 1; i <= N; i++) {
      for (const [ai, a] of nodes.entries()) {
        const out: Message[] = [];
        for (let bi = 0; bi < nodes.length; bi++) {
          if (bi === ai) continue;
          out.push(msg('app', ai + 1, bi + 1, i, [{ index: i, term: 1, type: 'normal', data: Buffer.alloc(i % 50) }]));
          out.push(msg('heartbeat', ai + 1, bi + 1, i));
        }
        a.t.send(out);
      }
      if (i % 50 === 0) await new Promise((r) => setImmediate(r));
    }
    await waitFor('all messages', () => nodes.every((n) => n.got.length === 2 * 2 * N));
    for (const [bi, b] of nodes.entries()) {
      for (let from = 1; from <= 3; from++) {
        if (from === bi + 1) continue;
        for (const type of ['app', 'heartbeat'] as const) {
          const seq = b.got.filter((m) => m.from === from && m.type === type).map((m) => m.index);
          assert.deepEqual(seq, Array.from({ length: N }, (_, k) => k + 1), `${from}→${bi + 1} ${type}`);
        }
      }
      assert.deepEqual(b.unreachable, []);
    }
  } finally {
    for (const n of nodes) await n.t.close();
  }
});

test('a peer with the wrong token is refused and logged, and the server still accepts good peers', async () => {
  const b = await node(2);
  const bad = await node(1, { clusterToken: 'wrong-token' });
  const good = await node(3);
  try {
    bad.t.setPeer(2, b.addr);
    bad.t.send([msg('heartbeat', 1, 2, 1)]);
    await waitFor('refusal logged', () => b.log.lines.some((l) => l.event === 'transport.auth.refused'));
    await waitFor('refused peer told', () => bad.log.lines.some((l) => l.event === 'transport.peer.refused'));
    await waitFor('refused peer reports unreachable', () => bad.unreachable.includes(2));
    const refusal = b.log.lines.find((l) => l.event === 'transport.auth.refused')!;
    assert.match(String(refusal.remote), /^127\.0\.0\.1:\d+$/);
    good.t.setPeer(2, b.addr);
    good.t.send([msg('heartbeat', 3, 2, 7)]);
    await waitFor('good peer delivered', () => b.got.some((m) => m.from === 3 && m.index === 7));
    assert.ok(!b.got.some((m) => m.from === 1));
    for (const n of [b, bad, good]) {
      for (const line of n.log.raw) assert.ok(!line.includes(TOKEN) && !line.includes('wrong-token'), 'a token reached a log line');
    }
  } finally {
    for (const n of [b, bad, good]) await n.t.close();
  }
});

test('a peer that restarts on the same address is reconnected to', async () => {
  const a = await node(1, { backoffMsMin: 20, backoffMsMax: 200 });
  let b = await node(2);
  try {
    a.t.setPeer(2, b.addr);
    a.t.send([msg('heartbeat', 1, 2, 1)]);
    await waitFor('first delivery', () => b.got.length === 1);
    const addr = b.addr;
    await b.t.close();
    a.t.send([msg('heartbeat', 1, 2, 2)]);
    await waitFor('loss of the peer reported', () => a.unreachable.includes(2));
    b = await node(2, {}, addr);
    for (let i = 3; !b.got.some((m) => m.index >= 3); i++) {
      a.t.send([msg('heartbeat', 1, 2, i)]);
      await new Promise((r) => setTimeout(r, 20));
      assert.ok(i < 250, 'no delivery to the restarted peer within 5 s');
    }
    assert.ok(a.log.lines.filter((l) => l.event === 'transport.peer.connected').length >= 2);
  } finally {
    await a.t.close();
    await b.t.close();
  }
});

test('a 10 MiB append does not delay a heartbeat sent after it, even when the follower stops reading appends', async () => {
  await withStalledBulkPeer(async (a, peer) => {
    const big: Entry = { index: 1, term: 1, type: 'normal', data: Buffer.alloc(10 * 1024 * 1024, 7) };
    a.t.send([msg('app', 1, 2, 1, [big])]);
    const sentAt = performance.now();
    a.t.send([msg('heartbeat', 1, 2, 2)]);
    await waitFor('heartbeat', () => peer.got.some((g) => g.m.type === 'heartbeat' && g.m.index === 2), 1000);
    const hb = peer.got.find((g) => g.m.index === 2 && g.m.type === 'heartbeat')!;
    assert.ok(hb.at - sentAt < 250, `heartbeat took ${Math.round(hb.at - sentAt)} ms`);
    assert.ok(!peer.got.some((g) => g.m.type === 'app' && g.m.index === 1), 'the append arrived although its reader is paused');
    peer.bulk[0]!.resume();
    await waitFor('append after resume', () => peer.got.some((g) => g.m.type === 'app' && g.m.index === 1), 10_000);
    const app = peer.got.find((g) => g.m.type === 'app' && g.m.index === 1)!;
    assert.equal(app.m.entries[0]!.data.length, 10 * 1024 * 1024);
    assert.equal(app.lane, Lane.bulk);
  });
});

test('a commitIfDurable rides behind the append it names, not ahead of it', async () => {
  await withStalledBulkPeer(async (a, peer) => {
    const big: Entry = { index: 1, term: 1, type: 'normal', data: Buffer.alloc(4 * 1024 * 1024, 7) };
    a.t.send([msg('app', 1, 2, 0, [big]), msg('commitIfDurable', 1, 2, 1), msg('heartbeat', 1, 2, 2)]);
    await waitFor('heartbeat', () => peer.got.some((g) => g.m.type === 'heartbeat' && g.m.index === 2), 1000);
    assert.ok(!peer.got.some((g) => g.m.type === 'commitIfDurable'), 'the promise overtook its append');
    peer.bulk[0]!.resume();
    await waitFor('the promise', () => peer.got.some((g) => g.m.type === 'commitIfDurable'), 10_000);
    const order = peer.got.filter((g) => g.lane === Lane.bulk).map((g) => `${g.m.type}:${g.m.entries.length}`);
    assert.deepEqual(order.slice(-2), ['app:1', 'commitIfDurable:0']);
  });
});

test('a peer of protocol version 2 is spoken to in version 2, and sent no commitIfDurable', async () => {
  const peer = await fakePeer(2, false, 2);
  const a = await node(1, { backoffMsMin: 10, backoffMsMax: 20 });
  try {
    a.t.setPeer(2, `127.0.0.1:${peer.port}`);
    // The first attempt (version 3) is refused with its queue; raft keeps sending (heartbeats).
    await waitFor('a version-2 connection', () => {
      a.t.send([msg('app', 1, 2, 1)]);
      return peer.bulk.length === 1;
    });
    a.t.send([msg('app', 1, 2, 2), msg('commitIfDurable', 1, 2, 2), msg('app', 1, 2, 3)]);
    await waitFor('the appends', () => peer.got.some((g) => g.m.index === 3));
    assert.deepEqual(peer.hellos, [3, 2]);
    assert.deepEqual(peer.got.filter((g) => g.m.index > 1).map((g) => `${g.m.type}:${g.m.index}`), ['app:2', 'app:3']);
    assert.ok(a.log.lines.some((l) => l.event === 'transport.peer.older_protocol'));
  } finally {
    await a.t.close();
    await closeServer(peer.server, peer.bulk);
  }
});

test('a hello of protocol version 2 (an older node) is welcomed', async () => {
  const b = await node(2);
  const socket = connect(b.t.address().port, '127.0.0.1');
  try {
    const decoder = new FrameDecoder(4096);
    const kinds: number[] = [];
    socket.on('data', (chunk: Buffer) => {
      for (const f of decoder.push(chunk)) {
        kinds.push(f.kind);
        if (f.kind !== FrameKind.challenge) continue;
        const { version, nonce } = decodeChallenge(f.payload);
        assert.equal(version, 2, 'a version-2 client requires a challenge of version 2');
        const fields = { lane: Lane.control, from: 1, to: 2, clusterId: CLUSTER };
        socket.write(encodeFrame(FrameKind.hello, encodeHello(tokenKey(TOKEN), nonce, newNonce(), fields, 2)));
      }
    });
    await waitFor('an answer to the hello', () => kinds.length === 2);
    assert.deepEqual(kinds, [FrameKind.challenge, FrameKind.welcome]);
  } finally {
    socket.destroy();
    await b.t.close();
  }
});

test('a full send queue drops messages and reports the peer, instead of growing', async () => {
  const peer = await fakePeer(2, true);
  const limit = 4 * 1024 * 1024;
  const a = await node(1, { bulkQueueBytesMax: limit });
  try {
    a.t.setPeer(2, `127.0.0.1:${peer.port}`);
    a.t.send([msg('app', 1, 2, 0)]);
    await waitFor('bulk lane open', () => peer.bulk.length === 1);
    const data = Buffer.alloc(1024 * 1024, 1);
    let maxQueued = 0;
    for (let i = 1; i <= 100; i++) {
      a.t.send([msg('app', 1, 2, i, [{ index: i, term: 1, type: 'normal', data }])]);
      maxQueued = Math.max(maxQueued, a.t.stats(2)!.bulk.queuedBytes);
      if (i % 10 === 0) await new Promise((r) => setTimeout(r, 10));
    }
    const s = a.t.stats(2)!.bulk;
    assert.ok(maxQueued <= limit, `queue reached ${maxQueued} bytes`);
    assert.ok(s.dropped > 0, 'nothing was dropped');
    assert.ok(a.unreachable.includes(2));
    assert.ok(a.log.lines.some((l) => l.event === 'transport.queue.full'));
    a.t.send([msg('heartbeat', 1, 2, 5)]);
    await waitFor('control lane still flows', () => peer.got.some((g) => g.m.type === 'heartbeat'));
  } finally {
    await a.t.close();
    await closeServer(peer.server, peer.bulk);
  }
});

test('garbage instead of a hello is refused and the server keeps serving', async () => {
  const b = await node(2);
  const a = await node(1);
  try {
    const { port } = b.t.address();
    const raw = connect(port, '127.0.0.1');
    raw.on('error', () => undefined);
    raw.on('connect', () => raw.write(encodeFrame(FrameKind.message, Buffer.from('nonsense'))));
    await waitFor('refusal', () => b.log.lines.some((l) => l.event === 'transport.auth.refused'));
    const junk = connect(port, '127.0.0.1');
    junk.on('error', () => undefined);
    junk.on('connect', () => junk.write(Buffer.alloc(64, 0xff)));
    await waitFor('bad frame logged', () => b.log.lines.some((l) => l.event === 'transport.frame.invalid'));
    raw.destroy();
    junk.destroy();
    a.t.setPeer(2, b.addr);
    a.t.send([msg('vote', 1, 2, 3)]);
    await waitFor('delivery', () => b.got.some((m) => m.type === 'vote'));
  } finally {
    await a.t.close();
    await b.t.close();
  }
});

test('local message types and messages to this node never go on the wire', async () => {
  const a = await node(1);
  try {
    a.t.setPeer(2, '127.0.0.1:1');
    a.t.send([msg('hup', 1, 2, 0), msg('beat', 1, 2, 0), msg('heartbeat', 1, 1, 0)]);
    assert.equal(a.log.lines.filter((l) => l.event === 'transport.send.refused').length, 3);
    assert.equal(a.t.stats(2)!.control.state, 'idle');
  } finally {
    await a.t.close();
  }
});

test('close releases the port and makes send a no-op', async () => {
  const a = await node(1);
  const { port } = a.t.address();
  a.t.setPeer(2, '127.0.0.1:1');
  await a.t.close();
  a.t.send([msg('heartbeat', 1, 2, 0)]);
  assert.equal(a.t.stats(2), undefined);
  const again = await node(1, {}, `127.0.0.1:${port}`);
  await again.t.close();
});

test('a peer of another cluster with the same node ids and token is refused and logged; no message crosses', async () => {
  const b = await node(2);
  const stranger = await node(1, { clusterId: 'other-cluster' });
  try {
    stranger.t.setPeer(2, b.addr);
    stranger.t.send([msg('app', 1, 2, 5)]);
    await waitFor('refusal logged', () => b.log.lines.some((l) => l.event === 'transport.auth.refused'));
    await waitFor('stranger told', () => stranger.log.lines.some((l) => l.event === 'transport.peer.refused' && l.reason === 'cluster'));
    const refusal = b.log.lines.find((l) => l.event === 'transport.auth.refused')!;
    assert.match(String(refusal.reason), /cluster id mismatch: this node belongs to cluster test-cluster, the peer to other-cluster/);
    assert.deepEqual(b.got, []);
  } finally {
    for (const n of [b, stranger]) await n.t.close();
  }
});

test('a joining node adopts the cluster id of the first peer that proves the token, then refuses other clusters', async () => {
  const learned: string[] = [];
  const joiner = await node(3, { clusterId: null, onClusterIdLearned: (id) => learned.push(id), backoffMsMin: 20, backoffMsMax: 100 });
  const member = await node(1);
  const impostor = await node(4, { clusterId: 'other-cluster', clusterToken: 'other-token' });
  const stranger = await node(5, { clusterId: 'other-cluster' });
  try {
    joiner.t.setPeer(1, member.addr);
    joiner.t.send([msg('heartbeatResp', 3, 1, 1)]);
    await waitFor('joiner waits', () => joiner.log.lines.some((l) => l.event === 'transport.peer.connect_failed' && /cluster id not known/.test(String(l.reason))));
    impostor.t.setPeer(3, joiner.addr);
    impostor.t.send([msg('heartbeat', 4, 3, 1)]);
    await waitFor('impostor refused', () => impostor.log.lines.some((l) => l.event === 'transport.peer.refused' && l.reason === 'auth'));
    assert.deepEqual(learned, [], 'a peer without the token teaches nothing');

    member.t.setPeer(3, joiner.addr);
    member.t.send([msg('app', 1, 3, 7)]);
    await waitFor('member delivered', () => joiner.got.some((m) => m.from === 1 && m.index === 7));
    assert.deepEqual(learned, [CLUSTER]);
    joiner.t.send([msg('appResp', 3, 1, 7)]);
    await waitFor('joiner reaches the member', () => member.got.some((m) => m.from === 3 && m.index === 7));

    stranger.t.setPeer(3, joiner.addr);
    stranger.t.send([msg('heartbeat', 5, 3, 1)]);
    await waitFor('stranger refused', () => stranger.log.lines.some((l) => l.event === 'transport.peer.refused' && l.reason === 'cluster'));
    assert.ok(!joiner.got.some((m) => m.from === 5 || m.from === 4));
  } finally {
    for (const n of [joiner, member, impostor, stranger]) await n.t.close();
  }
});

test('a server whose welcome does not prove the token is refused: nothing is sent to it', async () => {
  const got: Buffer[] = [];
  const welcomes = [Buffer.alloc(0), newNonce()];
  const server = createServer((socket) => {
    const welcome = welcomes.shift() ?? newNonce();
    const decoder = new FrameDecoder(1024 * 1024);
    let helloSeen = false;
    socket.on('error', () => undefined);
    socket.write(encodeFrame(FrameKind.challenge, encodeChallenge(newNonce())));
    socket.on('data', (chunk: Buffer) => {
      for (const f of decoder.push(chunk)) {
        if (helloSeen) got.push(Buffer.from(f.payload));
        helloSeen = true;
        // A forged server: it cannot compute the proof, so it answers with an old-style empty
        // welcome, then with random bytes.
        socket.write(encodeFrame(FrameKind.welcome, welcome));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = await node(1, { backoffMsMin: 20, backoffMsMax: 50 });
  try {
    const port = (server.address() as { port: number }).port;
    a.t.setPeer(2, `127.0.0.1:${port}`);
    a.t.send([msg('app', 1, 2, 1)]);
    await waitFor('forged welcome refused', () => a.log.lines.filter((l) => l.event === 'transport.peer.unauthentic').length >= 1);
    a.t.send([msg('app', 1, 2, 2)]);
    await waitFor('forged welcome refused again', () => a.log.lines.filter((l) => l.event === 'transport.peer.unauthentic').length >= 2);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(got, [], 'no message reached the forged server');
    assert.ok(!a.log.lines.some((l) => l.event === 'transport.peer.connected'));
  } finally {
    await a.t.close();
    await new Promise((r) => server.close(() => r(undefined)));
  }
});
