// One dump: from COM_BINLOG_DUMP / COM_BINLOG_DUMP_GTID until the client goes, a newer dump with
// the same server_id takes over, or (non-blocking) the end of the relay is reached. It sends what
// a real master sends (notes §5): a fake ROTATE, the file's FORMAT_DESCRIPTION as the dump
// rewrites it, the file's events from the start position, and at each rotation a fake ROTATE and
// the next file's FDE; heartbeats while idle; EOF or ERR at the end, after which the server
// closes the connection. Only committed bytes exist in the relay, so only those are sent; new
// commits wake the stream at once.
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { BINLOG_CHECKSUM_ALG_CRC32, BINLOG_CHECKSUM_ALG_UNDEF } from '../binlog/event-checksum.js';
import { EVENT_LEN_OFFSET, LOG_EVENT_HEADER_LEN } from '../binlog/event-header.js';
import { buildHeartbeat, buildHeartbeatV2 } from '../binlog/heartbeat-event.js';
import { buildFakeMariaDbGtidList } from '../binlog/mariadb-gtid-list-event.js';
import { rewriteFormatDescription } from '../binlog/format-description.js';
import { buildFakeRotate } from '../binlog/rotate-event.js';
import { MariaDbGtidSet } from '../binlog/gtid-set-mariadb.js';
import { encodeEndOfData, encodeErr } from '../mysql/response-packets.js';
import type { ServerConnection } from '../mysql/server-connection.js';
import type { RelayFile } from '../relaylog/relay-files.js';
import { RelayReadError } from '../relaylog/relay-errors.js';
import { ChunkCursor, CursorEventView } from './chunk-cursor.js';
import { DumpError, DumpErrors, type DumpCoordinates } from './dump-errors.js';
import { planDump, zeroCreatedForGtid, type DumpPlan } from './dump-plan.js';
import { BINLOG_DUMP_NON_BLOCK, USE_HEARTBEAT_EVENT_V2, type DumpRequest } from './dump-request.js';
import { PolicyError, MariaDbEventPolicy, MysqlEventPolicy, type EventPolicy } from './event-policy.js';
import { HeartbeatSchedule } from './heartbeat-schedule.js';
import { PacketOutput } from './packet-output.js';
import { SpanReader, type Span } from './span-reader.js';
import type { FileFormat, RelaySource } from './relay-source.js';
import type { DumpParameters } from './session-variables.js';

/** Frames are written early once this much is buffered and the socket has nothing queued. */
const EARLY_FLUSH_BYTES = 64 * 1024;
/** Bytes the socket may hold before the stream waits for it to drain (memory per session). */
const MAX_BACKLOG_BYTES = 1024 * 1024;
/** How long a request past the relay's end waits for this node to catch up. */
const AHEAD_GRACE_MS = 2000;
/** After that, how often a node catching up (no leader yet, say) looks again between commits. */
const CATCH_UP_RECHECK_MS = 500;
/** A client that takes nothing for this long is gone (net_write_timeout). */
const WRITE_TIMEOUT_MS = 60_000;

export interface DumpStreamOptions {
  conn: ServerConnection;
  request: DumpRequest;
  params: DumpParameters;
  flavor: 'mariadb' | 'mysql';
  source: RelaySource;
  /** The relay's own server_id: stands in for fake events when a file's is unknown. */
  serverId: number;
  logger: Logger;
}

export type DumpEnd = 'eof' | 'error' | 'closed' | 'replaced' | 'stopped';

/** What a dump is doing, as SHOW PROCESSLIST's State and Time tell it. */
export interface DumpPhase {
  readonly waiting: boolean;
  readonly sinceMs: number;
}

export class DumpStream {
  readonly request: DumpRequest;
  readonly nonBlocking: boolean;
  readonly #o: DumpStreamOptions;
  readonly #errors: DumpErrors;
  #stop: 'replaced' | 'stopped' | null = null;
  #closed = false;
  #wake: (() => void) | null = null;
  /** The publication this dump woke for, until its bytes are flushed (commit-path metrics). */
  #wokeAtMs: number | null = null;
  #plan: DumpPlan | null = null;
  #policy: EventPolicy | null = null;
  /** When the dump command arrived (SHOW PROCESSLIST's Time counts from it, as MariaDB's). */
  readonly startedAtMs = Date.now();
  /** Caught up and waiting for a commit, or sending (SHOW PROCESSLIST's State). */
  #phase: DumpPhase = { waiting: false, sinceMs: this.startedAtMs };
  #file: RelayFile | null = null;
  #pos = 0;
  #lastEventPos = 0;
  #checksum = false;
  readonly #view = new CursorEventView();
  readonly #reader: SpanReader;

  constructor(options: DumpStreamOptions) {
    this.#o = options;
    this.request = options.request;
    this.#errors = new DumpErrors(options.flavor);
    this.nonBlocking = (options.request.flags & BINLOG_DUMP_NON_BLOCK) !== 0 || options.request.serverId === 0;
    this.#reader = new SpanReader(options.source, () => this.#stop !== null || this.#closed);
    options.conn.once('close', () => {
      this.#closed = true;
      this.#wake?.();
    });
  }

  get serverId(): number {
    return this.request.serverId;
  }

  get mode(): 'file' | 'gtid' {
    return this.#plan?.mode ?? (this.request.command === 'binlog-dump-gtid' || this.#o.params.connectState !== null ? 'gtid' : 'file');
  }

  /** Where the stream is: the file and the position after the last event read. */
  get file(): string {
    return this.#file?.name ?? this.request.file;
  }

  get position(): number {
    return this.#file ? this.#pos : this.request.position;
  }

  get phase(): DumpPhase {
    return this.#phase;
  }

  #enterPhase(waiting: boolean): void {
    if (this.#phase.waiting !== waiting) this.#phase = { waiting, sinceMs: Date.now() };
  }

  /** The replica's GTID position as far as this dump has sent it. */
  get gtid(): string {
    return this.#policy?.progressGtid() ?? this.#plan?.startGtids ?? this.#o.params.connectState ?? '';
  }

  /** Ends the stream: 'replaced' sends the same-server_id error first, 'stopped' just closes. */
  kill(reason: 'replaced' | 'stopped'): void {
    this.#stop ??= reason;
    this.#wake?.();
  }

  async run(): Promise<DumpEnd> {
    const { conn, logger } = this.#o;
    const out = new PacketOutput(conn.socket, conn.sequenceId, { semiSync: this.#o.params.semiSync });
    let end: DumpEnd;
    try {
      end = await this.#stream(out);
    } catch (err) {
      let dumpError: DumpError;
      if (err instanceof DumpError) dumpError = err;
      else if (err instanceof PolicyError) dumpError = this.#errors.streamFailure(err.message, this.#coordinates());
      else {
        logger.error({ event: 'server.dump.failed', connId: conn.id, err }, 'dump failed');
        dumpError = this.#errors.readFailed(this.#coordinates());
      }
      logger.warn({ event: 'server.dump.error', connId: conn.id, serverId: this.serverId, code: dumpError.errno, message: dumpError.message }, 'dump ended with an error');
      out.appendPayload(encodeErr(dumpError.errno, 'HY000', dumpError.message));
      end = this.#stop === 'replaced' ? 'replaced' : 'error';
    }
    out.flush();
    await this.#reader.close();
    if (end === 'stopped') conn.destroy();
    else conn.close();
    logger.info({ event: 'server.dump.end', connId: conn.id, serverId: this.serverId, end, file: this.file, pos: this.position, bytes: out.written }, 'dump ended');
    return end;
  }

  #coordinates(): DumpCoordinates {
    return {
      startFile: this.request.file || '.',
      startPos: this.request.position,
      file: this.file,
      lastEventPos: this.#lastEventPos,
      lastBytePos: this.#pos,
    };
  }

  /** Stops for a kill or a closed client; the same-server_id kill is an error to the client. */
  #checkStop(): DumpEnd | null {
    if (this.#stop === 'replaced') throw this.#errors.sameServerId(this.#coordinates());
    if (this.#stop === 'stopped') return 'stopped';
    if (this.#closed || !this.#o.conn.writable) return 'closed';
    return null;
  }

  async #stream(out: PacketOutput): Promise<DumpEnd> {
    const { source, params, logger, conn } = this.#o;
    while (source.files().length === 0) {
      if (this.nonBlocking) throw this.#errors.firstLogNotFound();
      const stop = this.#checkStop();
      if (stop) return stop;
      await this.#wait(null);
    }
    const plan = await this.#planWithGrace();
    if (!plan) return this.#checkStop() ?? 'closed';
    this.#plan = plan;
    this.#file = plan.file;
    this.#pos = plan.rotatePos;
    this.#lastEventPos = plan.rotatePos;
    this.#policy = this.#makePolicy(plan);
    logger.info(
      { event: 'server.dump.start', connId: conn.id, serverId: this.serverId, mode: plan.mode, file: plan.file.name, pos: plan.rotatePos, gtid: plan.startGtids, flags: this.request.flags },
      'dump started',
    );

    let file = plan.file;
    const declaredCrc = params.checksum === BINLOG_CHECKSUM_ALG_CRC32;
    out.appendEventBytes(buildFakeRotate({ serverId: this.#fakeServerId(file), nextFile: file.name, position: plan.rotatePos, checksum: declaredCrc }));
    let pos = this.#openFile(out, file, plan.clearInitialLogPos, true);
    if (plan.startPos > 4) pos = plan.startPos;
    this.#pos = pos;
    const heartbeats = new HeartbeatSchedule(params.heartbeatPeriodNs, Date.now());

    for (;;) {
      const stop = this.#checkStop();
      if (stop) return stop;
      file = source.fileBySeq(file.seq) ?? file;
      this.#file = file;
      if (pos < file.endPos) {
        const span = await this.#read(file, pos);
        if (!span) continue;
        const stopNow = this.#checkStop();
        if (stopNow) return stopNow;
        const direct = out.directWrites;
        this.#enterPhase(false);
        pos = this.#sendSpan(out, span.chunks, pos, heartbeats);
        if (out.directWrites === direct) this.#reader.recycle(span);
        if (out.buffered >= EARLY_FLUSH_BYTES && out.backlog === 0) out.flush();
        if (out.backlog + out.buffered > MAX_BACKLOG_BYTES) {
          out.flush();
          await this.#drain();
        }
        continue;
      }
      const next = source.nextFile(file);
      if (next) {
        // Rotation: the old file ended (with its real ROTATE); the new one starts like a dump.
        out.appendEventBytes(buildFakeRotate({ serverId: this.#fakeServerId(next), nextFile: next.name, position: 4, checksum: this.#checksum }));
        file = next;
        this.#file = next;
        pos = this.#openFile(out, next, false, false);
        this.#pos = pos;
        continue;
      }
      // Caught up with the relay.
      this.#announceSkipped(out, heartbeats);
      const policy = this.#policy;
      if (policy instanceof MariaDbEventPolicy) {
        const missing = policy.unverifiedEntry();
        if (missing) throw this.#errors.gtidNotInBinlog(missing, true);
      }
      if (this.nonBlocking) {
        out.appendPayload(encodeEndOfData(conn.deprecateEof));
        return 'eof';
      }
      out.flush();
      if (this.#wokeAtMs !== null) {
        source.onCommitServed?.((performance.now() - this.#wokeAtMs) / 1000);
        this.#wokeAtMs = null;
      }
      this.#enterPhase(true);
      const woke = await this.#wait(heartbeats.dueIn(Date.now()));
      if (woke === 'advance') this.#wokeAtMs = source.lastAdvanceAtMs;
      if (woke === 'timeout' && this.#checkStop() === null) {
        this.#heartbeat(out, pos);
        out.flush();
        heartbeats.activity(Date.now());
      }
    }
  }

  /**
   * The dump's plan. A request past the relay's end (a GTID or position this node has not
   * applied yet: from a replica that moved here from a node further ahead, or that this node
   * served before a crash and has yet to apply again) is retried as commits arrive, for a short
   * while and, unless non-blocking (a one-shot read), for as long as this node is catching up,
   * before it gets the master's error (1236, which stops a replica's IO thread for good). Null
   * when stopped.
   */
  async #planWithGrace(): Promise<DumpPlan | null> {
    const { source, params, flavor } = this.#o;
    const deadline = Date.now() + AHEAD_GRACE_MS;
    for (;;) {
      try {
        return await planDump(this.request, params, flavor, source, this.#errors);
      } catch (err) {
        if (!(err instanceof DumpError) || !err.ahead) throw err;
        const left = deadline - Date.now();
        if (left <= 0 && (this.nonBlocking || !source.catchingUp())) throw err;
        if ((await this.#wait(Math.max(left, CATCH_UP_RECHECK_MS))) === 'stop') return null;
      }
    }
  }

  #makePolicy(plan: DumpPlan): EventPolicy {
    const { params, flavor, source } = this.#o;
    if (flavor === 'mysql') {
      return new MysqlEventPolicy({ exclude: plan.mysqlExclude, errors: this.#errors, fileName: () => this.file });
    }
    return new MariaDbEventPolicy({
      state: plan.mariadbState,
      strictMode: params.gtidStrictMode,
      flags: this.request.flags,
      capability: params.capability,
      binlogState: () => source.relay.executedGtids.mariadbSet,
      errors: this.#errors,
      startGtids: MariaDbGtidSet.parse(plan.mode === 'gtid' ? plan.startGtids : source.relay.flavor === 'mariadb' ? plan.startGtids : ''),
    });
  }

  #fakeServerId(file: RelayFile): number {
    return file.serverId || this.#o.serverId;
  }

  /** Sends `file`'s FDE as the dump rewrites it; returns the position after it. */
  #openFile(out: PacketOutput, file: RelayFile, clearInitialLogPos: boolean, first: boolean): number {
    const format: FileFormat | null = this.#o.source.format(file);
    this.#lastEventPos = 4;
    if (!format) throw this.#errors.noFormatDescription(this.#coordinates());
    const fdeEnd = 4 + format.bytes.length;
    // A client that never declared a checksum cannot read CRC32 events (MariaDB and MySQL refuse
    // after the fake ROTATE).
    if (this.#o.params.checksum === BINLOG_CHECKSUM_ALG_UNDEF && format.format.checksumAlg === BINLOG_CHECKSUM_ALG_CRC32) {
      this.#pos = fdeEnd;
      throw this.#errors.checksumNotDeclared(this.#coordinates());
    }
    // MariaDB zeroes `created` in every FDE until a GTID dump reached its position; MySQL in the
    // first one when the replica already has transactions.
    const plan = this.#plan!;
    const zeroCreated = clearInitialLogPos || ((plan.mariadbState !== null || first) && zeroCreatedForGtid(plan));
    out.appendEventBytes(rewriteFormatDescription(format.bytes, { clearInUse: true, zeroLogPos: clearInitialLogPos, zeroCreated }));
    this.#checksum = format.checksum;
    // What MariaDB reports as "the last event read" until the stream reads another one.
    this.#lastEventPos = fdeEnd;
    return fdeEnd;
  }

  async #read(file: RelayFile, pos: number): Promise<Span | null> {
    try {
      return await this.#reader.read(file, pos);
    } catch (err) {
      if (!(err instanceof RelayReadError)) throw err;
      this.#lastEventPos = pos;
      if (err.code === 'RELAY_POSITION_MID_EVENT') {
        // The server reads a header's worth before it finds the event does not fit.
        this.#pos = Math.min(pos + LOG_EVENT_HEADER_LEN, file.endPos);
        throw this.#errors.truncatedEvent(this.#coordinates());
      }
      throw this.#errors.readFailed(this.#coordinates());
    }
  }

  /** Frames the events of one span as the policy decides; returns the position after them. */
  #sendSpan(out: PacketOutput, chunks: Uint8Array[], pos: number, heartbeats: HeartbeatSchedule): number {
    const cursor = new ChunkCursor(chunks);
    const policy = this.#policy!;
    const view = this.#view;
    const serverId = this.#fakeServerId(this.#file!);
    let sent = false;
    while (cursor.remaining > 0) {
      const header = cursor.peek(LOG_EVENT_HEADER_LEN);
      const length = (header[EVENT_LEN_OFFSET]! | (header[EVENT_LEN_OFFSET + 1]! << 8) | (header[EVENT_LEN_OFFSET + 2]! << 16)) + header[EVENT_LEN_OFFSET + 3]! * 0x1000000;
      this.#lastEventPos = pos;
      view.reset(cursor, header[4]!, pos, pos + length, this.#checksum);
      const verdict = policy.decide(view);
      if (verdict === 'drop') {
        cursor.skip(length);
      } else {
        this.#announceSkipped(out, null);
        if (verdict === 'send') out.appendEvent(cursor, length);
        else {
          cursor.skip(length);
          out.appendEventBytes(verdict);
        }
        sent = true;
      }
      pos += length;
      this.#pos = pos;
      if (policy instanceof MariaDbEventPolicy && policy.fakeGtidList) {
        out.appendEventBytes(buildFakeMariaDbGtidList({ serverId, gtids: policy.fakeGtidList, checksum: this.#checksum, logPos: pos }));
        sent = true;
      }
    }
    const now = Date.now();
    if (sent) heartbeats.activity(now);
    // MySQL: a long run of skipped transactions is interrupted by heartbeats.
    else if (policy instanceof MysqlEventPolicy && policy.skippedUpTo !== null && heartbeats.isDue(now)) this.#announceSkipped(out, heartbeats);
    return pos;
  }

  /** MySQL: tells the replica where a run of skipped transactions ended. */
  #announceSkipped(out: PacketOutput, heartbeats: HeartbeatSchedule | null): void {
    const policy = this.#policy;
    if (!(policy instanceof MysqlEventPolicy) || policy.skippedUpTo === null) return;
    this.#heartbeat(out, policy.skippedUpTo);
    policy.skippedUpTo = null;
    heartbeats?.activity(Date.now());
  }

  #heartbeat(out: PacketOutput, pos: number): void {
    const spec = { serverId: this.#fakeServerId(this.#file!), file: this.#file!.name, position: pos, checksum: this.#checksum };
    const v2 = this.#o.flavor === 'mysql' && (this.request.flags & USE_HEARTBEAT_EVENT_V2) !== 0;
    out.appendEventBytes(v2 ? buildHeartbeatV2(spec) : buildHeartbeat(spec));
  }

  /** Waits for a commit, a kill, the client's close, or `timeoutMs`. */
  #wait(timeoutMs: number | null): Promise<'advance' | 'timeout' | 'stop'> {
    if (this.#stop !== null || this.#closed) return Promise.resolve('stop');
    const advance = this.#o.source.nextAdvance();
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | null = null;
      const done = (how: 'advance' | 'timeout' | 'stop'): void => {
        if (timer) clearTimeout(timer);
        advance.cancel();
        this.#wake = null;
        resolve(how);
      };
      void advance.promise.then(() => done('advance'));
      if (timeoutMs !== null) timer = setTimeout(() => done('timeout'), timeoutMs);
      this.#wake = () => done('stop');
    });
  }

  /** Waits until the socket took the backlog; a client that takes nothing for long is dropped. */
  async #drain(): Promise<void> {
    const { conn } = this.#o;
    if (!conn.socket.writableNeedDrain) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.#o.logger.warn({ event: 'server.dump.write_timeout', connId: conn.id, serverId: this.serverId }, 'client stopped reading');
        conn.destroy();
      }, WRITE_TIMEOUT_MS);
      const done = (): void => {
        clearTimeout(timer);
        conn.socket.off('drain', done);
        this.#wake = null;
        resolve();
      };
      conn.socket.on('drain', done);
      this.#wake = done;
      if (this.#closed || this.#stop !== null) done();
    });
  }
}
