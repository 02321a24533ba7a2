// PUT /binlog/purge {to} | {before}: removes the relay's binlog files before a file or a time, as
// PURGE BINARY LOGS does on the binlog server. Cluster-wide: answered by the leader, which
// replicates the purge so every node deletes the same files.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { BinlogBackend } from '../backend.js';
import { ApiError } from '../errors.js';
import type { LeaderForwarder } from '../forward.js';
import { parseInput, success } from '../server.js';
import { PurgeError, type PurgeRequest } from '../../src/relaylog/purge.js';

// YYYY-MM-DD[(T| )hh:mm[:ss[.f]]][Z|±hh[:mm]]; without an offset the time is UTC, the binlog
// server's time zone.
const DATETIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/;

/** An operator's datetime → its instant; null when it is not one (or names no real day). */
export function parsePurgeBefore(text: string): Date | null {
  const m = DATETIME.exec(text.trim());
  if (!m) return null;
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0)) as [number, number, number, number, number, number];
  const ms = Number((m[7] ?? '').slice(0, 3).padEnd(3, '0'));
  const local = new Date(0);
  local.setUTCFullYear(year, month - 1, day);
  local.setUTCHours(hour, minute, second, ms);
  // Out-of-range fields roll over in Date: a day that does not exist reads back differently.
  if (local.getUTCFullYear() !== year || local.getUTCMonth() !== month - 1 || local.getUTCDate() !== day) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  const offset = m[8];
  if (offset === undefined || offset === 'Z') return local;
  const o = /^([+-])(\d{2}):?(\d{2})?$/.exec(offset)!;
  const offsetMinutes = (Number(o[2]) * 60 + Number(o[3] ?? 0)) * (o[1] === '-' ? -1 : 1);
  if (Math.abs(offsetMinutes) > 14 * 60) return null;
  return new Date(local.getTime() - offsetMinutes * 60_000);
}

const EXACTLY_ONE = 'expected exactly one of to, before';

export const purgeBody = z
  .strictObject({
    to: z.string().min(1, 'expected a binlog file name').optional(),
    before: z
      .string()
      .transform((text, ctx) => {
        const date = parsePurgeBefore(text);
        if (date === null) {
          ctx.addIssue({ code: 'custom', message: "expected an ISO-8601 or 'YYYY-MM-DD HH:MM:SS' datetime" });
          return z.NEVER;
        }
        return date;
      })
      .optional(),
  })
  .superRefine((body, ctx) => {
    if (body.to !== undefined && body.before !== undefined) ctx.addIssue({ code: 'custom', path: ['before'], message: `${EXACTLY_ONE}, not both` });
    if (body.to === undefined && body.before === undefined) ctx.addIssue({ code: 'custom', path: ['to'], message: EXACTLY_ONE });
  })
  .transform((body): PurgeRequest => (body.to !== undefined ? { to: body.to } : { before: body.before! }));

export function registerPurgeRoutes(app: FastifyInstance, backend: BinlogBackend, forwardToLeader: LeaderForwarder): void {
  app.put('/binlog/purge', async (request, reply) => {
    const purge = parseInput(purgeBody, request.body);
    if (await forwardToLeader(backend, request, reply)) return reply;
    try {
      const result = await backend.purge(purge);
      return success({ purged: result.purged, held_back: result.heldBack });
    } catch (err) {
      throw asApiError(err);
    }
  });
}

function asApiError(err: unknown): unknown {
  if (!(err instanceof PurgeError)) return err;
  switch (err.code) {
    case 'PURGE_TARGET_NOT_FOUND':
      return new ApiError('PURGE_TARGET_NOT_FOUND', err.message, { field: 'to' });
    case 'PURGE_NOT_LEADER':
      return new ApiError('NOT_LEADER', err.message);
    case 'PURGE_UNAVAILABLE':
      return new ApiError('PURGE_UNAVAILABLE', err.message);
  }
}
