// Client sessions against the relay's binlog server, each checked against the same exchange with
// the upstream MariaDB where the two must agree: logins, the replica's query sequence, errors,
// a second dump with the same server_id, KILL, heartbeats, dead sockets.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import mysql from 'mysql2/promise';
import { crc32 } from 'node:zlib';
import { mariadbCli, run } from '../../helpers/mariadb.js';
import { waitFor } from '../../helpers/local-relay.js';
import { RawClient, type RawPacket } from '../mysql/raw-client.js';
import { startRelayStack, RELAY_PASSWORD, RELAY_SERVER_ID, RELAY_USER, type RelayStack } from './relay-stack.js';

let stack: RelayStack;

interface Side {
  port: number;
  user: string;
  password: string;
}

const relay = (): Side => ({ port: stack.port, user: RELAY_USER, password: RELAY_PASSWORD });
const upstream = (): Side => ({ port: stack.up.port, user: 'repl', password: 'replpw' });

before(async () => {
  stack = await startRelayStack();
  await stack.up.exec(`CREATE DATABASE app; CREATE TABLE app.t (id INT PRIMARY KEY, v TEXT); INSERT INTO app.t VALUES (1, 'one'), (2, 'two')`);
  await stack.caughtUp();
});

after(async () => {
  await stack?.stop();
});

/** Logs in with a raw client and sends the given queries, each answered by one OK packet. */
async function rawSession(side: Side, sets: string[]): Promise<{ client: RawClient; id: number }> {
  const c = await RawClient.connect(side.port);
  const { greeting, reply } = await c.login(side.user, side.password);
  assert.equal(reply.payload[0], 0x00, `login to ${side.port}`);
  for (const sql of sets) {
    c.write(0, Buffer.concat([Buffer.of(0x03), Buffer.from(sql)]));
    const ok = await c.read();
    assert.equal(ok.payload[0], 0x00, `${sql}: ${ok.payload.toString('latin1', 9)}`);
  }
  return { client: c, id: greeting.connectionId };
}

function dumpCommand(pos: number, flags: number, serverId: number, file: string): Buffer {
  const p = Buffer.alloc(11 + Buffer.byteLength(file));
  p[0] = 0x12;
  p.writeUInt32LE(pos, 1);
  p.writeUInt16LE(flags, 5);
  p.writeUInt32LE(serverId, 7);
  p.write(file, 11);
  return p;
}

/** A replica-like dump from the end of the binlog, optionally with heartbeats. */
async function dumpAtEnd(side: Side, serverId: number, heartbeatMs = 0): Promise<{ client: RawClient; id: number; file: string; pos: number }> {
  const [master] = await stack.up.query('SHOW MASTER STATUS');
  const file = String(master!.File);
  const pos = Number(master!.Position);
  const sets = ['SET @master_binlog_checksum= @@global.binlog_checksum', 'SET @mariadb_slave_capability=4'];
  if (heartbeatMs) sets.unshift(`SET @master_heartbeat_period= ${heartbeatMs * 1_000_000}`);
  const { client, id } = await rawSession(side, sets);
  client.write(0, dumpCommand(pos, 0x02, serverId, file));
  return { client, id, file, pos };
}

function eventOf(p: RawPacket): { type: number; serverId: number; logPos: number; flags: number; body: Buffer; event: Buffer } {
  assert.equal(p.payload[0], 0x00, `an event packet, got 0x${p.payload[0]!.toString(16)} ${p.payload.toString('latin1', 9)}`);
  const event = p.payload.subarray(1);
  return { type: event[4]!, serverId: event.readUInt32LE(5), logPos: event.readUInt32LE(13), flags: event.readUInt16LE(17), body: event.subarray(19, event.length - 4), event };
}

function crcOk(event: Buffer): boolean {
  return crc32(event.subarray(0, event.length - 4)) === event.readUInt32LE(event.length - 4);
}

test('a wrong password is refused with ERROR 1045, in the words of the upstream', async () => {
  const args = (side: Side): string[] => ['-h127.0.0.1', `-P${side.port}`, `-u${side.user}`, '-pwrong', '-e', 'SELECT 1'];
  const ours = await mariadbCli(args(relay()));
  const theirs = await mariadbCli(args(upstream()));
  assert.equal(ours.code, 1);
  assert.equal(ours.stderr, theirs.stderr.replace("'repl'", `'${RELAY_USER}'`));
  assert.match(ours.stderr, /^ERROR 1045 \(28000\): Access denied for user 'relay_repl'@'127.0.0.1' \(using password: YES\)/);
});

test('an unknown statement gets ERROR 1064 in MariaDB words and the session keeps working', async () => {
  const conn = await mysql.createConnection({ host: '127.0.0.1', port: stack.port, user: RELAY_USER, password: RELAY_PASSWORD });
  try {
    await assert.rejects(conn.query('FLUSH TABLES'), (err: { errno?: number; sqlState?: string; message?: string }) => {
      assert.equal(err.errno, 1064);
      assert.equal(err.sqlState, '42000');
      assert.equal(err.message, "You have an error in your SQL syntax; check the manual that corresponds to your MariaDB server version for the right syntax to use near 'FLUSH TABLES' at line 1");
      return true;
    });
    const [rows] = await conn.query('SELECT @@server_id AS id, @@GLOBAL.gtid_domain_id AS d');
    assert.deepEqual(rows, [{ id: RELAY_SERVER_ID, d: 0 }]);
  } finally {
    await conn.end();
  }
  const cli = await mariadbCli(['-h127.0.0.1', `-P${stack.port}`, `-u${RELAY_USER}`, `-p${RELAY_PASSWORD}`, '-e', 'OPTIMIZE TABLE x']);
  assert.equal(cli.code, 1);
  assert.match(cli.stderr, /ERROR 1064 \(42000\) at line 1: You have an error in your SQL syntax; check the manual that corresponds to your MariaDB server version/);
});

test("a MariaDB replica's queries get the answers the upstream gives (values of the relay's own where they differ)", async () => {
  const [master] = await stack.up.query('SHOW MASTER STATUS');
  const posArgs = `'${String(master!.File)}', ${Number(master!.Position)}`;
  const ask = async (side: Side): Promise<Record<string, unknown>> => {
    const conn = await mysql.createConnection({ host: '127.0.0.1', port: side.port, user: side.user, password: side.password, supportBigNumbers: true, bigNumberStrings: true });
    try {
      const q = async (sql: string): Promise<unknown> => (await conn.query(sql))[0];
      await q('SET @master_heartbeat_period= 2000000000');
      await q('SET @master_binlog_checksum= @@global.binlog_checksum');
      await q('SET @mariadb_slave_capability=4');
      await q("SET @slave_connect_state='0-11-1'");
      await q('SET @slave_gtid_strict_mode=1');
      await q('SET @slave_gtid_ignore_duplicates=0');
      await q('SET NAMES latin1');
      return {
        checksum: await q('SELECT @master_binlog_checksum'),
        domain: await q('SELECT @@GLOBAL.gtid_domain_id'),
        state: await q('SELECT @slave_connect_state, @mariadb_slave_capability'),
        gtidPos: await q(`SELECT binlog_gtid_pos(${posArgs})`),
        gtidPosStart: await q("SELECT binlog_gtid_pos('', 4)"),
        gtidPosBad: await q(`SELECT binlog_gtid_pos('${String(master!.File)}', 5)`),
        binaryLogs: await q('SHOW BINARY LOGS'),
        masterStatus: await q('SHOW MASTER STATUS'),
        binlogPos: await q('SELECT @@gtid_binlog_pos, @@global.gtid_current_pos, @@binlog_checksum'),
        checksumVar: await q("SHOW GLOBAL VARIABLES LIKE 'binlog_checksum'"),
        manyVars: await q("SHOW VARIABLES WHERE Variable_name IN ('binlog_format', 'log_bin')"),
        version: ((await q('SELECT VERSION() AS v')) as { v: string }[])[0]!.v.replace(/-(0\+deb12u1|binrelay)-log$/, ''),
        serverIdVar: ((await q("SHOW VARIABLES LIKE 'SERVER_ID'")) as { Variable_name: string }[]).map((r) => r.Variable_name),
        // What a monitor of a master reads: booleans SELECT as 1/0, an unset report_host as NULL.
        flags: await q("SELECT @@log_bin, @@log_slave_updates, @@gtid_strict_mode, @@autocommit, IFNULL(@@global.report_host, ''), COALESCE(NULL, @@report_host)"),
        flagTexts: await q("SHOW VARIABLES WHERE Variable_name IN ('log_bin', 'autocommit', 'gtid_strict_mode', 'report_host')"),
        uptimeNames: ((await q("SHOW GLOBAL STATUS LIKE 'Uptime%'")) as { Variable_name: string }[]).map((r) => r.Variable_name),
      };
    } finally {
      await conn.end();
    }
  };
  const ours = await ask(relay());
  const theirs = await ask(upstream());
  assert.deepEqual(ours, theirs);
  const conn = await mysql.createConnection({ host: '127.0.0.1', port: stack.port, user: RELAY_USER, password: RELAY_PASSWORD });
  try {
    // Unlike the upstream (semi-sync built in), the relay offers none: no such variable, so a
    // replica with rpl_semi_sync_slave_enabled falls back to asynchronous replication.
    const [semisync] = await conn.query("SHOW VARIABLES LIKE 'rpl_semi_sync_master_enabled'");
    assert.deepEqual(semisync, []);
    const [[row]] = (await conn.query("SELECT UNIX_TIMESTAMP() AS t")) as unknown as [{ t: number }[]];
    assert.ok(Math.abs(row!.t - Date.now() / 1000) < 5);
    const [vars] = await conn.query("SHOW VARIABLES LIKE 'SERVER_ID'");
    assert.deepEqual(vars, [{ Variable_name: 'server_id', Value: String(RELAY_SERVER_ID) }]);
    const [[connected]] = (await conn.query("SHOW STATUS WHERE Variable_name = 'Threads_connected'")) as unknown as [{ Value: string }[]];
    assert.ok(Number(connected!.Value) >= 1, `this connection counts: ${connected!.Value}`);
    // The relay replicates from no one, as far as its replicas can tell (the upstream's repl user
    // may not even ask: SLAVE MONITOR).
    const [replicaStatus] = await conn.query('SHOW SLAVE STATUS');
    assert.deepEqual(replicaStatus, []);
  } finally {
    await conn.end();
  }
});

test('a second dump with the same server_id replaces the first, which gets the error the upstream sends', async () => {
  const outcome = async (side: Side): Promise<{ code: number; message: string }> => {
    const first = await dumpAtEnd(side, 77);
    assert.equal(eventOf(await first.client.read()).type, 4); // fake ROTATE
    assert.equal(eventOf(await first.client.read()).type, 15); // FDE
    const second = await dumpAtEnd(side, 77);
    assert.equal(eventOf(await second.client.read()).type, 4);
    const err = await first.client.read();
    assert.equal(err.payload[0], 0xff);
    await first.client.closed;
    second.client.destroy();
    return { code: err.payload.readUInt16LE(1), message: err.payload.toString('utf8', 9) };
  };
  const ours = await outcome(relay());
  const theirs = await outcome(upstream());
  assert.equal(ours.code, 4052);
  assert.deepEqual(ours, theirs);
  await waitFor('replaced and closed dumps to leave the replica list', () => stack.server.replicas().length === 0, 5000);
});

test('heartbeats arrive at the asked period while idle, continue the sequence ids and carry the end position', async () => {
  const { client, file, pos } = await dumpAtEnd(relay(), 78, 300);
  const rotate = await client.read();
  assert.equal(rotate.seq, 1);
  assert.equal(eventOf(rotate).type, 4);
  assert.equal(eventOf(await client.read()).type, 15);
  assert.equal(stack.server.replicas().find((r) => r.server_id === 78)?.file, file);
  let last = Date.now();
  let seq = 2;
  for (let i = 0; i < 3; i++) {
    const hb = await client.read(3000);
    const now = Date.now();
    assert.equal(hb.seq, ++seq);
    const ev = eventOf(hb);
    assert.equal(ev.type, 27, 'HEARTBEAT_LOG_EVENT');
    assert.equal(ev.logPos, pos);
    assert.equal(ev.serverId, 11, "the upstream's server_id, as its own heartbeats have");
    assert.equal(ev.body.toString('latin1'), file);
    assert.ok(crcOk(ev.event), 'heartbeat CRC32');
    assert.ok(now - last >= 250 && now - last < 1500, `heartbeat after ${now - last} ms`);
    last = now;
  }
  // A commit wakes the stream at once: its events come next, then heartbeats again.
  const sent = Date.now();
  await stack.up.exec("INSERT INTO app.t VALUES (10, 'hb')");
  const gtid = eventOf(await client.read(3000));
  assert.equal(gtid.type, 162, 'MARIADB_GTID');
  assert.ok(Date.now() - sent < 1000, `new events arrived after ${Date.now() - sent} ms`);
  let ev = gtid;
  while (ev.type !== 16) ev = eventOf(await client.read(3000));
  const hb = eventOf(await client.read(3000));
  assert.equal(hb.type, 27);
  assert.equal(hb.logPos, ev.logPos, 'the heartbeat names the new end');
  client.destroy();
  await waitFor('the closed dump to leave the list', () => !stack.server.replicas().some((r) => r.server_id === 78), 5000);
});

test("the relay's heartbeat is byte-identical to the upstream's at the same position", async () => {
  const first = async (side: Side): Promise<Buffer> => {
    const { client } = await dumpAtEnd(side, 79, 100);
    await client.read();
    await client.read();
    const hb = Buffer.from((await client.read(3000)).payload);
    client.destroy();
    return hb;
  };
  assert.deepEqual(await first(relay()), await first(upstream()));
});

test('KILL <id> of a dumping connection ends it; KILL of an unknown id is ERROR 1094', async () => {
  const { client, id } = await dumpAtEnd(relay(), 80);
  await client.read();
  await waitFor('the dump to be listed', () => stack.server.replicas().some((r) => r.server_id === 80), 5000);
  const conn = await mysql.createConnection({ host: '127.0.0.1', port: stack.port, user: RELAY_USER, password: RELAY_PASSWORD });
  try {
    await conn.query(`KILL ${id}`);
    await client.closed;
    await waitFor('the killed dump to leave the list', () => !stack.server.replicas().some((r) => r.server_id === 80), 5000);
    await assert.rejects(conn.query('KILL 999999'), (err: { errno?: number; message?: string }) => err.errno === 1094 && err.message === 'Unknown thread id: 999999');
    const [rows] = await conn.query('SELECT 1 AS one');
    assert.deepEqual(rows, [{ one: 1 }]);
  } finally {
    await conn.end();
  }
});

test('SHOW PROCESSLIST lists a caught-up dump, an idle session and the asking one as the upstream lists the same three', async () => {
  const listed = async (side: Side, serverId: number): Promise<Record<string, unknown>[]> => {
    const dump = await dumpAtEnd(side, serverId);
    await dump.client.read(); // the fake rotate: the dump runs
    const idle = await mysql.createConnection({ host: '127.0.0.1', port: side.port, user: side.user, password: side.password });
    const me = await mysql.createConnection({ host: '127.0.0.1', port: side.port, user: side.user, password: side.password });
    try {
      const [[{ id: idleId }]] = await idle.query('SELECT CONNECTION_ID() AS id') as unknown as [[{ id: number }]];
      const [[{ id: myId }]] = await me.query('SELECT CONNECTION_ID() AS id') as unknown as [[{ id: number }]];
      let rows: Record<string, unknown>[] = [];
      // The upstream's dump thread enters its waiting state right after the last event.
      await waitFor(`${side.port}: the dump to wait for updates`, async () => {
        [rows] = await me.query('SHOW PROCESSLIST') as unknown as [Record<string, unknown>[]];
        return rows.some((r) => r.Id === dump.id && String(r.State).includes('waiting'));
      }, 5000);
      const role = new Map([[dump.id, 'dump'], [idleId, 'idle'], [myId, 'me']]);
      return rows.filter((r) => role.has(Number(r.Id))).map((r) => {
        assert.match(String(r.Host), /^127\.0\.0\.1:\d+$/);
        assert.ok(Number(r.Time) >= 0 && Number(r.Time) < 60, String(r.Time));
        return { role: role.get(Number(r.Id)), User: r.User, db: r.db, Command: r.Command, State: r.State, Info: r.Info, Progress: r.Progress };
      });
    } finally {
      dump.client.destroy();
      await idle.end();
      await me.end();
    }
  };
  const up = await listed(upstream(), 91);
  const ours = await listed(relay(), 92);
  assert.equal(ours.length, 3);
  assert.deepEqual(ours.map(({ User, ...r }) => ({ ...r, User: User === RELAY_USER ? 'repl' : User })), up);
});

test('mariadb-admin ping, status, processlist and variables answer as against the upstream', async () => {
  const admin = (side: Side, ...args: string[]) => run('mariadb-admin', ['-h127.0.0.1', `-P${side.port}`, `-u${side.user}`, `-p${side.password}`, ...args]);
  for (const side of [upstream(), relay()]) {
    const ping = await admin(side, 'ping');
    assert.deepEqual([ping.code, ping.stdout.trim()], [0, 'mysqld is alive'], ping.stderr);
    // COM_STATISTICS: the one-line summary, the same fields in the same order.
    const status = await admin(side, 'status');
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout.trim(), /^Uptime: \d+ {2}Threads: \d+ {2}Questions: \d+ {2}Slow queries: \d+ {2}Opens: \d+ {2}Open tables: \d+ {2}Queries per second avg: \d+\.\d{3}$/);
    const list = await admin(side, '--verbose', 'processlist');
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /\| Id +\| User +\| Host +\| db +\| Command +\| Time +\| State +\| Info +\| Progress +\|/);
    assert.match(list.stdout, /\| Query +\| 0 +\| starting +\| show full processlist +\| 0\.000 +\|/);
    const vars = await admin(side, 'variables');
    assert.equal(vars.code, 0, vars.stderr);
    assert.match(vars.stdout, /\| server_id +\| \d+ +\|/);
  }
});

test('COM_RESET_CONNECTION forgets the session\'s user variables; COM_SET_OPTION is answered with EOF; both as on the upstream', async () => {
  for (const side of [upstream(), relay()]) {
    const { client } = await rawSession(side, ["SET @x = 'kept'"]);
    try {
      /** The row of SELECT @x: a length-prefixed value, or 0xFB for NULL. */
      const selectX = async (): Promise<Buffer> => {
        client.write(0, Buffer.concat([Buffer.of(0x03), Buffer.from('SELECT @x')]));
        // column count, column, EOF, the row, EOF (the raw client does not deprecate EOF)
        const packets: RawPacket[] = [];
        for (let eofs = 0; eofs < 2;) {
          const p = await client.read();
          packets.push(p);
          if (p.payload[0] === 0xfe && p.payload.length < 9) eofs++;
        }
        return packets[packets.length - 2]!.payload;
      };
      assert.deepEqual(await selectX(), Buffer.from('\x04kept', 'latin1'), `${side.port}`);
      client.write(0, Buffer.of(0x1f));
      assert.equal((await client.read()).payload[0], 0x00, `${side.port}: OK to COM_RESET_CONNECTION`);
      assert.deepEqual(await selectX(), Buffer.of(0xfb), `${side.port}`);
      client.write(0, Buffer.of(0x1b, 0x00, 0x00));
      const eof = await client.read();
      assert.deepEqual([eof.payload[0], eof.payload.length], [0xfe, 5], `${side.port}: EOF to COM_SET_OPTION`);
    } finally {
      client.destroy();
    }
  }
});

test('a client socket that dies is noticed through its close event', async () => {
  const { client } = await dumpAtEnd(relay(), 81);
  await client.read();
  await waitFor('the dump to be listed', () => stack.server.replicas().some((r) => r.server_id === 81), 5000);
  client.socket.resetAndDestroy();
  await waitFor('the dead dump to leave the list', () => !stack.server.replicas().some((r) => r.server_id === 81), 5000);
});
