// When the relay state machine stages its checkpoint: never for binlog bytes alone, at once for
// anything else, the latest applied index while one waits for its batch, and whenever the driver
// asks (raft/node-ready-loop.ts asks 100 ms after an apply left none). A restart from a
// checkpoint older than what was applied cuts the files back to it, and applying the rest again
// gives the same bytes.
import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Entry } from '../../../raft/core/types.js';
import { openStorage, type Storage } from '../../../storage/storage.js';
import { openRelay, relayStateMachine, type RelayStateMachine } from '../../../src/relaylog/relay-state-machine.js';
import { encodeRelayRecord, type RelayRecord } from '../../../src/relaylog/relay-entry.js';
import type { RelayLog } from '../../../src/relaylog/relay-log.js';
import { silentLogger } from '../../../src/logger.js';
import { fixturesDir } from '../binlog/listing.js';

const FILE = 'mysql_bin.000011';
const bytes = readFileSync(join(fixturesDir(), 'mysql57-binlog', FILE));
/** Transaction boundaries of the fixture file. */
const CUTS = [4, 259, 1054, 2212, 2500];

let dataDir: string;
let storage: Storage;
let relay: RelayLog;
let machine: RelayStateMachine;
let index: number;

async function open(): Promise<void> {
  storage = await openStorage(dataDir, { logger: silentLogger });
  relay = await openRelay(dataDir, storage, silentLogger);
  machine = relayStateMachine(relay, storage, () => Promise.reject(new Error('no snapshots here')));
  index = machine.appliedIndex;
}

beforeEach(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'binrelay-state-machine-'));
  await open();
});

afterEach(async () => {
  await storage.close();
  rmSync(dataDir, { recursive: true, force: true });
});

function apply(record: RelayRecord): void {
  const entry: Entry = { index: ++index, term: 1, type: 'normal', data: encodeRelayRecord(record) };
  machine.apply([entry]);
}

/** Transaction k of the fixture (from CUTS[k] to CUTS[k + 1]). */
function transaction(k: number): RelayRecord {
  return { kind: 'binlog', file: FILE, pos: CUTS[k]!, bytes: bytes.subarray(CUTS[k]!, CUTS[k + 1]!), endsAtBoundary: true };
}

test('binlog bytes alone stage no checkpoint; once one is staged it follows every apply until its batch', async () => {
  apply(transaction(0));
  assert.equal(storage.raft.hasStaged(), false, 'binlog bytes alone');
  machine.checkpoint();
  assert.equal(storage.raft.appliedIndex(), 1, 'the driver asked');
  apply(transaction(1));
  assert.equal(storage.raft.appliedIndex(), 2, 'the staged applied index is the latest while its batch waits');
  await storage.raft.flushStaged(false);
  apply(transaction(2));
  assert.equal(storage.raft.hasStaged(), false, 'none once that batch is written');
  assert.equal(storage.raft.appliedIndex(), 2);
});

test('anything but binlog bytes stages a checkpoint at once', async () => {
  apply(transaction(0));
  apply({ kind: 'binlog', file: FILE, pos: CUTS[1]!, bytes: bytes.subarray(CUTS[1]!, 700), endsAtBoundary: false });
  assert.equal(storage.raft.hasStaged(), false);
  apply({ kind: 'abort', file: FILE, pos: CUTS[1]! });
  assert.equal(storage.raft.appliedIndex(), 3, 'an abort (its bytes are cut once the state without them is written)');
  await storage.raft.flushStaged(false);
  assert.equal(statSync(join(dataDir, 'binlog', FILE)).size, CUTS[1], 'and cut they are');
  apply({ kind: 'syncer', settings: { running: false } });
  assert.equal(storage.raft.appliedIndex(), 4, 'a setting');
});

test('a restart from a checkpoint older than what was applied cuts the file back, and the rest applied again is the same file', async () => {
  apply(transaction(0));
  apply(transaction(1));
  machine.checkpoint();
  await storage.raft.flushStaged(false);
  apply(transaction(2));
  apply(transaction(3));
  assert.equal(statSync(join(dataDir, 'binlog', FILE)).size, CUTS[4], 'applied, with no checkpoint staged for it');
  await storage.close();
  await open();
  assert.equal(machine.appliedIndex, 2);
  assert.equal(relay.checkpointIndex, 2);
  assert.equal(statSync(join(dataDir, 'binlog', FILE)).size, CUTS[2], 'cut back to the checkpoint');
  apply(transaction(2));
  apply(transaction(3));
  assert.ok(readFileSync(join(dataDir, 'binlog', FILE)).equals(bytes.subarray(0, CUTS[4])));
});
