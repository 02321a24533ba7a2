// Every learner is a member on its way to a vote (POST /members adds one as a learner first), and
// whichever node leads promotes it once it has caught up: its match index within a few entries
// of the commit index. A learner acknowledges a snapshot only once its files are in, so one still
// installing is never promoted. The duty is the leader's, checked from the conf state, not tied
// to the request that added the member: a leader change, or an install that takes hours, leaves
// no learner behind.
import type { Logger } from 'pino';
import type { NodeId } from '../raft/core/types.js';
import type { RaftNode } from '../raft/node.js';
import type { RelayLog } from './relaylog/relay-log.js';

const CHECK_INTERVAL_MS = 200;
/** How far behind the commit index a learner may be and still be promoted. */
const PROMOTE_WITHIN_ENTRIES = 8;

export class LearnerPromotion {
  private timer: NodeJS.Timeout | null = null;
  private promoting = false;
  /** The last failure logged per learner: a failure repeated every check is logged once. */
  private readonly failures = new Map<NodeId, string>();

  constructor(
    private readonly raft: RaftNode,
    private readonly relay: RelayLog,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.check(), CHECK_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Promotes the first caught-up learner, if this node leads (one conf change at a time). */
  private async check(): Promise<void> {
    if (this.promoting || !this.raft.running) return;
    const status = this.raft.status();
    if (status.role !== 'leader') return;
    for (const id of status.confState.learners) {
      const peer = status.peers.find((p) => p.id === id);
      const peerAddr = this.relay.members[String(id)]?.peerAddr;
      if (!peer || peer.match === 0 || status.commitIndex - peer.match > PROMOTE_WITHIN_ENTRIES || !peerAddr) continue;
      this.promoting = true;
      try {
        await this.raft.addVoter(id, peerAddr);
        this.failures.delete(id);
        this.logger.info({ event: 'member.promoted', id }, 'learner promoted to voter');
      } catch (err) {
        const message = (err as Error).message;
        if (this.failures.get(id) !== message) this.logger.warn({ event: 'member.promote.failed', id, err: message }, 'promotion failed; retrying');
        this.failures.set(id, message);
      } finally {
        this.promoting = false;
      }
      return;
    }
  }
}
