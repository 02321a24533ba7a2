// The syncer's settings as the admin API takes them (PUT /binlog/syncer/start) and as they are
// replicated through raft, so that a new leader resumes the same syncer. The password is stored
// in the raft log (it must be, for the new leader to connect) but never shown: see `publicView`.
import { z } from 'zod';

const hostPort = z.string().regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, 'expected host:port');

export const syncerStartSchema = z.strictObject({
  mysql_addr: hostPort,
  mysql_user: z.string().min(1),
  mysql_password: z.string(),
  /** server_id the syncer uses towards the upstream: must differ from every other replica's. */
  syncer_id: z.number().int().min(1).max(0xffffffff).default(0x6272_0001),
  syncer_uuid: z.string().uuid().optional(),
  /** Register as a semi-sync replica: the upstream's commits wait until raft committed them. */
  semi_sync: z.boolean().default(false),
  start_gtid: z.string().min(1).optional(),
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

export function publicView(settings: SyncerSettings): Omit<SyncerSettings, 'mysql_password'> {
  const { mysql_password: _hidden, ...shown } = settings;
  return shown;
}
