// Cluster membership (kingbus shape): GET /cluster, GET/POST/DELETE/PUT /members.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AdminBackend } from '../backend.js';
import { ApiError } from '../errors.js';
import { parseInput, success } from '../server.js';
import { parseHostPort } from '../../src/host-port.js';
import { MEMBER_NAME } from '../../src/member-id.js';

const name = z.string().regex(MEMBER_NAME, 'expected a member name of letters, digits, _ . -');
const peerUrl = z.string().refine(
  (url) => parseHostPort(url.replace(/^https?:\/\//, ''), { connectable: true }) !== null,
  'expected host:port (port 1-65535)',
);

export const addMemberBody = z.strictObject({ name, peer_url: peerUrl });
export const removeMemberBody = z.strictObject({ name });
export const updateMemberBody = z.strictObject({ name, new_peer_url: peerUrl });

export function registerMemberRoutes(app: FastifyInstance, backend: AdminBackend): void {
  app.get('/cluster', async () => success(backend.members()));
  app.get('/members', async () => success(backend.members()));

  app.post('/members', async (request) => {
    const body = parseInput(addMemberBody, request.body);
    if (backend.members().some((m) => m.name === body.name)) {
      throw new ApiError('CONFLICT', `member ${body.name} already exists`, { field: 'name' });
    }
    return success(await backend.addMember(body.name, body.peer_url));
  });

  app.delete('/members', async (request) => {
    const body = parseInput(removeMemberBody, request.body);
    if (!backend.members().some((m) => m.name === body.name)) {
      throw new ApiError('NOT_FOUND', `no member named ${body.name}`, { field: 'name' });
    }
    await backend.removeMember(body.name);
    return success(null);
  });

  app.put('/members', async (request) => {
    const body = parseInput(updateMemberBody, request.body);
    if (!backend.members().some((m) => m.name === body.name)) {
      throw new ApiError('NOT_FOUND', `no member named ${body.name}`, { field: 'name' });
    }
    await backend.updateMember(body.name, body.new_peer_url);
    return success(null);
  });
}
