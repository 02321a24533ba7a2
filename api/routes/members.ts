// Cluster membership (kingbus shape): GET /cluster, GET/POST/DELETE/PUT /members. The changes are
// made by the leader: a follower forwards them (forward.ts), as kingbus does.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AdminBackend } from '../backend.js';
import { ApiError } from '../errors.js';
import { parseInput, success } from '../server.js';
import { parseHostPort } from '../../src/host-port.js';
import { MEMBER_NAME } from '../../src/member-id.js';

const name = z.string().regex(MEMBER_NAME, 'expected a member name of letters, digits, _ . -');
const url = z.string().refine(
  (value) => parseHostPort(value.replace(/^https?:\/\//, ''), { connectable: true }) !== null,
  'expected host:port (port 1-65535)',
);

/** kingbus also sends `admin_url`: accepted and checked, but a member's admin address is what the
 *  member itself announces over the peer transport (src/member-announcement.ts), never this. */
export const addMemberBody = z.strictObject({ name, peer_url: url, admin_url: url.optional() });
/** kingbus also sends the member's `peer_url`: when given it must be the member's. */
export const removeMemberBody = z.strictObject({ name, peer_url: url.optional() });
export const updateMemberBody = z.strictObject({ name, new_peer_url: url });

const withoutScheme = (value: string): string => value.replace(/^https?:\/\//, '');

/** Sends the call to the leader: true when forwarded (the reply is sent), false on the leader. */
export type MemberForward = (request: FastifyRequest, reply: FastifyReply) => Promise<boolean>;

/** `forward`: null where there is no leader to forward to (a backend without one, in tests). */
export function registerMemberRoutes(app: FastifyInstance, backend: AdminBackend, forward: MemberForward | null): void {
  app.get('/cluster', async () => success(backend.members()));
  app.get('/members', async () => success(backend.members()));

  app.post('/members', async (request, reply) => {
    const body = parseInput(addMemberBody, request.body);
    if (forward && await forward(request, reply)) return reply;
    if (backend.members().some((m) => m.name === body.name)) {
      throw new ApiError('CONFLICT', `member ${body.name} already exists`, { field: 'name' });
    }
    return success(await backend.addMember(body.name, body.peer_url));
  });

  app.delete('/members', async (request, reply) => {
    const body = parseInput(removeMemberBody, request.body);
    if (forward && await forward(request, reply)) return reply;
    const member = backend.members().find((m) => m.name === body.name);
    if (!member) throw new ApiError('NOT_FOUND', `no member named ${body.name}`, { field: 'name' });
    if (body.peer_url !== undefined && !member.peerURLs.map(withoutScheme).includes(withoutScheme(body.peer_url))) {
      throw new ApiError('CONFLICT', `member ${body.name} has peer URL ${member.peerURLs.join(', ') || '(none known)'}, not ${body.peer_url}`, { field: 'peer_url' });
    }
    await backend.removeMember(body.name);
    return success(null);
  });

  app.put('/members', async (request, reply) => {
    const body = parseInput(updateMemberBody, request.body);
    if (forward && await forward(request, reply)) return reply;
    if (!backend.members().some((m) => m.name === body.name)) {
      throw new ApiError('NOT_FOUND', `no member named ${body.name}`, { field: 'name' });
    }
    await backend.updateMember(body.name, body.new_peer_url);
    return success(null);
  });
}
