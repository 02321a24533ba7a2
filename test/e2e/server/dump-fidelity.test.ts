// The dump stream, packet for packet, against a real master: for each way a client can ask
// (file/position, GTID state, dump flags, capability level, declared checksum), a non-blocking
// dump from the relay must send exactly the packets the upstream sends for the same request —
// fake ROTATEs, rewritten FDEs, fake GTID_LISTs, rewritten events for old replicas, sequence
// ids, EOF or ERR.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { RawClient, type RawPacket } from '../mysql/raw-client.js';
import { startRelayStack, RELAY_PASSWORD, RELAY_USER, type RelayStack } from './relay-stack.js';

let stack: RelayStack;
let files: string[] = [];
/** GTIDs by role, filled from the workload. */
const marks: Record<string, string> = {};

before(async () => {
  stack = await startRelayStack();
  const up = stack.up;
  await up.exec(`CREATE DATABASE app; CREATE TABLE app.t (id INT PRIMARY KEY, v TEXT);
    INSERT INTO app.t VALUES (1, 'one'), (2, 'two'); UPDATE app.t SET v = 'deux' WHERE id = 2;
    BEGIN; INSERT INTO app.t VALUES (3, 'three'); DELETE FROM app.t WHERE id = 1; COMMIT;`);
  marks.mid = String((await up.query('SELECT @@gtid_binlog_pos AS p'))[0]!.p);
  await up.exec(`INSERT INTO app.t VALUES (4, 'four'); CREATE TABLE app.u (x INT PRIMARY KEY)`);
  marks.endOfFirst = String((await up.query('SELECT @@gtid_binlog_pos AS p'))[0]!.p);
  await up.exec('FLUSH BINARY LOGS');
  await up.exec(`INSERT INTO app.u VALUES (1), (2); SET SESSION gtid_domain_id = 1; INSERT INTO app.u VALUES (3);
    CREATE TABLE app.w (y INT PRIMARY KEY); SET SESSION gtid_domain_id = 0; INSERT INTO app.t VALUES (5, 'five')`);
  await up.exec('FLUSH BINARY LOGS');
  await up.exec("INSERT INTO app.t VALUES (6, 'six')");
  marks.all = await stack.caughtUp();
  files = (await up.query('SHOW BINARY LOGS')).map((r) => String(r.Log_name));
});

after(async () => {
  await stack?.stop();
});

interface Request {
  sets: string[];
  pos: number;
  flags: number;
  file: string;
}

async function packets(port: number, user: string, password: string, req: Request): Promise<RawPacket[]> {
  const c = await RawClient.connect(port);
  const { reply } = await c.login(user, password);
  assert.equal(reply.payload[0], 0x00);
  for (const sql of req.sets) {
    c.write(0, Buffer.concat([Buffer.of(0x03), Buffer.from(sql)]));
    const ok = await c.read();
    assert.equal(ok.payload[0], 0x00, `${sql}: ${ok.payload.toString('latin1', 9)}`);
  }
  const p = Buffer.alloc(11 + req.file.length);
  p[0] = 0x12;
  p.writeUInt32LE(req.pos, 1);
  p.writeUInt16LE(req.flags, 5);
  p.writeUInt32LE(0, 7); // server_id 0: mariadb-binlog's way of saying non-blocking
  p.write(req.file, 11);
  c.write(0, p);
  const out: RawPacket[] = [];
  for (;;) {
    const packet = await c.read(10_000);
    out.push({ seq: packet.seq, payload: Buffer.from(packet.payload) });
    if (packet.payload[0] === 0xff || (packet.payload[0] === 0xfe && packet.payload.length < 9)) break;
  }
  await c.closed;
  return out;
}

function describe(p: RawPacket): string {
  const b = p.payload;
  if (b[0] === 0xff) return `seq ${p.seq} ERR ${b.readUInt16LE(1)} ${b.toString('utf8', 9)}`;
  if (b[0] === 0xfe && b.length < 9) return `seq ${p.seq} EOF`;
  return `seq ${p.seq} type ${b[5]} len ${b.length - 1} log_pos ${b.readUInt32LE(14)} flags 0x${b.readUInt16LE(18).toString(16)}`;
}

/** A fake GTID_LIST with its entries sorted (MariaDB lists domains in its hash table's order). */
function sortedGtidList(p: RawPacket): string {
  const body = p.payload.subarray(1 + 19, p.payload.length - 4);
  const n = body.readUInt32LE(0) & 0x0fffffff;
  const entries = Array.from({ length: n }, (_, i) => body.subarray(4 + 16 * i, 20 + 16 * i).toString('hex')).sort();
  return `${p.payload.subarray(0, 24).toString('hex')} ${entries.join(' ')}`;
}

const isFakeGtidList = (p: RawPacket): boolean => p.payload[0] === 0 && p.payload[5] === 163 && (p.payload.readUInt16LE(18) & 0x20) !== 0;

async function compare(req: Request, options: { gtidListOrder?: 'exact' | 'any' } = {}): Promise<RawPacket[]> {
  const theirs = await packets(stack.up.port, 'repl', 'replpw', req);
  const ours = await packets(stack.port, RELAY_USER, RELAY_PASSWORD, req);
  assert.deepEqual(ours.map(describe), theirs.map(describe));
  for (let i = 0; i < theirs.length; i++) {
    if (options.gtidListOrder === 'any' && isFakeGtidList(theirs[i]!)) {
      assert.equal(sortedGtidList(ours[i]!), sortedGtidList(theirs[i]!), `fake GTID_LIST ${i}`);
      continue;
    }
    assert.ok(ours[i]!.payload.equals(theirs[i]!.payload), `packet ${i} (${describe(theirs[i]!)}) differs: ours ${ours[i]!.payload.toString("hex")} theirs ${theirs[i]!.payload.toString("hex")}`);
  }
  return ours;
}

const modern = ['SET @master_binlog_checksum= @@global.binlog_checksum', 'SET @mariadb_slave_capability=4'];

test('file/position from the start of the first file, through every rotation, to EOF', async () => {
  const ours = await compare({ sets: modern, pos: 4, flags: 0x02, file: '' });
  assert.equal(ours.filter((p) => p.payload[5] === 4 && p.payload.readUInt16LE(18) === 0x20).length, files.length, 'one fake ROTATE per file');
});

test('file/position from the middle of a file: FDE with log_pos and created zeroed', async () => {
  const listing = await packets(stack.up.port, 'repl', 'replpw', { sets: modern, pos: 4, flags: 0x02, file: files[0]! });
  const xid = listing.find((p) => p.payload[5] === 16)!; // the first transaction's end
  await compare({ sets: modern, pos: xid.payload.readUInt32LE(14), flags: 0x02, file: files[0]! });
});

test('GTID mode from a position inside the first file: skipped groups, then a fake GTID_LIST', async () => {
  const ours = await compare({ sets: [...modern, `SET @slave_connect_state='${marks.mid}'`, 'SET @slave_gtid_strict_mode=1'], pos: 4, flags: 0x02, file: '' });
  assert.ok(ours.some((p) => p.payload[5] === 163 && p.payload.readUInt16LE(18) === 0x20), 'a fake GTID_LIST');
});

test('GTID mode with an empty state starts at the first file', async () => {
  await compare({ sets: [...modern, "SET @slave_connect_state=''"], pos: 4, flags: 0x02, file: '' });
});

test('GTID mode at the last GTID of a file starts with the next file and skips nothing', async () => {
  await compare({ sets: [...modern, `SET @slave_connect_state='${marks.endOfFirst}'`], pos: 4, flags: 0x02, file: '' });
});

test('GTID mode with two domains (the fake GTID_LIST holds the same GTIDs; their order is not kept)', async () => {
  const state = marks.all!.split(',').map((g) => g.replace(/-(\d+)$/, (_m, n: string) => `-${Math.max(1, Number(n) - 1)}`)).join(',');
  await compare({ sets: [...modern, `SET @slave_connect_state='${state}'`, 'SET @slave_gtid_strict_mode=1'], pos: 4, flags: 0x02, file: '' }, { gtidListOrder: 'any' });
});

test('without dump flag 0x02 ANNOTATE_ROWS events are left out', async () => {
  const ours = await compare({ sets: modern, pos: 4, flags: 0, file: '' });
  assert.ok(!ours.some((p) => p.payload[5] === 160));
});

for (const capability of [0, 1, 2, 3]) {
  test(`a replica with @mariadb_slave_capability=${capability} gets the same rewritten events`, async () => {
    await compare({ sets: ['SET @master_binlog_checksum= @@global.binlog_checksum', `SET @mariadb_slave_capability=${capability}`], pos: 4, flags: 0, file: '' });
  });
}

test("a client that declared checksum NONE gets the first fake ROTATE without CRC, the rest with", async () => {
  const ours = await compare({ sets: ["SET @master_binlog_checksum='NONE'", 'SET @mariadb_slave_capability=4'], pos: 4, flags: 0x02, file: files[1]! });
  assert.equal(ours[0]!.payload.length - 1, 19 + 8 + files[1]!.length);
});

test('a client that never declared a checksum gets the fake ROTATE, then ERR 1236', async () => {
  const ours = await compare({ sets: ['SET @mariadb_slave_capability=4'], pos: 4, flags: 0x02, file: '' });
  assert.equal(ours.length, 2);
  assert.equal(ours[1]!.payload.readUInt16LE(1), 1236);
});
