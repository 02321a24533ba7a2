// Purges on the leader: an operator's PURGE BINARY LOGS (SQL or admin API) and retention are
// turned into "every file before X" and proposed as one PURGE record, so every node drops the
// same files at the same point of the log. A follower's request goes to the leader's admin API.
import type { Logger } from 'pino';
import type { RaftNode } from '../../raft/node.js';
import { PurgeError, type PurgeRequest, type PurgeResult } from './purge.js';
import { encodeRelayRecord } from './relay-entry.js';
import type { RelayLog } from './relay-log.js';
import { purgeBeforeTarget, retentionTarget, type BinlogRetention } from './retention-policy.js';
import { adminClient, type AdminClient } from '../../api/admin-client.js';

/** How often the leader checks retention. */
const RETENTION_CHECK_MS = 5000;

export class PurgeCoordinator {
  private timer: NodeJS.Timeout | null = null;
  private retaining = false;

  constructor(
    private readonly raft: RaftNode,
    private readonly relay: RelayLog,
    private readonly leaderAdminAddr: () => string | null,
    private readonly adminToken: string | null,
    private readonly logger: Logger,
    /** http, or https verified with admin-tls.ca. */
    private readonly admin: AdminClient = adminClient(undefined),
  ) {}

  async purge(request: PurgeRequest): Promise<PurgeResult> {
    if (this.raft.status().role !== 'leader') {
      // What is held back is this node's business: its own replicas' reads.
      const result = await this.forward(request);
      return { purged: result.purged, heldBack: this.heldBack(result.purged) };
    }
    const files = this.relay.allFiles();
    let to: string | null;
    if ('to' in request) {
      if (!this.relay.fileByName(request.to)) throw new PurgeError('PURGE_TARGET_NOT_FOUND', 'Target log not found in binlog index');
      to = request.to;
    } else {
      to = purgeBeforeTarget(files, request.before);
    }
    const index = to === null ? -1 : files.findIndex((f) => f.name === to);
    if (index <= 0) return { purged: [], heldBack: [] };
    const purged = files.slice(0, index).map((f) => f.name);
    try {
      await this.raft.propose(encodeRelayRecord({ kind: 'purge', to: to! }));
    } catch (err) {
      // Leadership moved or was lost before the commit (the next leader may still commit it).
      const code = (err as { code?: unknown }).code;
      if (typeof code === 'string' && code.startsWith('RAFT_')) {
        throw new PurgeError('PURGE_NOT_LEADER', `the purge did not go through (${(err as Error).message}); check SHOW BINARY LOGS and retry`);
      }
      throw err;
    }
    return { purged, heldBack: this.heldBack(purged) };
  }

  /** The purged files a replica of this node still reads (deleted once it moves on). */
  private heldBack(purged: readonly string[]): string[] {
    const held = purged.filter((name) => this.relay.dir.isRead(name));
    if (held.length > 0) this.logger.info({ event: 'relay.purge.held_back', files: held }, 'purged files still read by replicas of this node');
    return held;
  }

  /** Sends the purge to the leader's admin API (PUT /binlog/purge). */
  private async forward(request: PurgeRequest): Promise<PurgeResult> {
    const leader = this.leaderAdminAddr();
    if (!leader) throw new PurgeError('PURGE_NOT_LEADER', 'no leader is known to purge through; retry shortly');
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.adminToken) headers.authorization = `Bearer ${this.adminToken}`;
    const body = 'to' in request ? { to: request.to } : { before: request.before.toISOString() };
    let res: Response;
    try {
      res = await this.admin.fetch(leader, '/binlog/purge', { method: 'PUT', headers, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
    } catch (err) {
      throw new PurgeError('PURGE_UNAVAILABLE', `the leader at ${leader} did not answer: ${(err as Error).message}`);
    }
    const answer = (await res.json().catch(() => null)) as { message?: string; data?: { purged?: string[]; held_back?: string[] }; error?: { code?: string } } | null;
    if (res.status === 404) throw new PurgeError('PURGE_TARGET_NOT_FOUND', 'Target log not found in binlog index');
    if (!res.ok || !answer?.data) throw new PurgeError('PURGE_UNAVAILABLE', `the leader refused the purge: ${answer?.message ?? res.status}`);
    return { purged: answer.data.purged ?? [], heldBack: answer.data.held_back ?? [] };
  }

  /** Checks `retention` every few seconds while this node leads. */
  startRetention(retention: BinlogRetention): void {
    if (retention.maxAgeMs === null && retention.maxBytes === null) return;
    this.timer = setInterval(() => void this.applyRetention(retention), RETENTION_CHECK_MS);
    this.timer.unref();
  }

  async applyRetention(retention: BinlogRetention, nowMs = Date.now()): Promise<void> {
    if (this.retaining || this.raft.status().role !== 'leader') return;
    const to = retentionTarget(this.relay.allFiles(), nowMs, retention);
    if (to === null) return;
    this.retaining = true;
    try {
      const result = await this.purge({ to });
      this.logger.info({ event: 'relay.retention.purged', files: result.purged, heldBack: result.heldBack }, 'retention purged binlog files');
    } catch (err) {
      this.logger.warn({ event: 'relay.retention.failed', err }, 'retention purge failed');
    } finally {
      this.retaining = false;
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
