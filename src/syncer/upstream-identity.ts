// Who the relay's upstream is, as the relay state records it (raft-replicated UPSTREAM records):
// the server's identity, whether the relay's newest files carry that server's own file names and
// positions, and how often the relay switched upstreams. A file/position resume is exact only
// against the server whose files the relay mirrors; any other server continues by GTID into a
// new relay file (DESIGN.md invariant 5), so two histories are never spliced under one name.
import { z } from 'zod';
import type { RelayLog } from '../relaylog/relay-log.js';
import type { UpstreamFlavor } from './upstream.js';

export const upstreamIdentitySchema = z.object({
  addr: z.string(),
  flavor: z.enum(['mariadb', 'mysql']),
  server_id: z.number().int().min(0),
  /** MySQL's @@server_uuid; MariaDB has none (null). */
  server_uuid: z.string().nullable(),
  /** The relay's newest file carries this upstream's own name and positions. */
  same_files: z.boolean(),
  /** Upstream switches (GTID continuations into a new relay file) so far. */
  switches: z.number().int().min(0),
  /** When the last switch was recorded (ISO time), null before any. */
  switched_at: z.string().nullable(),
  /** The last switch was forced past a refusal. */
  forced: z.boolean(),
});

export type UpstreamIdentity = z.infer<typeof upstreamIdentitySchema>;

/** What a connected server says about itself. */
export interface ServerIdentity {
  flavor: UpstreamFlavor;
  server_id: number;
  server_uuid: string | null;
}

export function parseUpstreamRecord(body: unknown): UpstreamIdentity | null {
  const parsed = upstreamIdentitySchema.safeParse(body);
  return parsed.success ? parsed.data : null;
}

/** The identity the relay recorded; for a relay written before identities were recorded, the
 *  one its newest file's FORMAT_DESCRIPTION names (server_id and flavor, files mirrored). */
export function recordedUpstream(relay: RelayLog): UpstreamIdentity | null {
  const recorded = parseUpstreamRecord(relay.upstreamRecord);
  if (recorded) return recorded;
  const last = relay.lastFile();
  if (!last || !relay.flavor) return null;
  return {
    addr: '', flavor: relay.flavor, server_id: last.serverId, server_uuid: null,
    same_files: true, switches: 0, switched_at: null, forced: false,
  };
}

/** Whether `a` and `b` name the same server (a UUID decides when both have one). */
export function sameServer(a: ServerIdentity, b: ServerIdentity): boolean {
  if (a.flavor !== b.flavor || a.server_id !== b.server_id) return false;
  return a.server_uuid === null || b.server_uuid === null || a.server_uuid === b.server_uuid;
}
