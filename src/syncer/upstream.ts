// One replica connection to the upstream: mysql2 does the handshake and the session queries, then
// our BinlogDumpCommand takes over the connection. The session variables are the ones a real
// replica sets (notes: MariaDB §3.2, MySQL §1.2) so the upstream sends every event unchanged:
// checksums kept, ANNOTATE_ROWS included, GTID events not rewritten for old clients.
import mysql from 'mysql2';
import type { Connection } from 'mysql2';
import { explainPlaintextRefusal, resolveUpstreamSecrets, type UpstreamSecretRefs } from './upstream-secrets.js';
import { BinlogDumpCommand, BINLOG_SEND_ANNOTATE_ROWS_EVENT, semiSyncAckPacket, type DumpRequest, type Mysql2Wire } from './dump-command.js';

export type UpstreamFlavor = 'mariadb' | 'mysql';

export interface UpstreamInfo {
  flavor: UpstreamFlavor;
  version: string;
  serverId: number;
  /** MySQL's @@server_uuid (MariaDB has none). */
  serverUuid: string | null;
}

export interface UpstreamConnectOptions extends UpstreamSecretRefs {
  addr: string;
  user: string;
  /** Heartbeat period asked of the upstream; silence for 3 periods means the link is dead. */
  heartbeatMs: number;
  connectTimeoutMs: number;
  /** Ask to be a semi-sync replica (acks are sent only after raft commit). */
  semiSync: boolean;
}

export class UpstreamSession {
  /** The upstream accepted this session as a semi-sync replica. */
  semiSync = false;

  private constructor(
    readonly connection: Connection,
    readonly info: UpstreamInfo,
  ) {}

  static async open(options: UpstreamConnectOptions): Promise<UpstreamSession> {
    const [host, port] = splitAddr(options.addr);
    // Read here, at each connect: a password file or certificate renewed meanwhile is picked up.
    const { password, ssl } = await resolveUpstreamSecrets(options);
    const connection = mysql.createConnection({
      host, port, user: options.user, password, ssl,
      connectTimeout: options.connectTimeoutMs, supportBigNumbers: true, bigNumberStrings: true,
    });
    connection.on('error', () => undefined); // surfaced through the dump's close handling
    try {
      const rows = await query(connection, 'SELECT VERSION() AS v, @@GLOBAL.server_id AS id');
      const version = String(rows[0]?.v ?? '');
      const flavor = /mariadb/i.test(version) ? 'mariadb' : 'mysql';
      const uuid = flavor === 'mysql' ? await query(connection, 'SELECT @@GLOBAL.server_uuid AS u') : [];
      const info: UpstreamInfo = {
        flavor, version, serverId: Number(rows[0]?.id ?? 0),
        serverUuid: uuid[0]?.u ? String(uuid[0].u) : null,
      };
      const session = new UpstreamSession(connection, info);
      await session.prepare(options.heartbeatMs);
      if (options.semiSync) await session.enableSemiSync();
      return session;
    } catch (err) {
      connection.destroy();
      throw explainPlaintextRefusal(err, options);
    }
  }

  private async prepare(heartbeatMs: number): Promise<void> {
    const ns = BigInt(heartbeatMs) * 1_000_000n;
    if (this.info.flavor === 'mariadb') {
      await query(this.connection, `SET @master_heartbeat_period = ${ns}`);
      await query(this.connection, 'SET @master_binlog_checksum = @@global.binlog_checksum');
      await query(this.connection, 'SET @mariadb_slave_capability = 4');
    } else {
      await query(this.connection, `SET @master_heartbeat_period = ${ns}, @source_heartbeat_period = ${ns}`);
      await query(this.connection,
        'SET @master_binlog_checksum = @@global.binlog_checksum, @source_binlog_checksum = @@global.binlog_checksum');
    }
  }

  /** Registers as a semi-sync replica the way real replicas do (MariaDB notes §3.2, MySQL §1.2);
   *  an upstream without semi-sync leaves the session asynchronous. */
  private async enableSemiSync(): Promise<void> {
    if (this.info.flavor === 'mariadb') {
      const rows = await query(this.connection, "SHOW VARIABLES LIKE 'rpl_semi_sync_master_enabled'");
      if (rows.length === 0) return;
      await query(this.connection, 'SET @rpl_semi_sync_slave = 1');
    } else {
      try {
        await query(this.connection, 'SELECT @@global.rpl_semi_sync_source_enabled');
      } catch {
        try {
          await query(this.connection, 'SELECT @@global.rpl_semi_sync_master_enabled');
        } catch {
          return;
        }
      }
      await query(this.connection, 'SET @rpl_semi_sync_replica = 1, @rpl_semi_sync_slave = 1');
    }
    this.semiSync = true;
  }

  /** Sends a semi-sync ack for everything up to file:pos. */
  ack(file: string, pos: number): void {
    this.wire.stream.write(semiSyncAckPacket(file, pos));
  }

  /** The upstream's binlog files, oldest first. */
  async binaryLogs(): Promise<string[]> {
    const rows = await query(this.connection, 'SHOW BINARY LOGS');
    return rows.map((r) => String(r.Log_name));
  }

  /** Every transaction in the upstream's binlog: MariaDB's @@gtid_binlog_pos, MySQL's
   *  @@gtid_executed (text form, whitespace removed). */
  async gtidState(): Promise<string> {
    const sql = this.info.flavor === 'mariadb' ? 'SELECT @@GLOBAL.gtid_binlog_pos AS p' : 'SELECT @@GLOBAL.gtid_executed AS p';
    const rows = await query(this.connection, sql);
    return String(rows[0]?.p ?? '').replace(/\s+/g, '');
  }

  /** MariaDB: the GTID position at file:pos of this server's binlog (null when it has no such
   *  place), which tells whether the relay's file:pos means the same history here. */
  async binlogGtidPos(file: string, pos: number): Promise<string | null> {
    try {
      const rows = await query(this.connection, `SELECT BINLOG_GTID_POS(${this.connection.escape(file)}, ${Math.trunc(pos)}) AS p`);
      const p = rows[0]?.p;
      return p === null || p === undefined ? null : String(p);
    } catch {
      return null;
    }
  }

  /** MariaDB GTID mode: the start position travels in a session variable. */
  async setMariaDbConnectState(gtids: string): Promise<void> {
    await query(this.connection, `SET @slave_connect_state = ${this.connection.escape(gtids)}`);
    await query(this.connection, 'SET @slave_gtid_strict_mode = 1');
    await query(this.connection, 'SET @slave_gtid_ignore_duplicates = 0');
  }

  dumpFlags(): number {
    return this.info.flavor === 'mariadb' ? BINLOG_SEND_ANNOTATE_ROWS_EVENT : 0;
  }

  /** Starts the dump; from here on the connection carries only the event stream. */
  startDump(request: DumpRequest): BinlogDumpCommand {
    const command = new BinlogDumpCommand(request, this.semiSync);
    (this.connection as unknown as { addCommand(c: BinlogDumpCommand): void }).addCommand(command);
    return command;
  }

  /** The socket under the connection (for close events). */
  get wire(): Mysql2Wire & { stream: NodeJS.EventEmitter & { destroy(): void; write(b: Buffer): boolean } } {
    return this.connection as unknown as Mysql2Wire & { stream: NodeJS.EventEmitter & { destroy(): void; write(b: Buffer): boolean } };
  }

  pause(): void {
    this.connection.pause();
  }

  resume(): void {
    this.connection.resume();
  }

  /** Tears the link down at once. mysql2's destroy() only half-closes (stream.end()), and an
   *  upstream dump thread keeps the other half open, so the socket is destroyed as well. */
  close(): void {
    this.connection.destroy();
    this.wire.stream.destroy();
  }
}

function splitAddr(addr: string): [string, number] {
  const at = addr.lastIndexOf(':');
  return [addr.slice(0, at), Number(addr.slice(at + 1))];
}

function query(connection: Connection, sql: string): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => {
    connection.query(sql, (err, rows) => {
      if (err) reject(err);
      else resolve(Array.isArray(rows) ? (rows as Record<string, unknown>[]) : []);
    });
  });
}
