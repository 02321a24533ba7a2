// A member's own attributes (name, peer and admin addresses), which every node needs to name
// members and to find the leader's admin API for forwarding. A follower announces them to the
// leader over the authenticated peer transport (raft/transport.ts, frame `announce`); the leader
// records them in the raft log only when:
// - they describe the member that sent them: the id is the one the connection authenticated as
//   (its hello), and the name is the one that id derives from (member ids are name hashes);
// - that member is in the current raft configuration (voter or learner), so the member map never
//   grows past the membership;
// - every field is well formed and bounded (addresses are host:port, nothing a URL could abuse).
// So no one can point the cluster at a foreign admin address without holding the cluster token,
// and a member can speak only for itself.
import { z } from 'zod';
import type { NodeId } from '../raft/core/types.js';
import { connectAddrSchema } from './host-port.js';
import { MEMBER_NAME, memberIdOf } from './member-id.js';
import type { MemberAttributes } from './relaylog/relay-entry.js';

/** Well above a real record (two 259-character addresses, a 64-character name, an id). */
export const MEMBER_ANNOUNCEMENT_BYTES_MAX = 1024;

const announcementSchema = z.strictObject({
  id: z.string().regex(/^[1-9]\d{0,15}$/, 'expected a decimal member id'),
  name: z.string().regex(MEMBER_NAME, 'expected a member name of letters, digits, _ . -'),
  peerAddr: connectAddrSchema,
  adminAddr: connectAddrSchema,
});

export type AnnouncementVerdict =
  | { readonly ok: true; readonly member: MemberAttributes }
  | { readonly ok: false; readonly reason: string };

export function encodeMemberAnnouncement(member: MemberAttributes): Buffer {
  return Buffer.from(JSON.stringify({ id: member.id, name: member.name, peerAddr: member.peerAddr, adminAddr: member.adminAddr }), 'utf8');
}

/** Whether the leader may record `payload`, announced by the peer authenticated as `from`. */
export function checkMemberAnnouncement(from: NodeId, payload: Uint8Array, membership: ReadonlySet<NodeId>): AnnouncementVerdict {
  if (payload.length > MEMBER_ANNOUNCEMENT_BYTES_MAX) return { ok: false, reason: `announcement of ${payload.length} bytes (max ${MEMBER_ANNOUNCEMENT_BYTES_MAX})` };
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8'));
  } catch {
    return { ok: false, reason: 'announcement is not JSON' };
  }
  const parsed = announcementSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : issue.path.map(String).join('.') || '(record)';
    return { ok: false, reason: `${field}: ${issue.code === 'unrecognized_keys' ? 'unknown field' : issue.message}` };
  }
  const member = parsed.data;
  if (Number(member.id) !== from) return { ok: false, reason: `member ${from} announced attributes of member ${member.id}` };
  if (memberIdOf(member.name) !== from) return { ok: false, reason: `name "${member.name}" is not the name of member ${from}` };
  if (!membership.has(from)) return { ok: false, reason: `member ${from} is not in the raft configuration` };
  return { ok: true, member };
}
