// The dump loop on a synthetic relay, with the socket under the test's control: events of 16 MiB
// and more split at 0xFFFFFF, a slow client holding the server to a bounded backlog, and commits
// reaching a waiting dump without delay.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { createServer, connect, type Socket } from 'node:net';
import { encodeRelayRecord } from '../../../src/relaylog/relay-entry.js';
import { BINLOG_CHECKSUM_ALG_CRC32 } from '../../../src/binlog/event-checksum.js';
import { DumpStream } from '../../../src/server/dump-stream.js';
import { RelaySource } from '../../../src/server/relay-source.js';
import type { DumpParameters } from '../../../src/server/session-variables.js';
import type { ServerConnection } from '../../../src/mysql/server-connection.js';
import { silentLogger } from '../../../src/logger.js';
import { openLocalRelay, waitFor, type LocalRelay } from '../../helpers/local-relay.js';
import { SyntheticFile } from './synthetic-binlog.js';

let local: LocalRelay;
let source: RelaySource;
const file = new SyntheticFile('syn-bin.000001');
const MAX = 0xffffff;

/** Commits a file's bytes from `from` to `to` as relay records of at most 1 MiB. */
async function commit(name: string, bytes: Buffer, from: number, to: number): Promise<void> {
  for (let at = from; at < to; at += 1 << 20) {
    const end = Math.min(to, at + (1 << 20));
    await local.commit(encodeRelayRecord({ kind: 'binlog', file: name, pos: at, endsAtBoundary: end === to, bytes: bytes.subarray(at - 4, end - 4) }));
  }
}

let committed = 4;
/** Where the run of 1 MB transactions starts. */
let smallStart = 4;
async function commitUpTo(): Promise<void> {
  const bytes = file.bytes();
  // One record group per transaction (the header events form the first group).
  let at = committed;
  const starts: number[] = [];
  let pos = 4;
  for (const e of file.events) {
    if (e[4] === 162 || pos === 4) starts.push(pos);
    pos += e.length;
  }
  starts.push(pos);
  for (const s of starts) {
    if (s <= at) continue;
    await commit(file.name, bytes, at, s);
    at = s;
  }
  committed = at;
}

before(async () => {
  local = await openLocalRelay();
  file.transaction(100);
  file.transaction(MAX - 1 - 19 - 4); // event of 0xFFFFFF - 1 bytes: its payload fills one packet exactly
  file.transaction(20 * 1024 * 1024); // two packets
  smallStart = file.pos;
  for (let i = 0; i < 30; i++) file.transaction(1_000_000);
  await commitUpTo();
  source = new RelaySource(local.relay, local.db);
});

after(async () => {
  source?.close();
  await local?.close();
});

/** A socket pair; the server side is wrapped as the connection a DumpStream writes to. */
async function pair(): Promise<{ conn: ServerConnection; server: Socket; client: Socket }> {
  const listener = createServer();
  await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
  const accepted = new Promise<Socket>((r) => listener.once('connection', r));
  const client = connect((listener.address() as { port: number }).port, '127.0.0.1');
  const server = await accepted;
  listener.close();
  const emitter = new EventEmitter();
  server.on('close', () => emitter.emit('close'));
  const conn = Object.assign(emitter, {
    id: 1, socket: server, sequenceId: 1, deprecateEof: false,
    get writable() { return !server.destroyed && !server.writableEnded; },
    close: () => server.end(),
    destroy: () => server.destroy(),
  });
  return { conn: conn as unknown as ServerConnection, server, client };
}

const params: DumpParameters = {
  checksum: BINLOG_CHECKSUM_ALG_CRC32, heartbeatPeriodNs: 0n, connectState: null, capability: 4,
  gtidStrictMode: false, gtidIgnoreDuplicates: false, replicaUuid: '', semiSync: false,
};

function dump(conn: ServerConnection, flags: number, position = 4): DumpStream {
  return new DumpStream({ conn, request: { command: 'binlog-dump', position, flags, serverId: 5, file: '' }, params, flavor: 'mariadb', source, serverId: 9, logger: silentLogger });
}

/** Splits raw bytes into packets: [length, seq, payload]. */
function packetsOf(bytes: Buffer): [number, number, Buffer][] {
  const out: [number, number, Buffer][] = [];
  for (let at = 0; at + 4 <= bytes.length; ) {
    const len = bytes.readUIntLE(at, 3);
    out.push([len, bytes[at + 3]!, bytes.subarray(at + 4, at + 4 + len)]);
    at += 4 + len;
  }
  return out;
}

test('events of 16 MiB and more are split at 0xFFFFFF, an exact multiple ending with an empty packet', async () => {
  const { conn, client } = await pair();
  const chunks: Buffer[] = [];
  client.on('data', (d: Buffer) => chunks.push(d));
  const ended = new Promise((r) => client.on('close', r));
  assert.equal(await dump(conn, 0x01).run(), 'eof');
  await ended;
  const packets = packetsOf(Buffer.concat(chunks));
  let seq = 1;
  for (const [, s] of packets) assert.equal(s, seq++ & 0xff, 'sequence ids continue through split events');
  // Reassemble payloads.
  const payloads: Buffer[] = [];
  let parts: Buffer[] = [];
  const sizes: number[][] = [];
  let current: number[] = [];
  for (const [len, , data] of packets) {
    parts.push(data);
    current.push(len);
    if (len < MAX) {
      payloads.push(Buffer.concat(parts));
      sizes.push(current);
      parts = [];
      current = [];
    }
  }
  const events = payloads.slice(2, -1).map((p) => p.subarray(1)); // after the fake ROTATE and FDE, before EOF
  const expected = file.events.slice(1); // after the FDE
  assert.equal(events.length, expected.length);
  for (let i = 0; i < expected.length; i++) assert.ok(events[i]!.equals(expected[i]!), `event ${i}`);
  assert.ok(sizes.some((s) => s.length === 2 && s[0] === MAX && s[1] === 0), 'a full packet then an empty one');
  assert.ok(sizes.some((s) => s.length === 2 && s[0] === MAX && s[1]! > 0), 'a 20 MiB event in two packets');
  const eof = payloads[payloads.length - 1]!;
  assert.deepEqual([...eof], [0xfe, 0, 0, 2, 0]);
});

test('a client that stops reading holds the server to a bounded backlog, and gets everything once it reads', async () => {
  const { conn, server, client } = await pair();
  client.pause();
  const stream = dump(conn, 0, smallStart);
  const running = stream.run();
  await new Promise((r) => setTimeout(r, 800));
  // 30 MB are waiting; the server holds its 4 MiB backlog, one output buffer and one event.
  assert.ok(server.writableLength < 7 * 1024 * 1024, `server socket holds ${server.writableLength} bytes`);
  assert.ok(stream.position > smallStart && stream.position < file.pos, "the dump went as far as the backlog allows, then waited");
  let received = 0;
  client.on('data', (d: Buffer) => (received += d.length));
  client.resume();
  await waitFor('the dump to reach the end', () => stream.position === file.pos, 30_000);
  // Commits reach the waiting dump without polling.
  const before = received;
  file.transaction(10);
  const t0 = Date.now();
  await commitUpTo();
  await waitFor('the new transaction to arrive', () => received > before && stream.position === file.pos, 5000);
  assert.ok(Date.now() - t0 < 1000);
  stream.kill('stopped');
  assert.equal(await running, 'stopped');
  client.destroy();
});
