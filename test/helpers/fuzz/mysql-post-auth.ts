// Fuzz surface: the binlog server after a correct login with the relay's user. Each session sends
// a few of: random COM_* bytes with random payloads, (mutated) COM_QUERY texts of what replicas
// and clients send (SHOW VARIABLES LIKE with generated patterns, SET @vars, SELECT @@…), very long
// queries, mutated COM_REGISTER_SLAVE, and COM_BINLOG_DUMP / COM_BINLOG_DUMP_GTID with mutated
// file names, positions, flags and GTID payloads, after fuzzed dump variables.
//
// Three inputs would legitimately break the real replica the test watches, so the server's own
// parsers pick them out and they are rewritten (never skipped, so the code paths still run):
// - KILL <id> may name the replica's connection: it becomes KILL of this session's own id;
// - PURGE BINARY LOGS would purge for the whole cluster: it names a file that does not exist;
// - a dump with the replica's server_id replaces the replica's dump (as MySQL does): its
//   server_id is changed.
import { buildHandshakeResponse, frame, nativeToken } from '../../e2e/mysql/raw-client.js';
import { parseStatement } from '../../../src/server/statement.js';
import { MAX_STATEMENT_CHARS } from '../../../src/server/session-limits.js';
import { parseBinlogDump, parseBinlogDumpGtid } from '../../../src/server/dump-request.js';
import { type Fuzz, type InputLog, outsiderAddress, withProbe } from './fuzzer.js';
import { firstPayload, greetingOf, type MysqlTarget } from './mysql-pre-auth.js';

export interface PostAuthTarget extends MysqlTarget {
  /** The server_id of the replica the test watches: no fuzzed dump may use it. */
  protectedServerId: number;
  /** Binlog file names the relay holds (mutated into dump requests). */
  files: () => readonly string[];
  /** GTID positions worth starting from (mutated into @slave_connect_state). */
  gtids: () => readonly string[];
}

const COM_QUERY = 0x03;
const COM_BINLOG_DUMP = 0x12;
const COM_REGISTER_SLAVE = 0x15;
const COM_BINLOG_DUMP_GTID = 0x1e;

const QUERIES = [
  'SELECT UNIX_TIMESTAMP()', 'SELECT @@GLOBAL.SERVER_ID', 'SELECT @@global.server_uuid', 'SELECT @@version, @@version_comment',
  'SET @master_heartbeat_period= 30000001024', 'SET @master_binlog_checksum= @@global.binlog_checksum',
  "SET @master_binlog_checksum='NONE'", 'SELECT @master_binlog_checksum', 'SELECT @@GLOBAL.GTID_DOMAIN_ID',
  "SET @slave_connect_state='0-41-1'", 'SET @slave_gtid_strict_mode=1', 'SET @slave_gtid_ignore_duplicates=0',
  'SET @mariadb_slave_capability=4', 'SET @rpl_semi_sync_slave=1', "SET @slave_uuid='3e11fa47-71ca-11e1-9e33-c80aa9429562'",
  "SHOW VARIABLES LIKE 'SERVER_ID'", "SHOW GLOBAL VARIABLES LIKE '%gtid%'", "SHOW VARIABLES LIKE 'binlog\\_%'",
  "SHOW SESSION VARIABLES WHERE Variable_name IN ('a','b')", 'SELECT @@global.gtid_binlog_pos, @@gtid_current_pos, @@gtid_slave_pos',
  'SHOW MASTER STATUS', 'SHOW BINARY LOGS', 'SHOW SLAVE HOSTS', 'SHOW REPLICAS', 'SHOW WARNINGS', 'SHOW ERRORS',
  "SHOW BINLOG EVENTS IN 'up-bin.000001' FROM 4 LIMIT 2, 5", 'SHOW BINLOG EVENTS LIMIT 18446744073709551615', 'SHOW RELAYLOG EVENTS',
  "SHOW GRANTS FOR 'repl'@'%'", 'SHOW GRANTS FOR CURRENT_USER()', 'DO 1, @@log_bin_basename',
  'SET NAMES utf8mb4 COLLATE utf8mb4_general_ci', "SET @a = 1, @b := 'x', @@session.wait_timeout = 10",
  'SELECT VERSION(), NOW(), DATABASE(), USER(), CONNECTION_ID(), 1 + 1, -5, NULL, "s"',
  'SELECT @@max_allowed_packet, @@net_write_timeout, @@system_time_zone, @@time_zone', 'USE test', 'KILL 1', 'KILL QUERY 2',
  "PURGE BINARY LOGS TO 'up-bin.000002'", "PURGE MASTER LOGS BEFORE '2020-01-01 00:00:00'", 'SELECT 1 /* c */; SELECT 2',
  'SET @@global.rpl_semi_sync_master_enabled = 1', "SET @@SESSION.sql_mode='STRICT_ALL_TABLES'", 'SELECT ((((((((1))))))))',
];
const LIKE_CHARS = ['%', '_', '\\', 'a', 'e', 'g', 't', 'i', 'd', 's', "''", 'x'];

/** A query with the two cluster-wide effects (KILL another session, PURGE) rewritten. */
function defused(sql: string, ownConnectionId: number): string {
  if (sql.length > MAX_STATEMENT_CHARS) return sql; // refused unread
  let stmt: ReturnType<typeof parseStatement> = null;
  try {
    stmt = parseStatement(sql);
  } catch {
    return sql; // a parser exception is the server's to meet
  }
  if (stmt?.kind === 'kill') return `KILL ${ownConnectionId}`;
  if (stmt?.kind === 'purge-binary-logs') return "PURGE BINARY LOGS TO 'fuzz-none.000001'";
  return sql;
}

function query(fuzz: Fuzz): string {
  switch (fuzz.int(4)) {
    case 0: {
      let pattern = '';
      for (let i = fuzz.size(80); i > 0; i--) pattern += fuzz.pick(LIKE_CHARS);
      return `SHOW ${fuzz.pick(['', 'GLOBAL ', 'SESSION '])}VARIABLES LIKE '${pattern}'`;
    }
    case 1: {
      // Long texts, now and then up to 1 MiB (4 × MAX_STATEMENT_CHARS): none may stall the server.
      // (Longer payloads, up to max_allowed_packet's 16 MiB, are left out: copying and decoding a
      // payload alone costs about 17 ms per MiB on a loaded 2-core machine, which is memory
      // bandwidth, not the node's logic, and would decide the 100 ms check on its own.)
      const n = fuzz.chance(0.2) ? fuzz.range(300_000, 1_000_000) : fuzz.range(1000, 300_000);
      const text = fuzz.pick([
        () => `${fuzz.pick(['SELECT ', 'SHOW VARIABLES LIKE ', 'SET @a=', ''])}${fuzz.pick(["'%", '(', 'a,', '@@a,', '/*', '%_', ' '] as const).repeat(n)}`,
        () => `SELECT '${'a'.repeat(n * 4)}'`,
        () => `SET @slave_connect_state = '${'\\n'.repeat(n * 2)}'`,
        () => `SELECT \`${'b'.repeat(n * 4)}\``,
        () => `SELECT 1${' '.repeat(n * 4)}`,
        () => `SELECT 1 -- ${'c'.repeat(n * 4)}`,
      ])();
      return text.slice(0, 1 << 20);
    }
    default:
      return fuzz.chance(0.25) ? fuzz.pick(QUERIES) : fuzz.mutateText(fuzz.pick(QUERIES), 4);
  }
}

function registerSlave(fuzz: Fuzz): Buffer {
  const str = (s: string): Buffer => {
    const b = Buffer.from(s, 'utf8').subarray(0, 255);
    return Buffer.concat([Buffer.from([b.length]), b]);
  };
  const tail = Buffer.alloc(10);
  tail.writeUInt16LE(fuzz.int(65536), 0);
  tail.writeUInt32LE(fuzz.u32(), 2);
  tail.writeUInt32LE(fuzz.u32(), 6);
  const head = Buffer.alloc(5);
  head[0] = COM_REGISTER_SLAVE;
  head.writeUInt32LE(fuzz.u32(), 1);
  const body = Buffer.concat([head, str(fuzz.mutateText('replica-host')), str('u'.repeat(fuzz.size(300))), str(''), tail]);
  return fuzz.chance(0.5) ? fuzz.mutate(body) : body;
}

function fileName(fuzz: Fuzz, target: PostAuthTarget): string {
  const files = target.files();
  const real = files.length > 0 ? fuzz.pick(files) : 'up-bin.000001';
  return fuzz.pick([
    () => real, () => '', () => fuzz.mutateText(real), () => `../../${real}`, () => '/etc/passwd', () => real.replace(/\d+$/, '999999'),
    () => 'x'.repeat(fuzz.range(500, 600)), () => `${real}\0tail`,
  ])();
}

function position(fuzz: Fuzz): number {
  return fuzz.pick([4, 0, 1, 3, 120, 256, fuzz.int(5000), fuzz.u32()]);
}

function binlogDump(fuzz: Fuzz, target: PostAuthTarget): Buffer {
  const name = Buffer.from(fileName(fuzz, target), 'utf8');
  const head = Buffer.alloc(11);
  head[0] = COM_BINLOG_DUMP;
  head.writeUInt32LE(position(fuzz), 1);
  head.writeUInt16LE(fuzz.pick([0, 1, 2, 3, fuzz.int(65536)]), 5);
  head.writeUInt32LE(fuzz.pick([0, 1000 + fuzz.int(1000), fuzz.u32()]), 7);
  const body = Buffer.concat([head, name]);
  return fuzz.chance(0.3) ? fuzz.mutate(body) : body;
}

/** MySQL's binary GTID set: n_sids u64, per sid: uuid[16] · n_intervals u64 · (start, end) u64 pairs. */
function mysqlGtidPayload(fuzz: Fuzz): Buffer {
  const parts: Buffer[] = [];
  const sids = fuzz.chance(0.1) ? fuzz.u32() : fuzz.size(4);
  const count = Buffer.alloc(8);
  count.writeBigUInt64LE(BigInt(sids));
  parts.push(count);
  for (let s = 0; s < Math.min(sids, 4); s++) {
    parts.push(fuzz.bytes(16));
    const n = fuzz.chance(0.1) ? fuzz.u32() : fuzz.size(3);
    const nb = Buffer.alloc(8);
    nb.writeBigUInt64LE(BigInt(n));
    parts.push(nb);
    for (let i = 0; i < Math.min(n, 3); i++) {
      const iv = Buffer.alloc(16);
      iv.writeBigUInt64LE(BigInt(fuzz.u32()), 0);
      iv.writeBigUInt64LE(BigInt(fuzz.u32()), 8);
      parts.push(iv);
    }
  }
  return Buffer.concat(parts);
}

function binlogDumpGtid(fuzz: Fuzz, target: PostAuthTarget): Buffer {
  const name = Buffer.from(fileName(fuzz, target), 'utf8');
  const data = mysqlGtidPayload(fuzz);
  const head = Buffer.alloc(11);
  head[0] = COM_BINLOG_DUMP_GTID;
  head.writeUInt16LE(fuzz.pick([0, 1, 4, 5, fuzz.int(65536)]), 1);
  head.writeUInt32LE(fuzz.pick([0, 1000 + fuzz.int(1000)]), 3);
  head.writeUInt32LE(fuzz.chance(0.9) ? name.length : fuzz.u32(), 7);
  const pos = Buffer.alloc(8);
  pos.writeBigUInt64LE(BigInt(position(fuzz)));
  const size = Buffer.alloc(4);
  size.writeUInt32LE(fuzz.chance(0.9) ? data.length : fuzz.u32());
  const body = Buffer.concat([head, name, pos, size, data]);
  return fuzz.chance(0.3) ? fuzz.mutate(body) : body;
}

/** The dump with its server_id moved off the protected replica's (see the header). */
function spared(payload: Buffer, protectedId: number): Buffer {
  const at = payload[0] === COM_BINLOG_DUMP ? 7 : 3;
  const parse = payload[0] === COM_BINLOG_DUMP ? parseBinlogDump : parseBinlogDumpGtid;
  let serverId: number | null = null;
  try {
    serverId = parse(payload).serverId;
  } catch {
    // malformed: the server refuses it before any replica is touched
  }
  if (serverId !== protectedId) return payload;
  const out = Buffer.from(payload);
  out.writeUInt32LE((protectedId + 1) >>> 0, at);
  return out;
}

/** Variables a replica sets before a dump, fuzzed. */
function dumpVariables(fuzz: Fuzz, target: PostAuthTarget): string[] {
  const gtids = target.gtids();
  const out: string[] = [];
  if (fuzz.chance(0.7)) out.push(`SET @master_binlog_checksum='${fuzz.pick(['CRC32', 'NONE', 'crc32', 'XXX', ''])}'`);
  if (fuzz.chance(0.5)) {
    const state = gtids.length > 0 && fuzz.chance(0.6) ? fuzz.pick(gtids) : '0-41-1';
    out.push(`SET @slave_connect_state='${fuzz.chance(0.5) ? fuzz.mutateText(state) : state}'`);
  }
  if (fuzz.chance(0.4)) out.push(`SET @mariadb_slave_capability=${fuzz.pick([0, 1, 4, 5, 255, -1])}`);
  if (fuzz.chance(0.4)) out.push(`SET @master_heartbeat_period=${fuzz.pick([0, 1, 1000, 1000000, 30000001024, -1, 18446744073709551615])}`);
  if (fuzz.chance(0.3)) out.push(`SET @slave_gtid_strict_mode=${fuzz.int(3)}, @slave_gtid_ignore_duplicates=${fuzz.int(3)}`);
  return out;
}

const quoted = (sql: string): Buffer => Buffer.concat([Buffer.from([COM_QUERY]), Buffer.from(sql, 'utf8')]);

/** One logged-in session of a few commands; false when the login did not succeed. */
export async function mysqlPostAuthSession(fuzz: Fuzz, target: PostAuthTarget, log: InputLog): Promise<boolean> {
  return withProbe(target.port, outsiderAddress(fuzz, 4), false, async (probe) => {
    const greeting = await greetingOf(probe);
    if (!greeting) return false;
    probe.write(frame(1, buildHandshakeResponse({
      user: target.user, authResponse: nativeToken(target.password, greeting.scramble), pluginName: 'mysql_native_password',
    })));
    const ok = firstPayload(await probe.waitFor(5, 3000));
    if (ok?.[0] !== 0x00) {
      log.record(`login refused: ${ok?.toString('hex') ?? 'no answer'}`);
      return false;
    }
    for (let steps = fuzz.range(1, 8); steps > 0 && !probe.closed; steps--) {
      const send = (what: string, payload: Buffer): void => {
        const packet = frame(fuzz.chance(0.9) ? 0 : fuzz.int(256), payload);
        log.record(what, packet);
        probe.write(packet);
      };
      probe.clear();
      const kind = fuzz.int(10);
      if (kind <= 1) {
        const command = fuzz.chance(0.7) ? fuzz.int(0x22) : fuzz.int(256);
        send(`COM 0x${command.toString(16)}`, Buffer.concat([Buffer.from([command]), fuzz.bytes(fuzz.size(400))]));
      } else if (kind <= 5) {
        const sql = defused(query(fuzz), greeting.connectionId);
        send(`COM_QUERY ${sql}`, quoted(sql));
      } else if (kind === 6) {
        send('COM_REGISTER_SLAVE', registerSlave(fuzz));
      } else {
        for (const sql of dumpVariables(fuzz, target)) {
          send(`COM_QUERY ${sql}`, quoted(sql));
          await probe.waitFor(1, 300);
          probe.clear();
        }
        const dump = spared(fuzz.chance(0.75) ? binlogDump(fuzz, target) : binlogDumpGtid(fuzz, target), target.protectedServerId);
        send(dump[0] === COM_BINLOG_DUMP ? 'COM_BINLOG_DUMP' : 'COM_BINLOG_DUMP_GTID', dump);
        // A dump streams (or waits for events) until the connection ends: read a while, then leave.
        await probe.waitFor(Number.MAX_SAFE_INTEGER, fuzz.range(20, 400));
        return true;
      }
      await probe.waitFor(1, 500);
    }
    return true;
  });
}
