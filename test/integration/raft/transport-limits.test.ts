// The peer port under abuse, over real TCP on loopback (127.0.0.0/8 gives each "attacker" its own
// source address): idle and unauthenticated sockets cannot lock a configured peer out, die at the
// hello deadline, are capped per IP, and refusals cannot flood the log. Also announcements, which
// reach the receiver with the sender's authenticated id.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import type { Message, NodeId } from '../../../raft/core/types.js';
import { TcpTransport, type TcpTransportOptions } from '../../../raft/transport.js';
import { encodeFrame, FrameKind } from '../../../raft/transport-frame.js';

const CLUSTER = 'test-cluster';
const TOKEN = 'limits-token';

interface LogLine { event?: string; [k: string]: unknown }

function capture(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(JSON.parse(chunk.toString()) as LogLine);
      cb();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

async function transport(id: NodeId, extra: Partial<TcpTransportOptions> = {}) {
  const log = capture();
  const t = await TcpTransport.start({ nodeId: id, listen: '127.0.0.1:0', clusterId: CLUSTER, clusterToken: TOKEN, logger: log.logger, ...extra });
  const got: Message[] = [];
  t.onMessage((m) => got.push(m));
  return { t, got, log, addr: `127.0.0.1:${t.address().port}`, port: t.address().port };
}

function heartbeat(from: NodeId, to: NodeId, index: number): Message {
  return {
    type: 'heartbeat', from, to, term: 1, logTerm: 1, index, entries: [], commit: 0, reject: false, rejectHint: 0,
    snapshot: null, context: new Uint8Array(0),
  };
}

async function waitFor(what: string, pred: () => boolean, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > until) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

interface Raw {
  socket: Socket;
  closed: boolean;
  closedAt: number;
}

/** A raw connection from `localAddress`; resolves once connected (or failed). */
function raw(port: number, localAddress: string): Promise<Raw> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress });
    const r: Raw = { socket, closed: false, closedAt: 0 };
    socket.on('error', () => undefined);
    socket.resume(); // read (and drop) the challenge, so a close by the server is seen
    socket.on('close', () => {
      r.closed = true;
      r.closedAt = Date.now();
    });
    socket.once('connect', () => resolve(r));
    socket.once('close', () => resolve(r));
  });
}

test('1100 idle sockets from 110 other addresses, reopened as they close, do not lock a configured peer out', { timeout: 60_000 }, async () => {
  const a = await transport(1);
  const b = await transport(2);
  const open = new Set<Raw>();
  let attacking = true;
  let attempts = 0;
  // One attacker slot: an idle socket, reopened 20 ms after the server closes it.
  const hold = async (host: string): Promise<void> => {
    while (attacking) {
      const s = await raw(a.port, host);
      attempts++;
      open.add(s);
      await waitFor('the server to close it', () => s.closed || !attacking, 60_000).catch(() => undefined);
      open.delete(s);
      s.socket.destroy();
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const attackers: Promise<void>[] = [];
  try {
    a.t.setPeer(2, b.addr);
    for (let host = 2; host < 112; host++) for (let k = 0; k < 10; k++) attackers.push(hold(`127.0.0.${host}`));
    await waitFor('1100 sockets opened', () => attempts >= 1100, 10_000);
    const began = Date.now();
    b.t.setPeer(1, a.addr);
    b.t.send([heartbeat(2, 1, 7)]);
    await waitFor('the peer\'s heartbeat', () => a.got.some((m) => m.from === 2 && m.index === 7), 3000);
    assert.ok(Date.now() - began < 3000);
  } finally {
    attacking = false;
    for (const s of open) s.socket.destroy();
    await Promise.all(attackers);
    await a.t.close();
    await b.t.close();
  }
});

test('a socket that sends no hello is closed at the 1 s deadline', { timeout: 10_000 }, async () => {
  const a = await transport(1);
  try {
    const opened = Date.now();
    const s = await raw(a.port, '127.0.0.1');
    await waitFor('the idle socket closed', () => s.closed, 3000);
    const lived = s.closedAt - opened;
    assert.ok(lived >= 900 && lived < 2500, `closed after ${lived} ms`);
    assert.ok(a.log.lines.some((l) => l.event === 'transport.handshake.timeout'));
  } finally {
    await a.t.close();
  }
});

test('unauthenticated sockets from one address beyond 8 are closed at once', { timeout: 10_000 }, async () => {
  const a = await transport(1);
  const sockets: Raw[] = [];
  try {
    for (let i = 0; i < 20; i++) sockets.push(await raw(a.port, '127.0.0.50'));
    await waitFor('the sockets over the cap closed', () => sockets.filter((s) => s.closed).length >= 12, 500);
    assert.equal(sockets.filter((s) => !s.closed).length, 8);
    assert.ok(a.log.lines.some((l) => l.event === 'transport.inbound.rejected' && l.reason === 'per-ip limit'));
  } finally {
    for (const s of sockets) s.socket.destroy();
    await a.t.close();
  }
});

test('refused hellos are logged at most 20 times a minute; the rest are counted in a summary', { timeout: 20_000 }, async () => {
  const a = await transport(1);
  try {
    for (let i = 0; i < 60; i++) {
      const s = await raw(a.port, `127.0.1.${i + 1}`);
      s.socket.write(encodeFrame(FrameKind.message, Buffer.from('not a hello')));
      await waitFor('refused', () => s.closed, 3000);
    }
    const refused = a.log.lines.filter((l) => l.event === 'transport.auth.refused');
    assert.equal(refused.length, 20);
    await a.t.close();
    const summary = a.log.lines.filter((l) => l.event === 'transport.refusals.suppressed');
    assert.equal(summary.length, 1);
    assert.equal(summary[0]!.suppressed, 40);
  } finally {
    await a.t.close();
  }
});

test('an announcement reaches the peer with the id its connection authenticated as', { timeout: 10_000 }, async () => {
  const a = await transport(1);
  const b = await transport(2);
  try {
    const got: Array<{ from: NodeId; text: string }> = [];
    a.t.onAnnouncement((from, payload) => got.push({ from, text: payload.toString() }));
    assert.equal(b.t.announce(1, Buffer.from('{"x":1}')), false, 'no address for the peer yet');
    b.t.setPeer(1, a.addr);
    assert.equal(b.t.announce(1, Buffer.alloc(4097)), false, 'too large to send');
    assert.equal(b.t.announce(1, Buffer.from('{"name":"n2"}')), true);
    await waitFor('the announcement', () => got.length === 1, 3000);
    assert.deepEqual(got, [{ from: 2, text: '{"name":"n2"}' }]);
  } finally {
    await a.t.close();
    await b.t.close();
  }
});
