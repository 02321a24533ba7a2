// Where a dump starts and how, decided before anything is sent (init_binlog_sender in MariaDB's
// sql_repl.cc, Binlog_sender::init/check_start_file in MySQL): the file, the position, whether
// the first FORMAT_DESCRIPTION goes out with log_pos and created zeroed, and what the stream
// must skip. Errors here are the ones a real master sends before the fake ROTATE.
import { MariaDbGtidSet } from '../binlog/gtid-set-mariadb.js';
import { MysqlGtidSet } from '../binlog/gtid-set-mysql.js';
import { BinlogError } from '../binlog/binlog-error.js';
import { ER_UNKNOWN_ERROR } from '../mysql/error-codes.js';
import type { RelayFile } from '../relaylog/relay-files.js';
import type { DumpRequest } from './dump-request.js';
import { DumpError, type DumpErrors } from './dump-errors.js';
import { checkMariaDbStartPosition, findMariaDbStartFile, findMysqlStartFile, isPositionReached, type SlaveConnectionState } from './gtid-start.js';
import type { RelaySource } from './relay-source.js';
import type { DumpParameters } from './session-variables.js';

export interface DumpPlan {
  mode: 'file' | 'gtid';
  file: RelayFile;
  /** The position the fake ROTATE names (where the client believes it starts). */
  rotatePos: number;
  /** The position streaming starts from; 4 means "right after the file's FDE". */
  startPos: number;
  /** The first FDE goes out with log_pos 0 and created 0 (MariaDB clear_initial_log_pos). */
  clearInitialLogPos: boolean;
  /** MariaDB GTID dump: the GTIDs still to reach. */
  mariadbState: SlaveConnectionState | null;
  /** MySQL GTID dump: transactions the replica has. */
  mysqlExclude: MysqlGtidSet | null;
  /** The GTID position the replica starts from, in the flavor's text form. */
  startGtids: string;
}

export async function planDump(
  request: DumpRequest,
  params: DumpParameters,
  flavor: 'mariadb' | 'mysql',
  source: RelaySource,
  errors: DumpErrors,
): Promise<DumpPlan> {
  if (request.command === 'binlog-dump-gtid') return planMysqlGtid(request, source, errors);
  if (flavor === 'mariadb' && params.connectState !== null) return planMariaDbGtid(params, source, errors);
  return planFilePosition(request.file, request.position, source, errors, null);
}

function planFilePosition(name: string, pos: number, source: RelaySource, errors: DumpErrors, exclude: MysqlGtidSet | null): DumpPlan {
  const file = name === '' ? source.files()[0] : source.fileByName(name);
  const last = source.files()[source.files().length - 1];
  if (!file) throw errors.firstLogNotFound(last !== undefined && isLaterFile(name, last.name));
  // Before the relay's first position of a file it started mid-way: bytes it never had.
  if (pos < 4 || pos > file.endPos || (pos < file.firstPos && pos !== 4) || (pos === 4 && file.firstPos !== 4)) {
    throw errors.impossiblePosition(file.name, pos, pos > file.endPos && file === last && !file.rotated);
  }
  return {
    mode: exclude ? 'gtid' : 'file',
    file,
    rotatePos: pos,
    startPos: pos,
    clearInitialLogPos: pos > 4,
    mariadbState: null,
    mysqlExclude: exclude,
    startGtids: exclude?.toString() ?? (pos === file.firstPos ? file.startGtids : ''),
  };
}

async function planMariaDbGtid(params: DumpParameters, source: RelaySource, errors: DumpErrors): Promise<DumpPlan> {
  let requested: MariaDbGtidSet;
  try {
    requested = MariaDbGtidSet.parse(params.connectState ?? '');
  } catch (err) {
    if (!(err instanceof BinlogError)) throw err;
    throw new DumpError(ER_UNKNOWN_ERROR, 'Out of memory or malformed slave request when obtaining start position from GTID state');
  }
  const options = { ignoreDuplicates: params.gtidIgnoreDuplicates };
  let state: SlaveConnectionState;
  try {
    // The newest file's GTID_LIST plus each domain's last GTID settle the usual request.
    state = checkMariaDbStartPosition(requested, await source.quickBinlogState(), options, errors);
  } catch (err) {
    // A GTID of a server that is not its domain's last writer may still be in the newest file.
    if (!(err instanceof DumpError) || err.ahead) throw err;
    state = checkMariaDbStartPosition(requested, await source.binlogState(), options, errors);
  }
  const files = source.files();
  const listed = [];
  for (const f of files) listed.push({ name: f.name, gtidList: await source.gtidList(f) });
  const index = findMariaDbStartFile(listed, state, errors);
  return gtidPlan(files[index]!, { mariadbState: state, mysqlExclude: null, startGtids: requested.toString() });
}

function planMysqlGtid(request: Extract<DumpRequest, { command: 'binlog-dump-gtid' }>, source: RelaySource, errors: DumpErrors): DumpPlan {
  if (request.file !== '') return planFilePosition(request.file, request.position, source, errors, request.gtids);
  const files = source.files();
  const executed = source.relay.executedGtids.mysqlSet;
  const purged = MysqlGtidSet.parse(source.relay.purgedGtids);
  const listed = files.map((f) => ({ name: f.name, previousGtids: MysqlGtidSet.parse(f.startGtids) }));
  const index = findMysqlStartFile(listed, request.gtids, executed, purged, errors);
  return gtidPlan(files[index]!, { mariadbState: null, mysqlExclude: request.gtids, startGtids: request.gtids.toString() });
}

/** MariaDB zeroes `created` in the FDEs of a GTID dump until the position is reached, so the
 *  replica keeps its temporary tables; MySQL when the replica already has transactions. */
export function zeroCreatedForGtid(plan: DumpPlan): boolean {
  if (plan.mode !== 'gtid') return false;
  if (plan.mariadbState) return !isPositionReached(plan.mariadbState);
  return plan.mysqlExclude !== null && !plan.mysqlExclude.isEmpty();
}

/** `name` is a later file of the same binlog sequence than `last` (up-bin.000007 after .000006). */
export function isLaterFile(name: string, last: string): boolean {
  const a = /^(.*)\.(\d+)$/.exec(name);
  const b = /^(.*)\.(\d+)$/.exec(last);
  return a !== null && b !== null && a[1] === b[1] && Number(a[2]) > Number(b[2]);
}

/** A GTID dump of `file`: from its start, or from the relay's first position when the relay holds
 *  it from the middle (then the FDE goes out with log_pos 0, as for a file/position start). */
function gtidPlan(file: RelayFile, gtids: Pick<DumpPlan, 'mariadbState' | 'mysqlExclude' | 'startGtids'>): DumpPlan {
  const midFile = file.firstPos > 4;
  const startPos = midFile ? file.firstPos : 4;
  return { mode: 'gtid', file, rotatePos: startPos, startPos, clearInitialLogPos: midFile, ...gtids };
}
