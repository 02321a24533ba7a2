// The dump loop on a synthetic relay, with the socket under the test's control: events of 16 MiB
// and more split at 0xFFFFFF, a slow client holding the server to a bounded backlog, and commits
// reaching a waiting dump without delay; a request past the end waiting while the node catches up.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { createServer, connect, type Socket } from 'node:net';
import { crc32 } from 'node:zlib';
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
  source = new RelaySource(local.relay);
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

/** The first packets of a non-blocking dump with the given parameters. */
async function opening(position: number, extra: Partial<DumpParameters>, count: number): Promise<Buffer[]> {
  const { conn, client } = await pair();
  const chunks: Buffer[] = [];
  client.on('data', (d: Buffer) => chunks.push(d));
  const ended = new Promise((r) => client.on('close', r));
  const stream = new DumpStream({
    conn, request: { command: 'binlog-dump', position, flags: 0x03, serverId: 0, file: position === 4 && extra.connectState !== undefined ? '' : file.name },
    params: { ...params, ...extra }, flavor: 'mariadb', source, serverId: 9, logger: silentLogger,
  });
  await stream.run();
  await ended;
  // Only small events are looked at here: read packets until `count` payloads.
  const all = Buffer.concat(chunks);
  const out: Buffer[] = [];
  for (let at = 0; out.length < count; ) {
    const len = all.readUIntLE(at, 3);
    out.push(all.subarray(at + 4, at + 4 + len));
    at += 4 + len;
  }
  return out;
}

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s/g, ''), 'hex');
const crcOf = (e: Buffer): Buffer => {
  const c = Buffer.alloc(4);
  c.writeUInt32LE(crc32(e), 0);
  return c;
};

test('the stream opens with the fake ROTATE of notes §5 and the file FDE as the dump rewrites it', async () => {
  const fde = file.events[0]!;
  const [rotate, sentFde] = await opening(4, {}, 2);
  const body = Buffer.concat([hex('00 00000000 04 0b000000 2d000000 00000000 2000 0400000000000000'), Buffer.from(file.name)]);
  assert.ok(rotate!.equals(Buffer.concat([body, crcOf(body.subarray(1))])), 'fake ROTATE: ts 0, server_id 11, log_pos 0, ARTIFICIAL, next_pos 4, CRC32');
  assert.ok(sentFde!.subarray(1).equals(fde), 'from the start of a file the FDE goes out as stored');

  const mid = file.events[0]!.length + 4 + file.events[1]!.length + file.events[2]!.length; // the first transaction
  const [, zeroed] = await opening(mid, {}, 2);
  const e = zeroed!.subarray(1);
  assert.equal(e.readUInt32LE(13), 0, 'log_pos 0: the replica must not move its position');
  assert.equal(e.readUInt32LE(19 + 2 + 50), 0, 'created 0');
  assert.equal(e.readUInt32LE(e.length - 4), crc32(e.subarray(0, e.length - 4)), 'CRC recomputed');
  assert.equal(fde.readUInt32LE(19 + 2 + 50), 1700000000, 'the stored FDE is untouched');

  const [noCrc] = await opening(4, { checksum: 0 }, 1);
  assert.equal(noCrc!.length, 1 + 19 + 8 + file.name.length, 'a client that declared NONE gets the first fake ROTATE without CRC');
});

test('a GTID dump zeroes created until its position, then sends the fake GTID_LIST of notes §5', async () => {
  const packets = await opening(4, { connectState: '0-11-1' }, 6);
  const fde = packets[1]!.subarray(1);
  assert.equal(fde.readUInt32LE(13), file.events[0]!.readUInt32LE(13), 'log_pos kept');
  assert.equal(fde.readUInt32LE(19 + 2 + 50), 0, 'created 0: the replica has executed later transactions');
  assert.deepEqual(packets.slice(2, 4).map((p) => p[5]), [163, 161], "the file's GTID_LIST and BINLOG_CHECKPOINT");
  const fake = packets[4]!.subarray(1);
  const resume = file.events.slice(0, 6).reduce((n, b) => n + b.length, 4); // after transaction 0-11-1
  const head = Buffer.alloc(19);
  head.writeUInt32LE(0, 0);
  head[4] = 0xa3;
  head.writeUInt32LE(11, 5);
  head.writeUInt32LE(43, 9);
  head.writeUInt32LE(resume, 13);
  head.writeUInt16LE(0x20, 17);
  const body = Buffer.concat([head, hex('01000000 00000000 0b000000 0100000000000000')]);
  assert.ok(fake.equals(Buffer.concat([body, crcOf(body)])), `fake GTID_LIST [0-11-1] at ${resume}`);
  assert.equal(packets[5]![5], 162, 'then the next transaction');
});

test('a GTID just past this node\'s end waits for the node to apply it instead of failing at once', async () => {
  const { conn, client } = await pair();
  const types: number[] = [];
  let buffered = Buffer.alloc(0);
  client.on('data', (d: Buffer) => {
    buffered = Buffer.concat([buffered, d]);
    while (buffered.length >= 4 && buffered.length >= 4 + buffered.readUIntLE(0, 3)) {
      const len = buffered.readUIntLE(0, 3);
      if (len < 0xffffff) types.push(buffered[4 + 5]!);
      buffered = buffered.subarray(4 + len);
    }
  });
  const next = `0-11-${file.seq}`; // not committed yet
  const stream = new DumpStream({
    conn, request: { command: 'binlog-dump', position: 4, flags: 0x02, serverId: 6, file: '' },
    params: { ...params, connectState: next }, flavor: 'mariadb', source, serverId: 9, logger: silentLogger,
  });
  const running = stream.run();
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(types.length, 0, 'nothing sent while the GTID is not here');
  file.transaction(10); // the awaited one
  file.transaction(20); // the first one to send
  await commitUpTo();
  await waitFor('the transaction after the requested GTID', () => types.includes(162), 5000);
  assert.equal(stream.gtid, `0-11-${file.seq - 1n}`);
  stream.kill('stopped');
  assert.equal(await running, 'stopped');
  client.destroy();
});

test('past the grace, a dump past the end waits while the node catches up, then gets 1236; a non-blocking one gets it at the grace', { timeout: 20_000 }, async () => {
  const ahead = `0-11-${file.seq + 1000n}`;
  /** The errno of the ERR packet the client got, or null while it got none. */
  const start = async (flags: number): Promise<{ errno: () => number | null; running: Promise<unknown>; stream: DumpStream; client: Socket }> => {
    const { conn, client } = await pair();
    let bytes = Buffer.alloc(0);
    client.on('data', (d: Buffer) => (bytes = Buffer.concat([bytes, d])));
    const stream = new DumpStream({
      conn, request: { command: 'binlog-dump', position: 4, flags, serverId: 6 + flags, file: '' },
      params: { ...params, connectState: ahead }, flavor: 'mariadb', source, serverId: 9, logger: silentLogger,
    });
    const running = stream.run().catch((err: unknown) => err);
    const errno = (): number | null => (bytes.length > 7 && bytes[4] === 0xff ? bytes.readUInt16LE(5) : null);
    return { errno, running, stream, client };
  };
  source.catchingUp = () => true;
  try {
    const blocking = await start(0x02);
    const oneShot = await start(0x03);
    await waitFor('the non-blocking dump refused at the grace', () => oneShot.errno() !== null, 5000);
    assert.equal(oneShot.errno(), 1236);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(blocking.errno(), null, 'the blocking dump still waits for the node');
    source.catchingUp = () => false;
    await waitFor('the blocking dump refused once the node has caught up', () => blocking.errno() !== null, 3000);
    assert.equal(blocking.errno(), 1236);
    for (const d of [blocking, oneShot]) {
      await d.running;
      d.client.destroy();
    }
  } finally {
    source.catchingUp = () => false;
  }
});
