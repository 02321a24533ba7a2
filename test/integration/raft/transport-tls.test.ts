// The peer transport with mutual TLS, over real TCP on loopback, with certificates made by
// `openssl`: both sides verify the other's certificate against the cluster CA, the token proofs
// and the cluster id still apply, and neither a rogue certificate nor plain TCP gets through.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Message, NodeId } from '../../../raft/core/types.js';
import { TcpTransport, type TcpTransportOptions } from '../../../raft/transport.js';
import type { PeerTls } from '../../../raft/transport-tls.js';
import { makeTestCertificates } from '../../helpers/test-certificates.js';

const dir = mkdtempSync(join(tmpdir(), 'binrelay-peer-tls-'));
const certs = makeTestCertificates(dir);
after(() => rmSync(dir, { recursive: true, force: true }));

const pem = (cert: string, key: string, ca: string): PeerTls => ({ cert: readFileSync(cert), key: readFileSync(key), ca: readFileSync(ca) });
const GOOD_SERVER = pem(certs.server.cert, certs.server.key, certs.ca);
const GOOD_CLIENT = pem(certs.client.cert, certs.client.key, certs.ca);
/** A certificate from another CA, by a node that trusts the real CA (and the reverse). */
const ROGUE_TRUSTING_CA = pem(certs.rogue.cert, certs.rogue.key, certs.ca);

interface Peer {
  id: NodeId;
  t: TcpTransport;
  got: Message[];
  events: Array<{ event?: string; [k: string]: unknown }>;
  addr: string;
}

async function peer(id: NodeId, tls: PeerTls | null, extra: Partial<TcpTransportOptions> = {}): Promise<Peer> {
  const events: Peer['events'] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      events.push(JSON.parse(chunk.toString()) as Peer['events'][number]);
      cb();
    },
  });
  const t = await TcpTransport.start({
    nodeId: id, listen: '127.0.0.1:0', clusterId: 'tls-cluster', clusterToken: 'tls-token', tls,
    logger: pino({ level: 'debug' }, stream), backoffMsMin: 20, backoffMsMax: 100, ...extra,
  });
  const p: Peer = { id, t, got: [], events, addr: `127.0.0.1:${t.address().port}` };
  t.onMessage((m) => p.got.push(m));
  return p;
}

function heartbeat(from: NodeId, to: NodeId, index: number): Message {
  return {
    type: 'heartbeat', from, to, term: 1, logTerm: 1, index, entries: [], commit: 0, reject: false, rejectHint: 0,
    snapshot: null, context: new Uint8Array(0),
  };
}

async function waitFor(what: string, pred: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > until) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const sawEvent = (p: Peer, event: string): boolean => p.events.some((l) => l.event === event);

/** `from` dials `to` and sends it one heartbeat. */
function dial(from: Peer, to: Peer): void {
  from.t.setPeer(to.id, to.addr);
  from.t.send([heartbeat(from.id, to.id, 1)]);
}

/** None of `peers` got a message, even a while after the refusal (a late delivery would show). */
async function assertNothingDelivered(...peers: Peer[]): Promise<void> {
  await new Promise((r) => setTimeout(r, 100));
  for (const p of peers) assert.deepEqual(p.got, []);
}

test('three peers with certificates from the cluster CA exchange messages over TLS', async () => {
  const peers = [await peer(1, GOOD_SERVER), await peer(2, GOOD_CLIENT), await peer(3, GOOD_SERVER)];
  try {
    for (const a of peers) for (const [bi, b] of peers.entries()) if (a !== b) a.t.setPeer(bi + 1, b.addr);
    for (const [ai, a] of peers.entries()) {
      a.t.send(peers.map((_, bi) => heartbeat(ai + 1, bi + 1, 10 + ai)).filter((m) => m.to !== ai + 1));
    }
    await waitFor('every message', () => peers.every((p) => p.got.length === 2));
    assert.ok(peers.every((p) => p.events.some((l) => l.event === 'transport.listening' && l.tls === true)));
  } finally {
    for (const p of peers) await p.t.close();
  }
});

test('a peer whose certificate another CA signed is refused, in either direction', async () => {
  const server = await peer(1, GOOD_SERVER);
  const rogue = await peer(2, ROGUE_TRUSTING_CA);
  const client = await peer(3, GOOD_CLIENT);
  try {
    dial(rogue, server);
    await waitFor('server refuses the rogue certificate', () => sawEvent(server, 'transport.tls.refused'));
    // The real node dialing the rogue one refuses the rogue's server certificate.
    dial(client, rogue);
    await waitFor('client refuses the rogue certificate', () => client.events.some((l) => l.event === 'transport.peer.connect_failed'));
    const failed = client.events.find((l) => l.event === 'transport.peer.connect_failed')!;
    assert.match(String(failed.reason), /certificate|self.signed|issuer/i);
    await assertNothingDelivered(server, rogue);
  } finally {
    for (const p of [server, rogue, client]) await p.t.close();
  }
});

test('plain TCP to a TLS peer port is refused, and TLS to a plain port fails', async () => {
  const tlsPeer = await peer(1, GOOD_SERVER, { helloTimeoutMs: 300 });
  const plain = await peer(2, null);
  const plainServer = await peer(3, null);
  try {
    dial(plain, tlsPeer);
    // A plain hello never comes (the TLS side waits for a ClientHello): the socket dies at the
    // hello deadline, or the TLS parser refuses what it reads.
    await waitFor('plain client dropped', () => sawEvent(tlsPeer, 'transport.handshake.timeout') || sawEvent(tlsPeer, 'transport.tls.refused'));
    const raw = connect({ host: '127.0.0.1', port: tlsPeer.t.address().port });
    raw.on('error', () => undefined);
    raw.write(Buffer.from('GET / HTTP/1.0\r\n\r\n'));
    await new Promise<void>((resolve) => raw.once('close', () => resolve()));
    dial(tlsPeer, plainServer);
    await waitFor('TLS client fails on a plain port', () => sawEvent(tlsPeer, 'transport.peer.connect_failed'));
    await assertNothingDelivered(tlsPeer, plainServer);
  } finally {
    for (const p of [tlsPeer, plain, plainServer]) await p.t.close();
  }
});

test('over TLS the cluster id is still checked', async () => {
  const server = await peer(1, GOOD_SERVER);
  const stranger = await peer(2, GOOD_CLIENT, { clusterId: 'another-cluster' });
  try {
    dial(stranger, server);
    await waitFor('refused for its cluster', () => stranger.events.some((l) => l.event === 'transport.peer.refused' && l.reason === 'cluster'));
    assert.deepEqual(server.got, []);
  } finally {
    for (const p of [server, stranger]) await p.t.close();
  }
});
