// One client connection after login: answers its queries from the session's variables and the
// relay, records COM_REGISTER_SLAVE, and runs its dump. A dump is the last command of a
// connection: the server closes it when the dump ends.
import type { Logger } from 'pino';
import { COM_BINLOG_DUMP, COM_BINLOG_DUMP_GTID, COM_REGISTER_SLAVE, COM_RESET_CONNECTION, COM_SET_OPTION, COM_STATISTICS, commandName } from '../mysql/command-codes.js';
import type { CommandHandler } from '../mysql/command-handler.js';
import type { ServerConnection } from '../mysql/server-connection.js';
import type { PurgeRequest, PurgeResult } from '../relaylog/purge.js';
import { DumpRequestError, parseBinlogDump, parseBinlogDumpGtid, parseRegisterSlave, type DumpRequest } from './dump-request.js';
import { DumpStream } from './dump-stream.js';
import type { FloodGuardedLog } from './flood-guarded-log.js';
import { listBinlogEvents } from './binlog-events-listing.js';
import { answerQuery, type Answer, type BinaryLogInfo, type ResponderContext } from './query-responder.js';
import type { RelaySource } from './relay-source.js';
import type { ReplicaRegistry } from './replica-registry.js';
import { SessionVariables } from './session-variables.js';
import { SessionWarnings } from './session-warnings.js';
import { redactSql } from './sql-redaction.js';
import type { ServerFacts } from './system-variables.js';
import { statisticsLine, type ServerCounters } from './status-variables.js';

/** What every session shares: the server's side. */
export interface SessionContext {
  source: RelaySource;
  registry: ReplicaRegistry;
  logger: Logger;
  /** For lines a client can cause at will (refused statements, malformed commands). */
  clientLog: FloodGuardedLog;
  serverId: number;
  facts(flavor: 'mariadb' | 'mysql'): ServerFacts;
  binaryLogs(): BinaryLogInfo[];
  /** What SHOW STATUS lists. */
  counters(): ServerCounters;
  /** A client sent a statement (the Questions counter). */
  questionAsked(): void;
  kill(connId: number): boolean;
  /** PURGE BINARY LOGS; rejects with PurgeError (PURGE_UNAVAILABLE when this server cannot purge). */
  purgeBinaryLogs(request: PurgeRequest): Promise<PurgeResult>;
  /** Resolves when a dump ends (BinlogServer.stop waits for them). */
  track(done: Promise<unknown>): void;
}

export class ReplicaSession implements CommandHandler {
  vars = new SessionVariables();
  warnings = new SessionWarnings();
  readonly #ctx: SessionContext;
  readonly #conn: ServerConnection;
  readonly #flavor: 'mariadb' | 'mysql';

  constructor(ctx: SessionContext, conn: ServerConnection) {
    this.#ctx = ctx;
    this.#conn = conn;
    this.#flavor = conn.flavor;
  }

  async onQuery(sql: string, conn: ServerConnection): Promise<void> {
    const ctx = this.#ctx;
    ctx.questionAsked();
    const responder: ResponderContext = {
      facts: ctx.facts(this.#flavor),
      vars: this.vars,
      connectionId: conn.id,
      user: conn.user ?? '',
      clientHost: conn.remoteAddress,
      database: conn.database,
      binaryLogs: () => ctx.binaryLogs(),
      replicaHosts: () => ctx.registry.hosts(),
      processes: () => ctx.registry.processes(),
      kill: (id) => ctx.kill(id),
      binlogGtidPos: (file, pos) => ctx.source.binlogGtidPos(file, pos),
      binlogEvents: (request) => listBinlogEvents(ctx.source, this.#flavor, request),
      purgeBinaryLogs: (request) => ctx.purgeBinaryLogs(request),
      dumpsReading: (file) => ctx.registry.dumpsReading(file),
      counters: () => ctx.counters(),
      warnings: this.warnings,
      now: () => new Date(),
    };
    const answer: Answer = await answerQuery(sql, responder);
    switch (answer.kind) {
      case 'ok':
        conn.sendOk({ warnings: answer.warnings?.length ?? 0 });
        break;
      case 'rows':
        conn.sendResultSet(answer.columns, answer.rows);
        break;
      case 'row-stream':
        await conn.streamResultSet(answer.columns, answer.batches);
        break;
      case 'error':
        ctx.clientLog.write('info', { event: 'server.query.error', connId: conn.id, code: answer.code, sql: redactSql(sql) }, 'statement refused');
        conn.sendError(answer.code, answer.message, answer.sqlState);
        break;
    }
    ctx.registry.statementEnded(conn.id);
  }

  async onCommand(command: number, payload: Buffer, conn: ServerConnection): Promise<boolean> {
    const ctx = this.#ctx;
    try {
      switch (command) {
        case COM_REGISTER_SLAVE: {
          const reg = parseRegisterSlave(payload);
          const params = this.vars.dumpParameters(this.#flavor);
          ctx.registry.register(conn.id, reg, params.replicaUuid, params.connectState !== null);
          ctx.logger.info({ event: 'server.register', connId: conn.id, serverId: reg.serverId, host: reg.host, port: reg.port }, 'replica registered');
          conn.sendOk();
          return true;
        }
        case COM_BINLOG_DUMP:
          await this.#dump(parseBinlogDump(payload));
          return true;
        case COM_STATISTICS:
          // A bare string, no OK header (mariadb-admin status prints it as it comes).
          conn.writePayload(Buffer.from(statisticsLine(ctx.counters()), 'latin1'));
          return true;
        case COM_RESET_CONNECTION:
          // Connection pools start a borrowed session afresh: user variables, warnings and the
          // dump parameters set with them are gone.
          this.vars = new SessionVariables();
          this.warnings = new SessionWarnings();
          conn.sendOk();
          return true;
        case COM_SET_OPTION:
          // Multi-statements on or off: statements are answered one per packet either way.
          conn.sendEof();
          return true;
        case COM_BINLOG_DUMP_GTID:
          // MariaDB answers ER_UNKNOWN_COM_ERROR: its replicas pass the GTID position in
          // @slave_connect_state instead.
          if (this.#flavor !== 'mysql') return false;
          await this.#dump(parseBinlogDumpGtid(payload));
          return true;
        default:
          ctx.logger.debug({ event: 'server.command.unknown', connId: conn.id, command: commandName(command) }, 'command not supported');
          return false;
      }
    } catch (err) {
      if (!(err instanceof DumpRequestError)) throw err;
      ctx.clientLog.write('warn', { event: 'server.command.malformed', connId: conn.id, command: commandName(command), error: err.message }, 'malformed command');
      conn.sendError(err.errno, err.message);
      return true;
    }
  }

  async #dump(request: DumpRequest): Promise<void> {
    const ctx = this.#ctx;
    const conn = this.#conn;
    const params = this.vars.dumpParameters(this.#flavor);
    const dump = new DumpStream({
      conn, request, params, flavor: this.#flavor, source: ctx.source, serverId: ctx.serverId,
      logger: ctx.logger.child({ connId: conn.id }),
    });
    for (const older of ctx.registry.dumpStarted(conn.id, dump, params.replicaUuid, this.#flavor)) {
      ctx.logger.info({ event: 'server.dump.replaced', connId: conn.id, serverId: dump.serverId }, 'a dump with the same server_id replaces an older one');
      older.kill('replaced');
    }
    const done = dump.run();
    ctx.track(done);
    try {
      await done;
    } finally {
      ctx.registry.dumpEnded(conn.id, dump);
    }
  }
}
