// Whether an upstream candidate holds every transaction the relay has executed, compared in the
// flavor's own terms: MariaDB positions per domain (seq_no, with the server id telling a
// diverged transaction of the same seq_no apart), MySQL GTID sets (subset).
import { formatMariaDbGtid, MariaDbGtidSet } from '../binlog/gtid-set-mariadb.js';
import { MysqlGtidSet } from '../binlog/gtid-set-mysql.js';
import type { UpstreamFlavor } from './upstream.js';

export interface GtidCoverage {
  holdsAll: boolean;
  /** The relay's GTIDs the candidate lacks ('' when none), in the flavor's text form; for
   *  MariaDB each with the candidate's position in that domain. */
  missing: string;
  /** MariaDB: domains where the candidate wrote another transaction at the relay's seq_no. */
  diverged: string;
}

export function gtidCoverage(flavor: UpstreamFlavor, relayExecuted: string, candidate: string): GtidCoverage {
  if (flavor === 'mysql') {
    const missing = MysqlGtidSet.parse(relayExecuted).subtract(MysqlGtidSet.parse(candidate));
    return { holdsAll: missing.isEmpty(), missing: missing.toString(), diverged: '' };
  }
  const theirs = MariaDbGtidSet.parse(candidate);
  const missing: string[] = [];
  const diverged: string[] = [];
  for (const ours of MariaDbGtidSet.parse(relayExecuted).gtids()) {
    const at = theirs.get(ours.domain);
    const where = `${formatMariaDbGtid(ours)} (candidate at ${at ? formatMariaDbGtid(at) : 'nothing'} in domain ${ours.domain})`;
    if (!at || at.seq < ours.seq) missing.push(where);
    else if (at.seq === ours.seq && at.serverId !== ours.serverId) diverged.push(where);
  }
  return { holdsAll: missing.length === 0 && diverged.length === 0, missing: missing.join(', '), diverged: diverged.join(', ') };
}

/** Why a candidate is refused, in one sentence ('' when it holds everything). */
export function describeCoverage(addr: string, coverage: GtidCoverage): string {
  const parts: string[] = [];
  if (coverage.missing) parts.push(`lacks the relay's transactions ${coverage.missing}`);
  if (coverage.diverged) parts.push(`has diverged: ${coverage.diverged}`);
  return parts.length === 0 ? '' : `upstream ${addr} ${parts.join(' and ')}`;
}

/** Where a forced switch continues: MariaDB, per domain the relay's position where the candidate
 *  holds it, else the candidate's own; MySQL, what both hold. */
export function forcedStartState(flavor: UpstreamFlavor, relayExecuted: string, candidate: string): string {
  if (flavor === 'mysql') return MysqlGtidSet.parse(relayExecuted).intersect(MysqlGtidSet.parse(candidate)).toString();
  const theirs = MariaDbGtidSet.parse(candidate);
  const state = MariaDbGtidSet.empty();
  for (const ours of MariaDbGtidSet.parse(relayExecuted).gtids()) {
    const at = theirs.get(ours.domain);
    if (at && (at.seq > ours.seq || (at.seq === ours.seq && at.serverId === ours.serverId))) state.update(ours);
    else if (at) state.update(at);
  }
  return state.toString();
}
