// Where a syncer session starts (src/syncer/start-plan.ts), against a scripted upstream session and
// relay state, for both flavors: the mirrored upstream resumes by file and position; the upstream
// the relay switched to is resumed in the relay's current file (a reconnect is no switch); any
// other server continues by GTID into a new relay file, only when it holds every relay transaction,
// unless the operator forces it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeMysqlGtidSet } from '../../../src/binlog/gtid-set-mysql-binary.js';
import type { RelayLog } from '../../../src/relaylog/relay-log.js';
import { ExecutedGtids } from '../../../src/relaylog/executed-gtids.js';
import type { RelayFile } from '../../../src/relaylog/relay-files.js';
import { planStart, UpstreamRefusedError } from '../../../src/syncer/start-plan.js';
import { syncerStartSchema } from '../../../src/syncer/syncer-settings.js';
import type { UpstreamSession, UpstreamFlavor } from '../../../src/syncer/upstream.js';
import type { UpstreamIdentity } from '../../../src/syncer/upstream-identity.js';
import { SyntheticBinlog } from './synthetic-binlog.js';

const UUID_A = '3e11fa47-71ca-11e1-9e33-c80aa9429562';
const UUID_B = '4f22fb58-82db-22f2-af44-d91bb953a673';
const FDE = new SyntheticBinlog().bytes().subarray(4);
const settings = syncerStartSchema.parse({ mysql_addrs: ['p:3306', 'r:3306'], mysql_user: 'repl', mysql_password: 'pw' });
const NOW = new Date('2030-01-02T03:04:05Z');

interface Upstream {
  flavor: UpstreamFlavor;
  serverId: number;
  serverUuid?: string | null;
  /** @@gtid_binlog_pos / @@gtid_executed */
  state: string;
  /** BINLOG_GTID_POS of the relay's end (MariaDB). */
  gtidPosAtRelayEnd?: string | null;
}

function session(up: Upstream): UpstreamSession & { connectState: string | null } {
  const fake = {
    info: { flavor: up.flavor, version: '', serverId: up.serverId, serverUuid: up.serverUuid ?? null },
    connectState: null as string | null,
    dumpFlags: () => (up.flavor === 'mariadb' ? 2 : 0),
    gtidState: () => Promise.resolve(up.state),
    binlogGtidPos: () => Promise.resolve(up.gtidPosAtRelayEnd ?? null),
    binaryLogs: () => Promise.resolve(['up-bin.000001']),
    setMariaDbConnectState: (state: string) => {
      fake.connectState = state;
      return Promise.resolve();
    },
  };
  return fake as unknown as UpstreamSession & { connectState: string | null };
}

function relay(flavor: UpstreamFlavor, executed: string, upstream: Partial<UpstreamIdentity> | null, last: Partial<RelayFile> = {}): RelayLog {
  const file: RelayFile = {
    seq: 7, name: 'up-bin.000007', firstPos: 4, endPos: 9000, fde: FDE.toString('base64'), startGtids: '',
    rotated: false, serverId: 42, lastEventTime: 0, ...last,
  };
  const record = upstream && {
    addr: 'r:3306', flavor, server_id: 42, server_uuid: null, same_files: false, switches: 1,
    switched_at: '2029-12-31T00:00:00.000Z', forced: false, ...upstream,
  };
  return {
    flavor, upstreamRecord: record, executedGtids: ExecutedGtids.parse(flavor, executed), lastFile: () => file,
  } as unknown as RelayLog;
}

const plan = (s: UpstreamSession, r: RelayLog, addr = 'r:3306', force = false): ReturnType<typeof planStart> =>
  planStart(s, r, settings, { addr, force, now: () => NOW });

test('the upstream whose files the relay mirrors resumes at the relay end by file and position', async () => {
  const r = relay('mariadb', '0-41-100', { addr: 'p:3306', server_id: 41, same_files: true, switches: 0, switched_at: null });
  const p = await plan(session({ flavor: 'mariadb', serverId: 41, state: '0-41-120', gtidPosAtRelayEnd: '0-41-100' }), r, 'p:3306');
  assert.deepEqual(p.request, { kind: 'file', file: 'up-bin.000007', pos: 9000, serverId: settings.syncer_id, flags: 2 });
  assert.equal(p.translate, null);
  assert.equal(p.identity, null, 'nothing new to record');
});

test('a reconnect to the upstream the relay switched to continues in the relay current file: no new file, no switch', async () => {
  const s = session({ flavor: 'mariadb', serverId: 42, state: '0-42-130' });
  const p = await plan(s, relay('mariadb', '0-42-120', {}));
  assert.deepEqual(p.start, { file: 'up-bin.000007', pos: 9000, translated: true });
  assert.equal(p.translate?.lastRelayFile, 'up-bin.000007');
  assert.equal(p.translate?.continueAt?.pos, 9000);
  assert.ok(p.translate?.continueAt?.fde.equals(FDE), 'the file own FDE, to check the dump against');
  assert.equal(s.connectState, '0-42-120');
  assert.deepEqual(p.request, { kind: 'file', file: '', pos: 4, serverId: settings.syncer_id, flags: 2 });
  assert.equal(p.identity, null, 'no UPSTREAM record: the switch count stays');
  assert.equal(p.note, null);
});

test('the same upstream reached by another address is recorded under it, still no switch', async () => {
  const p = await plan(session({ flavor: 'mariadb', serverId: 42, state: '0-42-130' }), relay('mariadb', '0-42-120', {}), 'r-alias:3306');
  assert.equal(p.start.file, 'up-bin.000007');
  assert.deepEqual(p.identity, {
    addr: 'r-alias:3306', flavor: 'mariadb', server_id: 42, server_uuid: null, same_files: false,
    switches: 1, switched_at: '2029-12-31T00:00:00.000Z', forced: false,
  });
});

test('the same upstream starts a new relay file after a ROTATE ended the current one', async () => {
  const p = await plan(session({ flavor: 'mariadb', serverId: 42, state: '0-42-130' }), relay('mariadb', '0-42-120', {}, { rotated: true }));
  assert.equal(p.start.file, null);
  assert.equal(p.translate?.continueAt, undefined);
  assert.equal(p.identity?.switches, 2);
});

test('a switch recorded before its first relay file began still starts that file on reconnect', async () => {
  // The relay's last file is still the old upstream's (server 41): the dump died before the new file.
  const p = await plan(session({ flavor: 'mariadb', serverId: 42, state: '0-42-130' }), relay('mariadb', '0-42-120', {}, { serverId: 41 }));
  assert.equal(p.start.file, null);
  assert.equal(p.translate?.continueAt, undefined);
});

test('a switch to another MariaDB server continues by GTID into a new relay file and is recorded', async () => {
  const s = session({ flavor: 'mariadb', serverId: 43, state: '0-43-125' });
  const p = await plan(s, relay('mariadb', '0-42-120', {}), 's:3306');
  assert.deepEqual(p.start, { file: null, pos: 4, translated: true });
  assert.deepEqual(p.translate, { flavor: 'mariadb', lastRelayFile: 'up-bin.000007', startState: '0-42-120' });
  assert.equal(s.connectState, '0-42-120');
  assert.deepEqual(p.identity, {
    addr: 's:3306', flavor: 'mariadb', server_id: 43, server_uuid: null, same_files: false,
    switches: 2, switched_at: NOW.toISOString(), forced: false,
  });
  assert.match(p.note!, /^continuing by GTID from s:3306 at 0-42-120 in a new relay file$/);
});

test('a MariaDB candidate lacking relay transactions is refused; forced, it continues from what it holds', async () => {
  const r = relay('mariadb', '0-42-120', {});
  const s = session({ flavor: 'mariadb', serverId: 43, state: '0-42-110' });
  await assert.rejects(plan(s, r, 's:3306'), (err: Error) => err instanceof UpstreamRefusedError
    && /upstream s:3306 lacks the relay's transactions 0-42-120 \(candidate at 0-42-110 in domain 0\): refused/.test(err.message));
  assert.equal(s.connectState, null, 'a refused candidate is not asked to dump');
  const p = await plan(s, r, 's:3306', true);
  assert.equal(s.connectState, '0-42-110');
  assert.equal(p.translate?.startState, '0-42-110');
  assert.equal(p.identity?.forced, true);
  assert.equal(p.identity?.switches, 2);
  assert.match(p.note!, /^forced switch to s:3306: upstream s:3306 lacks the relay's transactions 0-42-120 .*continuing from 0-42-110 in a new relay file$/);
});

test('the switched-to upstream that lost relay transactions is no in-place reconnect: refused unless forced', async () => {
  const r = relay('mariadb', '0-42-120', {});
  await assert.rejects(plan(session({ flavor: 'mariadb', serverId: 42, state: '0-42-115' }), r), UpstreamRefusedError);
  const p = await plan(session({ flavor: 'mariadb', serverId: 42, state: '0-42-115' }), r, 'r:3306', true);
  assert.equal(p.start.file, null, 'a forced continuation goes into a new relay file');
  assert.equal(p.identity?.forced, true);
});

test('a server of the other flavor is refused', async () => {
  await assert.rejects(plan(session({ flavor: 'mysql', serverId: 42, serverUuid: UUID_A, state: `${UUID_A}:1-10` }), relay('mariadb', '0-42-120', {})),
    /upstream r:3306 is mysql; the relay holds a mariadb history/);
});

test('MySQL: a switch sends COM_BINLOG_DUMP_GTID with the relay executed set; the server UUID tells servers apart', async () => {
  const r = relay('mysql', `${UUID_A}:1-10`, { addr: 'p:3306', flavor: 'mysql', server_id: 41, server_uuid: UUID_A, same_files: true, switches: 0, switched_at: null });
  // Same server_id, another UUID: another server, so no file/position resume.
  const p = await plan(session({ flavor: 'mysql', serverId: 41, serverUuid: UUID_B, state: `${UUID_A}:1-10,${UUID_B}:1-3` }), r, 'r:3306');
  assert.equal(p.request.kind, 'mysql-gtid');
  assert.equal(p.request.kind === 'mysql-gtid' && decodeMysqlGtidSet(p.request.gtidSet).toString(), `${UUID_A}:1-10`);
  assert.deepEqual(p.translate, { flavor: 'mysql', lastRelayFile: 'up-bin.000007', startState: `${UUID_A}:1-10` });
  assert.equal(p.identity?.server_uuid, UUID_B);
  assert.equal(p.identity?.switches, 1);
});

test('MySQL: a candidate missing part of the relay set is refused naming it; forced, it continues from the intersection', async () => {
  const r = relay('mysql', `${UUID_A}:1-10,${UUID_B}:1-5`, { flavor: 'mysql', server_id: 41, server_uuid: UUID_A, same_files: true, switches: 0, switched_at: null });
  const s = session({ flavor: 'mysql', serverId: 43, serverUuid: UUID_B, state: `${UUID_A}:1-7,${UUID_B}:1-9` });
  await assert.rejects(plan(s, r, 's:3306'), new RegExp(`upstream s:3306 lacks the relay's transactions ${UUID_A}:8-10: refused`));
  const p = await plan(s, r, 's:3306', true);
  assert.equal(p.translate?.startState, `${UUID_A}:1-7,${UUID_B}:1-5`);
  assert.equal(p.request.kind === 'mysql-gtid' && decodeMysqlGtidSet(p.request.gtidSet).toString(), `${UUID_A}:1-7,${UUID_B}:1-5`);
  assert.equal(p.identity?.forced, true);
  assert.match(p.note!, /^forced switch to s:3306: .*8-10; continuing from .* in a new relay file$/);
});

test('MySQL: a reconnect to the switched-to server (same UUID) continues in the relay current file', async () => {
  const r = relay('mysql', `${UUID_A}:1-10`, { flavor: 'mysql', server_id: 42, server_uuid: UUID_B });
  const p = await plan(session({ flavor: 'mysql', serverId: 42, serverUuid: UUID_B, state: `${UUID_A}:1-12` }), r);
  assert.deepEqual(p.start, { file: 'up-bin.000007', pos: 9000, translated: true });
  assert.equal(p.request.kind === 'mysql-gtid' && decodeMysqlGtidSet(p.request.gtidSet).toString(), `${UUID_A}:1-10`);
  assert.equal(p.identity, null);
});
