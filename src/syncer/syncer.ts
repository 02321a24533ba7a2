// The syncer: runs on the raft leader only. It pulls the upstream's binlog as a replica would,
// verifies every event's CRC32, cuts the stream into relay records at transaction boundaries and
// proposes them to raft, pausing the upstream socket while too many bytes are uncommitted. On any
// upstream error it reconnects with backoff and resumes from the relay's own end, which only ever
// holds whole transactions; pieces of a transaction cut by a disconnect are discarded with an
// ABORT record first (DESIGN.md invariant 3).
//
// Upstream failover: the settings name candidates. When the current one has been unreachable
// (or refused) for `failover_after_ms`, the others are probed in order and the first one that
// holds every transaction the relay executed becomes current; the session then continues by GTID
// into the relay's own file sequence (start-plan.ts, relay-coordinates.ts).
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { BinlogEventReader } from '../binlog/event-reader.js';
import { ER_MASTER_FATAL_ERROR_READING_BINLOG } from '../mysql/error-codes.js';
import type { RelayLog } from '../relaylog/relay-log.js';
import { encodeRelayRecord, type RelayRecord } from '../relaylog/relay-entry.js';
import { DumpError } from './dump-command.js';
import { RecordBuilder } from './record-builder.js';
import { RelayCoordinates } from './relay-coordinates.js';
import { planStart, UpstreamRefusedError, type StartPlan } from './start-plan.js';
import { upstreamCandidates, type SyncerSettings } from './syncer-settings.js';
import { UpstreamCandidates, type CandidateView } from './upstream-candidates.js';
import { UpstreamSession, type UpstreamFlavor } from './upstream.js';
import { upstreamSecretRefs } from './upstream-secrets.js';

export interface SyncerOptions {
  batchBytes: number;
  maxRecordBytes: number;
  /** Upstream reads pause while this many proposed bytes are not yet committed. */
  maxInflightBytes: number;
  heartbeatMs: number;
  backoffMinMs: number;
  backoffMaxMs: number;
  /** Told how long each record waited from its first upstream event to its proposal. */
  onReceiveToPropose?: (seconds: number) => void;
}

export const DEFAULT_SYNCER_OPTIONS: SyncerOptions = {
  batchBytes: 256 * 1024,
  maxRecordBytes: 1024 * 1024,
  // No more than the leader's raft tail cache (src/node.ts): appends to the followers then come
  // from memory, not re-read from the segment files. 16 MiB measured 43-45 MB/s ingest and
  // 194-199 MB peak RSS; 8 MiB 50-54 MB/s and 178-192 MB (4 MiB: 53 MB/s).
  maxInflightBytes: 8 * 1024 * 1024,
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
  /** The candidate the syncer follows (or tries to). */
  current_upstream: string;
  candidates: CandidateView[];
  /** What the last switch said (a GTID continuation, or a forced switch and what it cost). */
  last_switch_note: string | null;
}

export type Propose = (data: Uint8Array) => Promise<number>;

/** Resolves while this node still leads the term its syncer was started in; rejects otherwise.
 *  Asked before every connection to the upstream: a deposed leader that still reaches the upstream
 *  must not open a dump with the cluster's server_id, which would kick the real leader's. */
export type LeadershipFence = () => Promise<void>;

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
  /** Semi-sync positions the upstream waits for, in stream order, not yet in a proposed record:
   *  where the event ends in the relay (file, pos) and in the upstream (ackFile, ackPos). */
  private acksWaiting: { file: string; pos: number; ackFile: string; ackPos: number }[] = [];
  private readonly candidates: UpstreamCandidates;
  private lastSwitchNote: string | null = null;
  /** When the first upstream event not yet in a proposed record arrived (performance.now()). */
  private receivedAt: number | null = null;
  /** Why this node closed the current session itself (a proposal failed), or null. */
  private closedBecause: string | null = null;

  constructor(
    readonly settings: SyncerSettings,
    private readonly relay: RelayLog,
    private readonly propose: Propose,
    private readonly logger: Logger,
    private readonly options: SyncerOptions = DEFAULT_SYNCER_OPTIONS,
    private readonly fence: LeadershipFence | null = null,
  ) {
    this.candidates = new UpstreamCandidates(upstreamCandidates(settings));
  }

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
    // As Seconds_Behind_Master: 0 once the upstream is idle and everything read is committed;
    // unknown (null) while no session is open, since the upstream may be writing meanwhile.
    const caughtUp = this.upstreamIdle && this.inflightBytes === 0;
    const lag = this.session === null ? null
      : caughtUp ? 0 : this.lastEventTimestamp > 0 ? Math.max(0, Math.round(Date.now() / 1000 - this.lastEventTimestamp)) : null;
    return {
      status: this.stopped ? 'stopped' : this.lastError && !this.session ? 'error' : 'running',
      flavor: this.flavor,
      connected: this.session !== null,
      last_error: this.lastError,
      lag_seconds: lag,
      reconnects: this.reconnects,
      current_upstream: this.candidates.current,
      candidates: this.candidates.view(),
      last_switch_note: this.lastSwitchNote,
    };
  }

  private async run(): Promise<void> {
    let delay = this.options.backoffMinMs;
    while (!this.stopped) {
      if (!(await this.stillLeading())) {
        await this.pause(this.options.backoffMinMs);
        continue;
      }
      const began = Date.now();
      try {
        await this.streamOnce(this.candidates.current);
        if (!this.stopped) {
          this.lastError = 'upstream closed the connection';
          this.candidates.failed(this.lastError, false);
        }
      } catch (err) {
        // A stop (shutdown, leadership lost) closes the session itself: nothing went wrong.
        if (!this.stopped) {
          this.lastError = describe(err);
          const refused = cannotContinue(err);
          this.candidates.failed(this.lastError, refused);
          this.logger.warn({ event: refused ? 'syncer.upstream.refused' : 'syncer.error', upstream: this.candidates.current, error: this.lastError },
            refused ? 'upstream refused: it cannot continue the relay' : 'syncer lost the upstream');
        }
      }
      this.session = null;
      if (this.stopped) break;
      if (this.candidates.failoverDueIn(this.settings.failover_after_ms) === 0 && await this.failover()) {
        delay = this.options.backoffMinMs;
        continue;
      }
      if (Date.now() - began > 5000) delay = this.options.backoffMinMs;
      this.reconnects++;
      // Never sleep past the moment a failover falls due.
      const wait = Math.min(delay, this.candidates.failoverDueIn(this.settings.failover_after_ms) ?? delay);
      this.logger.info({ event: 'syncer.reconnect', attempt: this.reconnects, delayMs: wait }, 'reconnecting to the upstream');
      await this.pause(wait);
      delay = Math.min(delay * 2, this.options.backoffMaxMs);
    }
  }

  /** Sleeps `ms`, or less when stop() wakes it. */
  private async pause(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wake = null;
  }

  private async stillLeading(): Promise<boolean> {
    if (!this.fence) return true;
    try {
      await this.fence();
      return true;
    } catch (err) {
      this.logger.warn({ event: 'syncer.fence.unconfirmed', err: (err as Error).message }, 'leadership not confirmed; not connecting to the upstream');
      return false;
    }
  }

  /** Probes the other candidates in order and makes the first that can continue the relay
   *  current. False when none can (each one's reason is in the status and the log). */
  private async failover(): Promise<boolean> {
    await this.settle();
    for (const addr of this.candidates.others()) {
      if (this.stopped) return false;
      let session: UpstreamSession | null = null;
      try {
        session = await this.open(addr);
        await planStart(session, this.relay, this.settings, { addr, force: false });
        this.candidates.probed(addr, null, false);
        this.logger.warn({ event: 'syncer.failover', from: this.candidates.current, to: addr, unreachableMs: this.settings.failover_after_ms },
          'upstream unreachable: switching to a candidate that holds every relay transaction');
        this.candidates.switchTo(addr);
        return true;
      } catch (err) {
        const refused = err instanceof UpstreamRefusedError;
        this.candidates.probed(addr, describe(err), refused);
        this.logger.warn({ event: 'syncer.candidate.rejected', upstream: addr, refused, error: describe(err) }, 'failover candidate not usable');
      } finally {
        session?.close();
      }
    }
    return false;
  }

  private open(addr: string): Promise<UpstreamSession> {
    const s = this.settings;
    return UpstreamSession.open({
      addr, user: s.mysql_user, ...upstreamSecretRefs(s),
      heartbeatMs: this.options.heartbeatMs, connectTimeoutMs: 5000, semiSync: s.semi_sync,
    });
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

  private async streamOnce(addr: string): Promise<void> {
    await this.settle();
    this.acksWaiting = [];
    this.closedBecause = null;
    const session = await this.open(addr);
    if (this.stopped) {
      session.close();
      return;
    }
    this.session = session;
    this.flavor = session.info.flavor;
    let plan: StartPlan;
    try {
      plan = await planStart(session, this.relay, this.settings, { addr, force: this.settings.force && this.candidates.isFirst });
      // Recorded before any data: every node knows whose history the next records continue.
      if (plan.identity) await this.propose(encodeRelayRecord({ kind: 'upstream', identity: plan.identity }));
    } catch (err) {
      session.close();
      throw err;
    }
    const { request, start } = plan;
    const translator = plan.translate ? new RelayCoordinates(plan.translate) : null;
    if (plan.note) {
      this.lastSwitchNote = plan.note;
      this.logger.warn({ event: 'syncer.switch', upstream: addr, note: plan.note, forced: plan.identity?.forced ?? false }, plan.note);
    }
    this.logger.info({ event: 'syncer.dump', upstream: addr, flavor: session.info.flavor, file: start.file, pos: start.pos, byGtid: translator !== null }, 'syncer dump started');
    this.lastError = null;
    this.candidates.streaming();

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
        const arrivedAt = performance.now();
        const before = builder.position.pos;
        try {
          for (const event of reader.feed(bytes)) {
            const ackFile = translator ? translator.upstreamFile : builder.position.file;
            for (const out of translator ? translator.translate(event) : [event]) builder.push(out);
            // A semi-sync upstream waits for this position: acked once the record holding it commits.
            const at = builder.position;
            if (needAck && at.file !== null && ackFile !== null) this.acksWaiting.push({ file: at.file, pos: at.pos, ackFile, ackPos: event.header.logPos });
          }
          // A record starts waiting with its first event (heartbeats add nothing to one).
          if (builder.position.pos !== before) this.receivedAt ??= arrivedAt;
          this.lastEventTimestamp = builder.lastEventTimestamp;
          this.upstreamIdle = builder.idle;
          // Nothing in flight: a finished transaction is proposed now. Otherwise what arrives
          // meanwhile is batched, until the end of this round of reads.
          if (this.inflight.size === 0) builder.flushBoundary();
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
      session.wire.stream.on('close', () => finish(new Error(this.closedBecause ?? 'upstream connection closed')));
    });
  }

  private submit(record: RelayRecord, session: UpstreamSession): void {
    if (this.receivedAt !== null) {
      this.options.onReceiveToPropose?.((performance.now() - this.receivedAt) / 1000);
      this.receivedAt = null;
    }
    const data = encodeRelayRecord(record);
    let ack: { ackFile: string; ackPos: number } | null = null;
    if (record.kind === 'binlog') {
      const end = record.pos + record.bytes.length;
      while (this.acksWaiting.length > 0 && this.acksWaiting[0]!.file === record.file && this.acksWaiting[0]!.pos <= end) ack = this.acksWaiting.shift()!;
    }
    this.inflightBytes += data.length;
    if (this.inflightBytes > this.options.maxInflightBytes) session.pause();
    const done = this.propose(data).then(
      () => {
        // Durable on a majority: only now may the upstream's commit return (DESIGN invariant 2).
        if (ack && session.semiSync) session.ack(ack.ackFile, ack.ackPos);
      },
      (err: unknown) => {
        // Not acknowledged to a semi-sync upstream. A record the relay refused (it does not
        // continue the relay's log) ends the session: the next one resumes from the relay's end.
        // The proposals in flight behind it fail alike (a lost leadership fails them all): the
        // first is worth a warning, the others only a debug line.
        const refused = (err as { code?: string }).code === 'RAFT_ENTRY_REFUSED';
        const first = this.closedBecause === null;
        this.closedBecause ??= refused ? `the relay refused a record: ${describe(err)}` : `proposal failed: ${describe(err)}`;
        this.logger[first ? 'warn' : 'debug']({ event: refused ? 'syncer.record.refused' : 'syncer.propose.failed', error: describe(err), inflight: this.inflight.size - 1 },
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

/** The upstream is up but cannot continue the relay: it refused the relay's history, or its dump
 *  ended in 1236 (it purged what the relay needs next, or cannot read it), which a MariaDB
 *  replica's IO thread takes as fatal. The syncer still retries: the upstream may be repaired, or
 *  a candidate taken over. */
function cannotContinue(err: unknown): boolean {
  return err instanceof UpstreamRefusedError || (err instanceof DumpError && err.errno === ER_MASTER_FATAL_ERROR_READING_BINLOG);
}

function describe(err: unknown): string {
  if (err instanceof DumpError) return `upstream error ${err.errno}: ${err.message}`;
  if (err instanceof Error) {
    const errno = (err as { errno?: number }).errno;
    return errno ? `${errno}: ${err.message}` : err.message;
  }
  return String(err);
}
