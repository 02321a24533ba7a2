// A re-point checked before it is replicated: PUT /binlog/syncer/start asks the new first
// candidate, as the syncer would, whether it can continue the relay's history, so a refused
// re-point is answered to the operator and leaves the running syncer on its upstream.
import type { RelayLog } from '../relaylog/relay-log.js';
import { planStart, UpstreamRefusedError } from './start-plan.js';
import { upstreamCandidates, type SyncerSettings } from './syncer-settings.js';
import { UpstreamSession } from './upstream.js';
import { upstreamSecretRefs } from './upstream-secrets.js';

export type UpstreamCheck =
  | { verdict: 'accepted'; note: string | null }
  | { verdict: 'refused'; reason: string }
  | { verdict: 'unreachable'; reason: string };

export async function checkUpstream(settings: SyncerSettings, relay: RelayLog): Promise<UpstreamCheck> {
  const addr = upstreamCandidates(settings)[0]!;
  let session: UpstreamSession | null = null;
  try {
    session = await UpstreamSession.open({
      addr, user: settings.mysql_user, ...upstreamSecretRefs(settings), heartbeatMs: 1000, connectTimeoutMs: 3000, semiSync: false,
    });
    const plan = await planStart(session, relay, settings, { addr, force: settings.force });
    return { verdict: 'accepted', note: plan.note };
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    return err instanceof UpstreamRefusedError ? { verdict: 'refused', reason } : { verdict: 'unreachable', reason };
  } finally {
    session?.close();
  }
}
