// Members' attributes in the raft log, so every node can name members and find the leader's admin
// API. A new leader records its own (and placeholders for configured members it has no record
// of); a follower announces its own to the leader over the peer transport every half second until
// the leader's record of it matches; the leader checks each announcement (member-announcement.ts)
// and proposes it, one proposal per member at a time.
import type { Logger } from 'pino';
import type { NodeId } from '../raft/core/types.js';
import type { RaftNode } from '../raft/node.js';
import type { TcpTransport } from '../raft/transport.js';
import { checkMemberAnnouncement, encodeMemberAnnouncement } from './member-announcement.js';
import { memberIdOf } from './member-id.js';
import { encodeRelayRecord, type MemberAttributes } from './relaylog/relay-entry.js';
import type { RelayLog } from './relaylog/relay-log.js';

const ANNOUNCE_INTERVAL_MS = 500;
/** Distinct refusals remembered (to log each once); authenticated peers only, so small. */
const REFUSALS_REMEMBERED_MAX = 64;

export interface MemberPublisherDeps {
  readonly id: NodeId;
  readonly self: MemberAttributes;
  /** Configured initial members, name → peer address. */
  readonly initialCluster: ReadonlyMap<string, string>;
  readonly raft: RaftNode;
  readonly transport: TcpTransport;
  readonly relay: RelayLog;
  readonly logger: Logger;
}

export class MemberPublisher {
  private timer: NodeJS.Timeout | null = null;
  private readonly proposing = new Set<NodeId>();
  private readonly refusals = new Map<NodeId, string>();

  constructor(private readonly d: MemberPublisherDeps) {}

  start(): void {
    this.d.transport.onAnnouncement((from, payload) => void this.onAnnouncement(from, payload));
    this.timer = setInterval(() => this.announce(), ANNOUNCE_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private membership(): Set<NodeId> {
    const { voters, learners } = this.d.raft.status().confState;
    return new Set([...voters, ...learners]);
  }

  /** A new leader records its own attributes, and placeholders (no admin address) for the
   *  configured members still in the configuration that it has no record of. */
  async publishAsLeader(): Promise<void> {
    const known = this.d.relay.members;
    const members = this.membership();
    const records: MemberAttributes[] = [];
    if (!sameMember(known[String(this.d.id)], this.d.self)) records.push(this.d.self);
    for (const [name, peerAddr] of this.d.initialCluster) {
      const id = memberIdOf(name);
      if (!known[String(id)] && id !== this.d.id && members.has(id)) records.push({ id: String(id), name, peerAddr, adminAddr: '' });
    }
    for (const member of records) {
      try {
        await this.d.raft.propose(encodeRelayRecord({ kind: 'member', member }));
      } catch (err) {
        this.d.logger.debug({ event: 'member.publish.failed', err: (err as Error).message }, 'member publish failed');
        return;
      }
    }
  }

  /** Follower: tells the leader this node's attributes while its record differs. */
  private announce(): void {
    const s = this.d.raft.status();
    if (s.role === 'leader' || !s.leader) return;
    if (sameMember(this.d.relay.members[String(this.d.id)], this.d.self)) return;
    this.d.transport.announce(s.leader, encodeMemberAnnouncement(this.d.self));
  }

  /** Leader: records an announcement that passes the checks. */
  private async onAnnouncement(from: NodeId, payload: Buffer): Promise<void> {
    if (this.d.raft.status().role !== 'leader' || this.proposing.has(from)) return;
    const verdict = checkMemberAnnouncement(from, payload, this.membership());
    if (!verdict.ok) {
      this.noteRefusal(from, verdict.reason);
      return;
    }
    this.refusals.delete(from);
    if (sameMember(this.d.relay.members[verdict.member.id], verdict.member)) return;
    this.proposing.add(from);
    try {
      await this.d.raft.propose(encodeRelayRecord({ kind: 'member', member: verdict.member }));
      this.d.logger.info({ event: 'member.recorded', id: from, name: verdict.member.name, peerAddr: verdict.member.peerAddr, adminAddr: verdict.member.adminAddr }, 'member attributes recorded');
    } catch (err) {
      this.d.logger.debug({ event: 'member.publish.failed', id: from, err: (err as Error).message }, 'member publish failed');
    } finally {
      this.proposing.delete(from);
    }
  }

  /** Logs a refusal once per peer and reason (a peer repeats its announcement twice a second). */
  private noteRefusal(from: NodeId, reason: string): void {
    if (this.refusals.get(from) === reason) return;
    if (this.refusals.size >= REFUSALS_REMEMBERED_MAX) this.refusals.clear();
    this.refusals.set(from, reason);
    this.d.logger.warn({ event: 'member.announcement.refused', from, reason }, 'member announcement refused');
  }
}

function sameMember(a: MemberAttributes | undefined, b: MemberAttributes): boolean {
  return a !== undefined && a.id === b.id && a.name === b.name && a.peerAddr === b.peerAddr && a.adminAddr === b.adminAddr;
}
