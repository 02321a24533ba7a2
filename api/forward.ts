// Cluster-wide calls (the syncer, purge, import) are answered by the leader: a follower forwards
// the request to the leader's admin API and relays its answer.
//
// The leader's address comes from the member records, which only a member itself can write
// (src/member-announcement.ts), yet a forward is still treated as a call to a remote party:
// - it carries this node's own admin token, never the client's Authorization header, so a
//   client's credentials go to no address but the one the client chose;
// - the answer is relayed only when it is the admin API's JSON envelope, at most 4 MiB; anything
//   else is a 502, so a stranger's page never reaches the client as if the cluster had said it.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { adminClient, type AdminClient } from './admin-client.js';
import type { BinlogBackend } from './backend.js';
import { ApiError } from './errors.js';

const ANSWER_BYTES_MAX = 4 * 1024 * 1024;
const FORWARD_TIMEOUT_MS = 10_000;
/** How long a forward waits for a just-elected leader's address to reach this node's records. */
const LEADER_ADDR_WAIT_MS = 3_000;
const LEADER_ADDR_POLL_MS = 25;

/** Forwards a request to the leader: true when forwarded (the reply is sent), false on the leader. */
export type LeaderForwarder = (backend: BinlogBackend, request: FastifyRequest, reply: FastifyReply) => Promise<boolean>;

/** `client`: http, or https verified with admin-tls.ca (admin-client.ts). */
export function leaderForwarder(adminToken: string | null, client: AdminClient = adminClient(undefined)): LeaderForwarder {
  return async (backend, request, reply) => {
    const leader = await leaderAddress(backend);
    if (leader === null) return false;
    if (leader === '') throw new ApiError('NO_LEADER', 'no leader is known yet; retry shortly');
    if (request.headers['x-binrelay-forwarded']) throw new ApiError('NOT_LEADER', 'forwarded to a node that is not the leader', { leader });
    const headers: Record<string, string> = { 'x-binrelay-forwarded': '1' };
    if (adminToken) headers.authorization = `Bearer ${adminToken}`;
    if (request.body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    let text: string;
    try {
      res = await client.fetch(leader, request.url, {
        method: request.method,
        headers,
        body: request.body === undefined ? undefined : JSON.stringify(request.body),
        signal: AbortSignal.timeout(FORWARD_TIMEOUT_MS),
      });
      text = await boundedText(res, ANSWER_BYTES_MAX);
    } catch (err) {
      if (err instanceof ApiError) throw err;
      throw new ApiError('UNAVAILABLE', `the leader at ${leader} did not answer: ${(err as Error).message}`, { leader });
    }
    const answer = envelopeOf(text);
    if (answer === null) {
      throw new ApiError('LEADER_ANSWER_INVALID', `the leader at ${leader} answered ${res.status} without the admin API's envelope`, { leader });
    }
    reply.status(res.status).header('content-type', 'application/json').send(answer);
    return true;
  };
}

/** The leader's admin address (null on the leader), waiting briefly while it is unknown: a new
 *  leader's member record reaches followers a round trip after its election. */
async function leaderAddress(backend: BinlogBackend): Promise<string | null> {
  const deadline = Date.now() + LEADER_ADDR_WAIT_MS;
  let leader = backend.leaderAdminAddr();
  while (leader === '' && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, LEADER_ADDR_POLL_MS));
    leader = backend.leaderAdminAddr();
  }
  return leader;
}

/** The body as text, or an ApiError once it passes `max` bytes. */
async function boundedText(res: Response, max: number): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > max) {
    await res.body?.cancel();
    throw new ApiError('LEADER_ANSWER_INVALID', `the leader's answer is over ${max} bytes`);
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      throw new ApiError('LEADER_ANSWER_INVALID', `the leader's answer is over ${max} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The parsed answer when it is `{"message": "…", …}` (success or error envelope), else null. */
function envelopeOf(text: string): Record<string, unknown> | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return null;
  const body = parsed as Record<string, unknown>;
  return typeof body.message === 'string' && ('data' in body || 'error' in body) ? body : null;
}
