import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MariaDbGtidSet, parseMariaDbGtid, type MariaDbGtid } from '../../../src/binlog/gtid-set-mariadb.js';
import { MysqlGtidSet } from '../../../src/binlog/gtid-set-mysql.js';
import { DumpError, DumpErrors } from '../../../src/server/dump-errors.js';
import {
  BinlogState, checkMariaDbStartPosition, containsAllSlaveGtids, findMariaDbStartFile, findMysqlStartFile, isPositionReached,
  type ListedFile,
} from '../../../src/server/gtid-start.js';

const errors = new DumpErrors('mariadb');
const g = (s: string): MariaDbGtid => parseMariaDbGtid(s);
const list = (s: string): MariaDbGtid[] => (s === '' ? [] : s.split(',').map(g));

function stateOf(connect: string, binlog: string) {
  return checkMariaDbStartPosition(MariaDbGtidSet.parse(connect), new BinlogState(list(binlog)), { ignoreDuplicates: false }, errors);
}

function failure(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof DumpError);
    assert.equal(err.errno, 1236);
    return err.message;
  }
  assert.fail('expected a DumpError');
}

// Three files as a real master writes them: each GTID_LIST is the binlog state before the file.
const files: ListedFile[] = [
  { name: 'up-bin.000001', gtidList: [] },
  { name: 'up-bin.000002', gtidList: list('0-1-10') },
  { name: 'up-bin.000003', gtidList: list('0-1-20,1-1-4') },
];

describe('check_slave_start_position', () => {
  it('accepts GTIDs the binlog holds, at any depth', () => {
    const s = stateOf('0-1-5', '0-1-30');
    assert.deepEqual([...s.values()].map((e) => [e.gtid, e.emptyDomain]), [[g('0-1-5'), false]]);
  });

  it('refuses a GTID beyond the binlog with MariaDB\'s message', () => {
    assert.equal(failure(() => stateOf('0-1-999', '0-1-30')), "Error: connecting slave requested to start from GTID 0-1-999, which is not in the master's binlog");
  });

  it('refuses a GTID of a server that never wrote below the domain\'s last: the slave diverged', () => {
    assert.equal(
      failure(() => stateOf('0-7-3', '0-1-30')),
      "Error: connecting slave requested to start from GTID 0-7-3, which is not in the master's binlog. Since the master's binlog contains GTIDs with higher sequence numbers, it probably means that the slave has diverged due to executing extra erroneous transactions",
    );
  });

  it('knows every server of a domain from the binlog state, not only the last one', () => {
    // Server 1 wrote up to 0-1-20, then server 2 took over: 0-1-15 is still in the binlog.
    const s = stateOf('0-1-15', '0-1-20,0-2-25');
    assert.equal(s.size, 1);
    assert.equal(failure(() => stateOf('0-1-21', '0-1-20,0-2-25')).endsWith('extra erroneous transactions'), true);
  });

  it('marks a domain the binlog has never seen (START_ON_EMPTY_DOMAIN)', () => {
    const s = stateOf('0-1-5,5-9-100', '0-1-30');
    assert.equal(s.get(5)!.emptyDomain, true);
    assert.equal(isPositionReached(new Map([[5, s.get(5)!]])), true);
  });

  it('accepts a position ahead of the binlog with @slave_gtid_ignore_duplicates', () => {
    const s = checkMariaDbStartPosition(MariaDbGtidSet.parse('0-1-99'), new BinlogState(list('0-1-30')), { ignoreDuplicates: true }, errors);
    assert.equal(s.size, 1);
  });
});

describe('gtid_find_binlog_file over a synthetic file list', () => {
  it('starts from the newest file whose GTID_LIST shows nothing requested lies before it', () => {
    assert.equal(findMariaDbStartFile(files, stateOf('0-1-5', '0-1-30,1-1-6'), errors), 0);
    assert.equal(findMariaDbStartFile(files, stateOf('0-1-15', '0-1-30,1-1-6'), errors), 1);
    assert.equal(findMariaDbStartFile(files, stateOf('0-1-25,1-1-5', '0-1-30,1-1-6'), errors), 2);
  });

  it('starts the next file when the requested GTID is the last one before it, and drops it from the state', () => {
    const s = stateOf('0-1-10', '0-1-30,1-1-6');
    assert.equal(findMariaDbStartFile(files, s, errors), 1);
    assert.equal(s.size, 0, 'nothing to skip');
    assert.equal(isPositionReached(s), true);
  });

  it('needs an earlier file for a domain missing from the requested state', () => {
    // 1-1-4 is in file 3's list; a state without domain 1 must start where domain 1 began.
    assert.equal(findMariaDbStartFile(files, stateOf('0-1-25', '0-1-30,1-1-6'), errors), 1);
  });

  it('an empty state starts at the first file of a complete binlog', () => {
    assert.equal(findMariaDbStartFile(files, stateOf('', '0-1-30'), errors), 0);
  });

  it('refuses a state older than every file (the files it needs were purged)', () => {
    const purged = files.slice(1);
    assert.equal(
      failure(() => findMariaDbStartFile(purged, stateOf('0-1-5', '0-1-30,1-1-6'), errors)),
      'Could not find GTID state requested by slave in any binlog files. Probably the slave state is too old and required binlog files have been purged.',
    );
  });

  it('contains_all_slave_gtid: the last GTID of a domain group counts, an earlier one does not', () => {
    const state = stateOf('0-1-10', '0-1-10,0-2-12');
    assert.equal(containsAllSlaveGtids(state, list('0-1-10')), true);
    assert.equal(containsAllSlaveGtids(state, list('0-1-10,0-2-12')), false);
    assert.equal(containsAllSlaveGtids(state, list('0-1-11')), false);
    assert.equal(containsAllSlaveGtids(state, list('0-1-9')), true);
  });
});

describe('MySQL auto-position start file', () => {
  const U = '3e11fa47-71ca-11e1-9e33-c80aa9429562';
  const mysqlErrors = new DumpErrors('mysql');
  const mfiles = [
    { name: 'binlog.000001', previousGtids: MysqlGtidSet.parse(`${U}:1-10`) },
    { name: 'binlog.000002', previousGtids: MysqlGtidSet.parse(`${U}:1-20`) },
    { name: 'binlog.000003', previousGtids: MysqlGtidSet.parse(`${U}:1-30`) },
  ];
  const executed = MysqlGtidSet.parse(`${U}:1-40`);
  const purged = MysqlGtidSet.parse(`${U}:1-10`);
  const find = (replica: string): number => findMysqlStartFile(mfiles, MysqlGtidSet.parse(replica), executed, purged, mysqlErrors);

  it('starts from the newest file whose PREVIOUS_GTIDS the replica has', () => {
    assert.equal(find(`${U}:1-15`), 0);
    assert.equal(find(`${U}:1-25`), 1);
    assert.equal(find(`${U}:1-40`), 2);
    // A replica with its own extra transactions is fine.
    assert.equal(find(`${U}:1-40,8a94f357-aab4-11df-86ab-c80aa9429562:1-3`), 2);
  });

  it('refuses a replica missing purged transactions, naming them', () => {
    assert.throws(() => find(`${U}:1-5`), (err: DumpError) => {
      assert.equal(err.errno, 1236);
      assert.ok(err.message.startsWith('Cannot replicate because the source purged required binary logs.'));
      assert.ok(err.message.endsWith(`The GTID set sent by the replica is '${U}:1-5', and the missing transactions are '${U}:6-10'`));
      return true;
    });
  });

  it('refuses a replica with more transactions of a known source than the relay', () => {
    assert.throws(() => find(`${U}:1-41`), (err: DumpError) => err.errno === 1236 && err.message.startsWith('Replica has more GTIDs than the source has'));
  });
});
