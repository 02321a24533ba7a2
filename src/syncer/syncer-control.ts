// Runs the syncer where and when it must run: on the raft leader only, once that leader has
// applied everything committed before its term (so the relay's end is the true resume point),
// and only while the replicated syncer settings say running. Any change of leadership or
// settings reconciles: a syncer that should not run is stopped before another may start.
import type { Logger } from 'pino';
import type { RaftNode } from '../../raft/node.js';
import type { RelayLog } from '../relaylog/relay-log.js';
import { parseSyncerRecord, upstreamCandidates, type SyncerRecordBody } from './syncer-settings.js';
import { Syncer, DEFAULT_SYNCER_OPTIONS, type SyncerOptions } from './syncer.js';

export class SyncerControl {
  private syncer: Syncer | null = null;
  private settingsJson = '';
  /** The term whose leader has caught up with everything committed before it. */
  private readyTerm = -1;
  private reconciling: Promise<void> = Promise.resolve();
  private closed = false;
  /** The replicated settings body last parsed, and what it parsed to (parsed again only when
   *  the relay holds another body: a SYNCER record was applied or a snapshot installed). */
  private parsedBody: unknown = undefined;
  private parsedRecord: SyncerRecordBody | null = null;
  /** Told, in seconds, how long each record waited from its first upstream event to its
   *  proposal (the node's commit-path metrics). */
  onReceiveToPropose: ((seconds: number) => void) | undefined;

  constructor(
    private readonly raft: RaftNode,
    private readonly relay: RelayLog,
    private readonly logger: Logger,
    private readonly options: SyncerOptions = DEFAULT_SYNCER_OPTIONS,
  ) {
    raft.on('leaderChanged', (change) => {
      if (change.role === 'leader') void this.catchUp(change.term);
      this.reconcile();
    });
  }

  /** The replicated settings (null: never started). */
  get record(): SyncerRecordBody | null {
    const body = this.relay.syncerRecord;
    if (body !== this.parsedBody) {
      this.parsedRecord = parseSyncerRecord(body);
      this.parsedBody = body;
    }
    return this.parsedRecord;
  }

  get running(): Syncer | null {
    return this.syncer;
  }

  /** Called after every apply: reconciles if the replicated settings changed. */
  applied(): void {
    if (this.relay.syncerRecord !== this.parsedBody) this.reconcile();
  }

  private reconcile(): void {
    this.reconciling = this.reconciling.then(() => this.reconcileNow()).catch((err: unknown) => {
      this.logger.error({ event: 'syncer.reconcile.failed', err }, 'syncer reconcile failed');
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.reconcile();
    await this.reconciling;
  }

  /**
   * Marks `term` ready once this leader has applied everything committed before it. The read
   * barrier is retried while this node still leads in `term` (a new leader may not hear from a
   * quorum at once), and waiting for apply is a separate wait with no deadline: a long apply
   * backlog must delay the syncer, never keep it from starting in this term.
   */
  private async catchUp(term: number): Promise<void> {
    const leading = (): boolean => !this.closed && this.raft.status().term === term && this.raft.status().role === 'leader';
    let index: number | null = null;
    for (let attempt = 1; index === null && leading(); attempt++) {
      try {
        index = await this.raft.readIndex();
      } catch (err) {
        this.logger.info({ event: 'syncer.catchup.retry', term, attempt, err: (err as Error).message }, 'leader read barrier failed; retrying');
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    if (index === null) return;
    while (this.raft.status().appliedIndex < index && leading()) await new Promise((r) => setTimeout(r, 5));
    if (leading()) {
      this.readyTerm = term;
      this.reconcile();
    }
  }

  private async reconcileNow(): Promise<void> {
    const status = this.raft.status();
    const record = this.record;
    const shouldRun = !this.closed && status.role === 'leader' && status.term === this.readyTerm && record?.running === true;
    const json = shouldRun ? JSON.stringify(record.settings) : '';
    if (this.syncer && (!shouldRun || json !== this.settingsJson)) {
      const old = this.syncer;
      this.syncer = null;
      await old.stop();
      this.logger.info({ event: 'syncer.stopped' }, 'syncer stopped');
    }
    if (shouldRun && !this.syncer) {
      this.settingsJson = json;
      const term = status.term;
      // A read barrier per connection: the leader still holds a quorum in the syncer's term.
      const fence = async (): Promise<void> => {
        await this.raft.readIndex();
        const now = this.raft.status();
        if (now.role !== 'leader' || now.term !== term) throw new Error(`no longer leader of term ${term}`);
      };
      this.syncer = new Syncer(record.settings, this.relay, (data) => this.raft.propose(data), this.logger.child({ component: 'syncer' }),
        { ...this.options, onReceiveToPropose: (seconds) => this.onReceiveToPropose?.(seconds) }, fence);
      this.syncer.start();
      this.logger.info({ event: 'syncer.started', upstreams: upstreamCandidates(record.settings), term: status.term }, 'syncer started');
    }
  }
}
