// Cluster-wide calls (the syncer, member attributes) are answered by the leader: a follower
// forwards the request to the leader's admin API and returns its answer unchanged.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { BinlogBackend } from './backend.js';
import { ApiError } from './errors.js';

/** Returns true when the request was forwarded (the reply is sent), false on the leader. */
export async function forwardToLeader(backend: BinlogBackend, request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
  const leader = backend.leaderAdminAddr();
  if (leader === null) return false;
  if (leader === '') throw new ApiError('NO_LEADER', 'no leader is known yet; retry shortly');
  if (request.headers['x-binrelay-forwarded']) throw new ApiError('NOT_LEADER', 'forwarded to a node that is not the leader', { leader });
  const headers: Record<string, string> = { 'x-binrelay-forwarded': '1' };
  if (request.headers.authorization) headers.authorization = request.headers.authorization;
  if (request.body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(`http://${leader}${request.url}`, {
      method: request.method,
      headers,
      body: request.body === undefined ? undefined : JSON.stringify(request.body),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    throw new ApiError('UNAVAILABLE', `the leader at ${leader} did not answer: ${(err as Error).message}`, { leader });
  }
  reply.status(res.status).header('content-type', 'application/json').send(await res.text());
  return true;
}
