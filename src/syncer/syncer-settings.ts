// The syncer's settings as the admin API takes them (PUT /binlog/syncer/start) and as they are
// replicated through raft, so that a new leader resumes the same syncer. The password is stored
// in the raft log (it must be, for the new leader to connect) but never shown: see `publicView`.
import { z } from 'zod';

const hostPort = z.string().regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, 'expected host:port');

export const syncerStartSchema = z.strictObject({
  /** The upstream to follow now (a re-point when the syncer runs). Optional with mysql_addrs. */
  mysql_addr: hostPort.optional(),
  /** Upstream candidates in order of preference: the syncer fails over among them by GTID. */
  mysql_addrs: z.array(hostPort).min(1).max(16).optional(),
  mysql_user: z.string().min(1),
  /** Stored in the raft log: prefer mysql_password_file (exactly one of the two). */
  mysql_password: z.string().optional(),
  /** A file holding the password, read by the leader at each connect (upstream-secrets.ts). */
  mysql_password_file: z.string().min(1).optional(),
  /** TLS to the upstream: PEM file paths; `verify` checks the chain and the host name. */
  mysql_tls: z.strictObject({
    ca: z.string().min(1).optional(),
    cert: z.string().min(1).optional(),
    key: z.string().min(1).optional(),
    verify: z.boolean().default(true),
  }).refine((t) => (t.cert === undefined) === (t.key === undefined), { message: 'cert and key go together', path: ['cert'] }).optional(),
  /** server_id the syncer uses towards the upstream: must differ from every other replica's. */
  syncer_id: z.number().int().min(1).max(0xffffffff).default(0x6272_0001),
  syncer_uuid: z.string().uuid().optional(),
  /** Register as a semi-sync replica: the upstream's commits wait until raft committed them. */
  semi_sync: z.boolean().default(false),
  start_gtid: z.string().min(1).optional(),
  /** How long the current upstream may be unreachable before the syncer switches candidates. */
  failover_after_ms: z.number().int().min(100).max(3_600_000).default(5000),
  /** Switch to the first candidate even when it lacks transactions of the relay or diverged. */
  force: z.boolean().default(false),
}).refine((s) => s.mysql_addr !== undefined || s.mysql_addrs !== undefined, {
  message: 'mysql_addr or mysql_addrs is required', path: ['mysql_addr'],
}).refine((s) => (s.mysql_password === undefined) !== (s.mysql_password_file === undefined), {
  message: 'exactly one of mysql_password and mysql_password_file is required', path: ['mysql_password'],
});

export type SyncerSettings = z.infer<typeof syncerStartSchema>;

/** What is replicated: the settings, or null once the syncer was stopped. */
export interface SyncerRecordBody {
  running: boolean;
  settings: SyncerSettings;
}

export function parseSyncerRecord(body: unknown): SyncerRecordBody | null {
  if (body === null || typeof body !== 'object') return null;
  const raw = body as { running?: unknown; settings?: unknown };
  const settings = syncerStartSchema.safeParse(raw.settings);
  if (!settings.success) return null;
  return { running: raw.running === true, settings: settings.data };
}

/** The upstream candidates in order: mysql_addr (the one to follow now) first, then mysql_addrs. */
export function upstreamCandidates(settings: SyncerSettings): string[] {
  const all = [...(settings.mysql_addr ? [settings.mysql_addr] : []), ...(settings.mysql_addrs ?? [])];
  return [...new Set(all)];
}

export function publicView(settings: SyncerSettings): Omit<SyncerSettings, 'mysql_password'> {
  const { mysql_password: _hidden, ...shown } = settings;
  return shown;
}
