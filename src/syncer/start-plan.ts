// Where a syncer session starts on the server it connected to, and whether it may start there.
//   - Empty relay: start_gtid, else the upstream's oldest binlog; the relay mirrors its files.
//   - Same server whose files the relay mirrors: resume at the relay's file:pos (exact, the
//     bytes stay the upstream's). For MariaDB the server must also place the relay's file:pos at
//     the relay's GTID state (BINLOG_GTID_POS), so a server reusing the identity and file names
//     with another history is never resumed by position.
//   - The server the relay switched to (its files are not the relay's): a reconnect continues by
//     GTID in the relay's current file, at its end, when that server wrote the file, still holds
//     every relay transaction, and the file did not end with a ROTATE: no new file, no switch.
//   - Any other server, or one whose files the relay no longer mirrors: continue by GTID, only if
//     the server holds every transaction the relay executed (or the switch is forced), into a new
//     relay file (relay-coordinates.ts).
import { MariaDbGtidSet } from '../binlog/gtid-set-mariadb.js';
import { MysqlGtidSet } from '../binlog/gtid-set-mysql.js';
import { encodeMysqlGtidSet } from '../binlog/gtid-set-mysql-binary.js';
import type { RelayLog } from '../relaylog/relay-log.js';
import type { DumpRequest } from './dump-command.js';
import { describeCoverage, forcedStartState, gtidCoverage } from './gtid-coverage.js';
import type { RelayCoordinatesStart } from './relay-coordinates.js';
import type { SyncerSettings } from './syncer-settings.js';
import type { UpstreamFlavor, UpstreamSession } from './upstream.js';
import { recordedUpstream, sameServer, type ServerIdentity, type UpstreamIdentity } from './upstream-identity.js';

/** A candidate that cannot continue the relay's history (and the switch is not forced). */
export class UpstreamRefusedError extends Error {
  readonly code = 'SYNCER_UPSTREAM_REFUSED';
}

export interface StartPlan {
  request: DumpRequest;
  /** RecordBuilder's start: the relay's end, or null file for a GTID start. */
  start: { file: string | null; pos: number; mysqlStartGtids?: string; translated?: boolean };
  /** Set for a GTID continuation: the stream moves into the relay's own file sequence. */
  translate: RelayCoordinatesStart | null;
  /** The UPSTREAM record to propose before any data (null: the recorded one stands). */
  identity: UpstreamIdentity | null;
  /** What the log and status say about this start (a switch, a forced switch). */
  note: string | null;
}

export interface PlanOptions {
  addr: string;
  /** The operator forces a switch to this candidate past a refusal. */
  force: boolean;
  now?: () => Date;
}

export async function planStart(session: UpstreamSession, relay: RelayLog, settings: SyncerSettings, options: PlanOptions): Promise<StartPlan> {
  const { flavor, serverId, serverUuid } = session.info;
  const server: ServerIdentity = { flavor, server_id: serverId, server_uuid: serverUuid };
  const recorded = recordedUpstream(relay);
  const identity = (sameFiles: boolean, switched: boolean, forced: boolean): UpstreamIdentity => ({
    addr: options.addr, ...server, same_files: sameFiles,
    switches: (recorded?.switches ?? 0) + (switched ? 1 : 0),
    switched_at: switched ? (options.now?.() ?? new Date()).toISOString() : recorded?.switched_at ?? null,
    forced: switched ? forced : recorded?.forced ?? false,
  });
  const flags = session.dumpFlags();
  const syncerId = settings.syncer_id;
  const last = relay.lastFile();
  if (!last) return { ...(await emptyRelayStart(session, settings, flags)), translate: null, identity: identity(true, false, false), note: null };

  if (relay.flavor && relay.flavor !== flavor) {
    throw new UpstreamRefusedError(`upstream ${options.addr} is ${flavor}; the relay holds a ${relay.flavor} history`);
  }
  if (recorded?.same_files && sameServer(recorded, server) && await mirrorsRelayEnd(session, relay)) {
    const unchanged = relay.upstreamRecord !== null && recorded.addr === options.addr;
    return {
      request: { kind: 'file', file: last.name, pos: last.endPos, serverId: syncerId, flags },
      start: { file: last.name, pos: last.endPos }, translate: null,
      identity: unchanged ? null : identity(true, false, false), note: null,
    };
  }

  const executed = relay.executedGtids.toString();
  const theirs = await session.gtidState();
  const coverage = gtidCoverage(flavor, executed, theirs);
  let startState = executed;
  let note = `continuing by GTID from ${options.addr} at ${executed} in a new relay file`;
  if (!coverage.holdsAll) {
    const why = describeCoverage(options.addr, coverage);
    if (!options.force) throw new UpstreamRefusedError(`${why}: refused (force the switch to accept it)`);
    startState = forcedStartState(flavor, executed, theirs);
    note = `forced switch to ${options.addr}: ${why}; continuing from ${startState || 'its oldest binlog'} in a new relay file`;
  }
  const request = await gtidRequest(session, flavor, startState, syncerId, flags);
  // The upstream the relay already continues by GTID, in a file it wrote (a switch recorded before
  // the new file began still starts it): the relay's end is where the continuation resumes.
  const sameUpstream = recorded !== null && !recorded.same_files && sameServer(recorded, server) && last.serverId === serverId;
  if (sameUpstream && coverage.holdsAll && !last.rotated && last.fde !== null) {
    const continueAt = { pos: last.endPos, fde: Buffer.from(last.fde, 'base64') };
    return {
      request, start: { file: last.name, pos: last.endPos, translated: true },
      translate: { flavor, lastRelayFile: last.name, startState, continueAt },
      identity: recorded.addr === options.addr ? null : identity(false, false, false), note: null,
    };
  }
  const translate: RelayCoordinatesStart = { flavor, lastRelayFile: last.name, startState };
  return { request, start: { file: null, pos: 4, translated: true }, translate, identity: identity(false, true, !coverage.holdsAll), note };
}

/** The dump request of a GTID continuation from `state` (MariaDB: set as the connect state). */
async function gtidRequest(session: UpstreamSession, flavor: UpstreamFlavor, state: string, serverId: number, flags: number): Promise<DumpRequest> {
  if (flavor === 'mysql') return { kind: 'mysql-gtid', file: '', pos: 4, serverId, flags: 0, gtidSet: encodeMysqlGtidSet(MysqlGtidSet.parse(state)) };
  await session.setMariaDbConnectState(state);
  return { kind: 'file', file: '', pos: 4, serverId, flags };
}

/** MariaDB: the server places the relay's end at the relay's GTID state (the same history). */
async function mirrorsRelayEnd(session: UpstreamSession, relay: RelayLog): Promise<boolean> {
  if (session.info.flavor !== 'mariadb') return true;
  const last = relay.lastFile()!;
  const there = await session.binlogGtidPos(last.name, last.endPos);
  if (there === null) return false;
  return MariaDbGtidSet.parse(there).equals(relay.executedGtids.mariadbSet);
}

/** An empty relay: start_gtid, else the upstream's oldest binlog (a whole first file). */
async function emptyRelayStart(session: UpstreamSession, settings: SyncerSettings, flags: number): Promise<Pick<StartPlan, 'request' | 'start'>> {
  const serverId = settings.syncer_id;
  if (settings.start_gtid) {
    const mysql = session.info.flavor === 'mysql';
    const request = await gtidRequest(session, session.info.flavor, settings.start_gtid, serverId, flags);
    return { request, start: { file: null, pos: 4, ...(mysql ? { mysqlStartGtids: settings.start_gtid } : {}) } };
  }
  const [first] = await session.binaryLogs();
  if (!first) throw new Error('the upstream has no binary logs (is log_bin on?)');
  return { request: { kind: 'file', file: first, pos: 4, serverId, flags }, start: { file: first, pos: 4 } };
}
