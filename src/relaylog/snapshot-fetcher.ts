// Where a snapshot install gets the binlog files it lacks: from the leader's admin API, else from
// any other member (every node holds the same files), through the chunked, checksummed and
// resumable transfer of snapshot-transfer.ts.
import { statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { NodeId } from '../../raft/core/types.js';
import type { RelayLog } from './relay-log.js';
import { fetchFileRange } from './snapshot-transfer.js';
import { SnapshotTransferError, TransferAttemptError } from './snapshot-transfer-error.js';
import { SnapshotFileGoneError } from './relay-errors.js';
import { adminClient, type AdminClient } from '../../api/admin-client.js';

/** How long one file range may take, retries included, before the install fails. */
const FETCH_DEADLINE_MS = 10 * 60_000;
/** How long one source is tried before the next one gets its turn. */
const PER_SOURCE_MS = 5000;
/** The pause after a round in which every source failed: doubling from the first to the last.
 *  A refusal (401, 403) fails at once, and without a pause every member would be asked again and
 *  again, a warning logged each time. */
const ROUND_PAUSE_MS = { first: 250, max: 5000 };

export class SnapshotFetcher {
  /** Aborted when the node stops: an install waiting for files must not hold the shutdown. */
  readonly #stopping = new AbortController();

  constructor(
    private readonly relay: RelayLog,
    private readonly self: NodeId,
    private readonly leader: () => NodeId,
    private readonly adminToken: string | null,
    private readonly logger: Logger,
    /** http, or https verified with admin-tls.ca. */
    private readonly admin: AdminClient = adminClient(undefined),
  ) {}

  /** Ends every fetch in progress (it fails, and so does the install waiting for it: raft,
   *  stopping by then, leaves the durable snapshot for the next start to install). */
  close(): void {
    this.#stopping.abort();
  }

  /** Admin addresses to fetch from: the leader first. */
  private sources(): string[] {
    const members = this.relay.members;
    const leader = members[String(this.leader())]?.adminAddr;
    const others = Object.values(members).filter((m) => m.id !== String(this.self) && m.adminAddr).map((m) => m.adminAddr);
    return [...new Set([leader, ...others].filter((a): a is string => !!a))];
  }

  /**
   * Fetches [from, to) of `name` into `destPath`. Sources are tried in turn, a short while each
   * (a dead or slow member must not hold the install), round after round until the deadline; the
   * bytes already verified stay in the file, so each try goes on from the file's size. When every
   * source that answers says it does not hold the file, it was purged: SnapshotFileGoneError.
   * A failure of this node's own disk (ENOSPC, EIO) is thrown at once: the install fails, and the
   * node with it, as on any other failed storage write.
   */
  readonly fetch = async (name: string, from: number, to: number, destPath: string): Promise<void> => {
    const deadline = Date.now() + FETCH_DEADLINE_MS;
    let last: unknown = null;
    let pauseMs = ROUND_PAUSE_MS.first;
    for (let round = 0; Date.now() < deadline && !this.#stopping.signal.aborted; round++) {
      if (round > 0) {
        await sleep(Math.min(pauseMs, Math.max(0, deadline - Date.now())), undefined, { signal: this.#stopping.signal }).catch(() => undefined);
        pauseMs = Math.min(pauseMs * 2, ROUND_PAUSE_MS.max);
        if (this.#stopping.signal.aborted) break;
      }
      const sources = this.sources();
      if (sources.length === 0) throw new Error(`no member's admin address is known to fetch ${name} from`);
      let missing = 0;
      let unreachable = 0;
      for (const addr of sources) {
        const started = performance.now();
        const at = Math.min(to, Math.max(from, localSize(destPath)));
        try {
          const stats = await fetchFileRange({
            baseUrl: this.admin.baseUrl(addr), ca: this.admin.ca, name, from: at, to, destPath,
            headers: this.adminToken ? { authorization: `Bearer ${this.adminToken}` } : {},
            deadlineMs: Math.min(PER_SOURCE_MS, Math.max(1, deadline - Date.now())),
            signal: this.#stopping.signal,
          });
          this.logger.info({ event: 'relay.snapshot.file_fetched', file: name, from: at, to, source: addr, attempts: stats.attempts,
            ms: Math.round(performance.now() - started) }, 'binlog file range fetched for a snapshot');
          return;
        } catch (err) {
          if (!isSourceFailure(err)) throw err;
          last = err;
          if (isNotHeld(err)) missing++;
          else if (isUnreachable(err)) unreachable++;
          this.logger.warn({ event: 'relay.snapshot.fetch_failed', file: name, source: addr, round, err }, 'snapshot file fetch failed; trying another member');
        }
      }
      // Purges are replicated: a member that answers and no longer holds the file purged it.
      // Members that do not answer at all cannot hold the install up.
      if (missing > 0 && missing + unreachable === sources.length) throw new SnapshotFileGoneError(name);
    }
    throw last instanceof Error ? last : new Error(String(last));
  };
}

function localSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** A failure another source or a later round may not have: the source refused, broke off or went
 *  quiet. Not a local one: a write to this node's disk that failed, or a destination it cannot
 *  open or sync, fails the same with every source. */
function isSourceFailure(err: unknown): boolean {
  if (!(err instanceof SnapshotTransferError) || err.code !== 'SNAPSHOT_TRANSFER_FAILED') return false;
  return !(err.cause instanceof TransferAttemptError && err.cause.reason === 'LOCAL_WRITE');
}

/** The source could not be reached at all (down, or not answering). */
function isUnreachable(err: unknown): boolean {
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof TransferAttemptError && (cause.reason === 'DISCONNECTED' || cause.reason === 'STALLED');
}

/** The source answered 404: it does not hold the file (any more). */
function isNotHeld(err: unknown): boolean {
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof TransferAttemptError && cause.httpStatus === 404;
}
