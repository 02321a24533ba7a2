// The syncer: runs on the raft leader only. It pulls the upstream's binlog as a replica would,
// verifies every event's CRC32, cuts the stream into relay records at transaction boundaries and
// proposes them to raft, pausing the upstream socket while too many bytes are uncommitted. On any
// upstream error it reconnects with backoff and resumes from the relay's own end, which only ever
// holds whole transactions; pieces of a transaction cut by a disconnect are discarded with an
// ABORT record first (DESIGN.md invariant 3).
import type { Logger } from 'pino';
import { BinlogEventReader } from '../binlog/event-reader.js';
import { MysqlGtidSet } from '../binlog/gtid-set-mysql.js';
import { encodeMysqlGtidSet } from '../binlog/gtid-set-mysql-binary.js';
import type { RelayLog } from '../relaylog/relay-log.js';
import { encodeRelayRecord, type RelayRecord } from '../relaylog/relay-entry.js';
import { DumpError, type DumpRequest } from './dump-command.js';
import { RecordBuilder } from './record-builder.js';
import type { SyncerSettings } from './syncer-settings.js';
import { UpstreamSession, type UpstreamFlavor } from './upstream.js';

export interface SyncerOptions {
  batchBytes: number;
  maxRecordBytes: number;
  /** Upstream reads pause while this many proposed bytes are not yet committed. */
  maxInflightBytes: number;
  heartbeatMs: number;
  backoffMinMs: number;
  backoffMaxMs: number;
}

export const DEFAULT_SYNCER_OPTIONS: SyncerOptions = {
  batchBytes: 256 * 1024,
  maxRecordBytes: 1024 * 1024,
  maxInflightBytes: 16 * 1024 * 1024,
  heartbeatMs: 1000,
  backoffMinMs: 100,
  backoffMaxMs: 5000,
};

export type SyncerState = 'running' | 'stopped' | 'error';

export interface SyncerStatus {
  status: SyncerState;
  flavor: UpstreamFlavor | null;
  connected: boolean;
  last_error: string | null;
  lag_seconds: number | null;
  reconnects: number;
}

export type Propose = (data: Uint8Array) => Promise<number>;

export class Syncer {
  private stopped = false;
  private session: UpstreamSession | null = null;
  private inflightBytes = 0;
  private inflight = new Set<Promise<unknown>>();
  private lastError: string | null = null;
  private flavor: UpstreamFlavor | null = null;
  private reconnects = 0;
  private lastEventTimestamp = 0;
  private upstreamIdle = false;
  private owesAbort = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  /** Semi-sync positions the upstream waits for, in stream order, not yet in a proposed record. */
  private acksWaiting: { file: string; pos: number }[] = [];

  constructor(
    readonly settings: SyncerSettings,
    private readonly relay: RelayLog,
    private readonly propose: Propose,
    private readonly logger: Logger,
    private readonly options: SyncerOptions = DEFAULT_SYNCER_OPTIONS,
  ) {}

  start(): void {
    if (this.loop) return;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.session?.close();
    this.wake?.();
    await this.loop;
    await Promise.allSettled([...this.inflight]);
  }

  status(): SyncerStatus {
    // As Seconds_Behind_Master: 0 once the upstream is idle and everything read is committed.
    const caughtUp = this.upstreamIdle && this.inflightBytes === 0;
    const lag = caughtUp ? 0 : this.lastEventTimestamp > 0 ? Math.max(0, Math.round(Date.now() / 1000 - this.lastEventTimestamp)) : null;
    return {
      status: this.stopped ? 'stopped' : this.lastError && !this.session ? 'error' : 'running',
      flavor: this.flavor,
      connected: this.session !== null,
      last_error: this.lastError,
      lag_seconds: lag,
      reconnects: this.reconnects,
    };
  }

  private async run(): Promise<void> {
    let delay = this.options.backoffMinMs;
    while (!this.stopped) {
      const began = Date.now();
      try {
        await this.streamOnce();
        if (!this.stopped) this.lastError = 'upstream closed the connection';
      } catch (err) {
        this.lastError = describe(err);
        this.logger.warn({ event: 'syncer.error', error: this.lastError }, 'syncer lost the upstream');
      }
      this.session = null;
      if (this.stopped) break;
      if (Date.now() - began > 5000) delay = this.options.backoffMinMs;
      this.reconnects++;
      this.logger.info({ event: 'syncer.reconnect', attempt: this.reconnects, delayMs: delay }, 'reconnecting to the upstream');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
      delay = Math.min(delay * 2, this.options.backoffMaxMs);
    }
  }

  /** Waits for every proposal in flight, then discards pieces of a cut transaction. */
  private async settle(): Promise<void> {
    await Promise.allSettled([...this.inflight]);
    if (this.owesAbort) {
      const last = this.relay.lastFile();
      await this.propose(encodeRelayRecord({ kind: 'abort', file: last?.name ?? '', pos: last?.endPos ?? 0 }));
      this.owesAbort = false;
    }
  }

  private async streamOnce(): Promise<void> {
    await this.settle();
    this.acksWaiting = [];
    const s = this.settings;
    const session = await UpstreamSession.open({
      addr: s.mysql_addr, user: s.mysql_user, password: s.mysql_password,
      heartbeatMs: this.options.heartbeatMs, connectTimeoutMs: 5000, semiSync: s.semi_sync,
    });
    if (this.stopped) {
      session.close();
      return;
    }
    this.session = session;
    this.flavor = session.info.flavor;
    const { request, start } = await this.resumePoint(session);
    this.logger.info({ event: 'syncer.dump', flavor: session.info.flavor, file: start.file, pos: start.pos }, 'syncer dump started');
    this.lastError = null;

    const builder = new RecordBuilder(
      { batchBytes: this.options.batchBytes, maxRecordBytes: this.options.maxRecordBytes },
      (record) => this.submit(record, session),
      start,
    );
    const reader = new BinlogEventReader({ expectMagic: false, checksumBeforeFde: 'detect' });
    const dump = session.startDump(request);
    await new Promise<void>((resolve, reject) => {
      let flushScheduled = false;
      let lastPacket = Date.now();
      const watchdog = setInterval(() => {
        if (Date.now() - lastPacket > 3 * this.options.heartbeatMs + 1000) fail(new Error('no event or heartbeat from the upstream'));
      }, this.options.heartbeatMs);
      const finish = (err?: Error): void => {
        clearInterval(watchdog);
        session.close();
        if (err) reject(err);
        else resolve();
      };
      const fail = (err: Error): void => finish(err);
      dump.on('event', (bytes: Buffer, needAck: boolean) => {
        lastPacket = Date.now();
        try {
          for (const event of reader.feed(bytes)) {
            // A semi-sync upstream waits for this position: acked once the record holding it commits.
            if (needAck && builder.position.file !== null) this.acksWaiting.push({ file: builder.position.file, pos: event.header.logPos });
            builder.push(event);
          }
          this.lastEventTimestamp = builder.lastEventTimestamp;
          this.upstreamIdle = builder.idle;
          this.owesAbort = builder.owesAbort;
        } catch (err) {
          fail(err as Error);
          return;
        }
        if (!flushScheduled) {
          flushScheduled = true;
          setImmediate(() => {
            flushScheduled = false;
            // Outside the event handler's try: an error here would otherwise escape as an
            // uncaught exception and take the node down instead of failing this dump.
            try {
              builder.flushBoundary();
              this.owesAbort = builder.owesAbort;
            } catch (err) {
              fail(err as Error);
            }
          });
        }
      });
      dump.on('eof', () => finish());
      dump.on('error', (err: Error) => fail(err));
      session.wire.stream.on('close', () => finish(new Error('upstream connection closed')));
    });
  }

  /** Where to resume: the relay's own end, else start_gtid, else the upstream's oldest binlog. */
  private async resumePoint(session: UpstreamSession): Promise<{ request: DumpRequest; start: { file: string | null; pos: number; mysqlStartGtids?: string } }> {
    const flags = session.dumpFlags();
    const serverId = this.settings.syncer_id;
    const last = this.relay.lastFile();
    if (last) return { request: { kind: 'file', file: last.name, pos: last.endPos, serverId, flags }, start: { file: last.name, pos: last.endPos } };
    if (this.settings.start_gtid && session.info.flavor === 'mysql') {
      const gtidSet = encodeMysqlGtidSet(MysqlGtidSet.parse(this.settings.start_gtid));
      return { request: { kind: 'mysql-gtid', file: '', pos: 4, serverId, flags: 0, gtidSet }, start: { file: null, pos: 4, mysqlStartGtids: this.settings.start_gtid } };
    }
    if (this.settings.start_gtid) {
      await session.setMariaDbConnectState(this.settings.start_gtid);
      return { request: { kind: 'file', file: '', pos: 4, serverId, flags }, start: { file: null, pos: 4 } };
    }
    const [first] = await session.binaryLogs();
    if (!first) throw new Error('the upstream has no binary logs (is log_bin on?)');
    return { request: { kind: 'file', file: first, pos: 4, serverId, flags }, start: { file: first, pos: 4 } };
  }

  private submit(record: RelayRecord, session: UpstreamSession): void {
    const data = encodeRelayRecord(record);
    let ack: { file: string; pos: number } | null = null;
    if (record.kind === 'binlog') {
      const end = record.pos + record.bytes.length;
      while (this.acksWaiting.length > 0 && this.acksWaiting[0]!.file === record.file && this.acksWaiting[0]!.pos <= end) ack = this.acksWaiting.shift()!;
    }
    this.inflightBytes += data.length;
    if (this.inflightBytes > this.options.maxInflightBytes) session.pause();
    const done = this.propose(data).then(
      () => {
        // Durable on a majority: only now may the upstream's commit return (DESIGN invariant 2).
        if (ack && session.semiSync) session.ack(ack.file, ack.pos);
      },
      (err: unknown) => {
        // Not acknowledged to a semi-sync upstream. A record the relay refused (it does not
        // continue the relay's log) ends the session: the next one resumes from the relay's end.
        const refused = (err as { code?: string }).code === 'RAFT_ENTRY_REFUSED';
        this.logger.warn({ event: refused ? 'syncer.record.refused' : 'syncer.propose.failed', error: describe(err) },
          refused ? 'the relay refused a record: resuming from its end' : 'proposal failed');
        session.close();
      },
    ).finally(() => {
      this.inflightBytes -= data.length;
      this.inflight.delete(done);
      if (this.inflightBytes <= this.options.maxInflightBytes / 2) session.resume();
    });
    this.inflight.add(done);
  }
}

function describe(err: unknown): string {
  if (err instanceof DumpError) return `upstream error ${err.errno}: ${err.message}`;
  if (err instanceof Error) {
    const errno = (err as { errno?: number }).errno;
    return errno ? `${errno}: ${err.message}` : err.message;
  }
  return String(err);
}
