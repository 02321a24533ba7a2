// The dashboard in a real browser: headless Chromium renders GET / of a follower of a 3-node
// cluster (admin token on, given once in the address's fragment) with a real MariaDB replica on
// that follower and a workload on the upstream. The rendered page names the leader, has the
// replica's row, and that row's position moves between two renders; a screenshot is kept in the
// test's temp dir.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMariaDb, freePort, pointReplica, type MariaDb } from '../../helpers/mariadb.js';
import { RelayCluster } from '../../helpers/relay-cluster.js';
import { waitFor } from '../../helpers/local-relay.js';

const TOKEN = 'dashboard-test-token';
const INSTALL_HINT = 'Chromium is required for this test: apt-get update && apt-get install -y chromium';
const REPLICA_ID = 72;

let up: MariaDb;
let replica: MariaDb;
let cluster: RelayCluster;
let follower = -1;
const shots = mkdtempSync(join(tmpdir(), 'binrelay-dashboard-'));

function chromium(): string {
  for (const bin of ['chromium', 'chromium-browser', 'google-chrome']) {
    if (spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0) return bin;
  }
  throw new Error(INSTALL_HINT);
}

/** The page's DOM after its scripts ran, as Chromium renders it. */
function render(url: string, screenshot?: string): string {
  const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--virtual-time-budget=3000', '--window-size=1200,1800'];
  const out = spawnSync(chromium(), [...args, screenshot ? `--screenshot=${screenshot}` : '--dump-dom', url], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(out.status, 0, `chromium exited ${out.status}: ${out.stderr}`);
  return out.stdout;
}

/** The text of the first element with `id` in rendered HTML. */
function textOf(html: string, id: string): string {
  const m = new RegExp(`id="${id}"[^>]*>([^<]*)<`).exec(html);
  return m ? m[1]! : '';
}

/** The cells of the table row with data-key=`key` in rendered HTML. */
function rowOf(html: string, key: number): string[] {
  const m = new RegExp(`<tr data-key="${key}">(.*?)</tr>`).exec(html);
  return m ? [...m[1]!.matchAll(/<td>([^<]*)<\/td>/g)].map((c) => c[1]!) : [];
}

before(async () => {
  chromium();
  up = await startMariaDb({ serverId: 71 });
  await up.exec(`CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY 'replpw';
    GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO 'repl'@'127.0.0.1';
    CREATE DATABASE app; CREATE TABLE app.t (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(200))`);
  replica = await startMariaDb({ serverId: REPLICA_ID, name: 'r1' });
  cluster = await RelayCluster.start(3, [], { BINRELAY_ADMIN_TOKEN: TOKEN });
  const leader = await cluster.waitForLeader();
  follower = (leader + 1) % 3;
  const res = await cluster.api(follower, 'PUT', '/binlog/syncer/start', { mysql_addr: `127.0.0.1:${up.port}`, mysql_user: 'repl', mysql_password: 'replpw' });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const port = await freePort();
  const served = await cluster.api(follower, 'PUT', '/binlog/server/start', { addr: `127.0.0.1:${port}`, user: 'repl', password: 'relaypw' });
  assert.equal(served.status, 200, JSON.stringify(served.body));
  await pointReplica(replica, port, 'no');
});

after(async () => {
  await replica?.stop();
  await cluster?.stop();
  await up?.stop();
  rmSync(shots, { recursive: true, force: true });
});

test('the rendered dashboard names the leader, lists the replica and follows its position', { timeout: 120_000 }, async () => {
  const url = `http://${cluster.nodes[follower]!.adminAddr}/#token=${TOKEN}`;
  const leaderName = cluster.nodes[await cluster.waitForLeader()]!.name;
  await up.exec(`INSERT INTO app.t (v) VALUES ('a'), ('b')`);
  await waitFor('the replica on the follower', async () => ((await cluster.api(follower, 'GET', '/binlog/server/status')).body.data as { slaves: unknown[] }).slaves.length > 0, 20_000);

  const first = render(url);
  assert.equal(textOf(first, 'leader'), leaderName);
  assert.equal(textOf(first, 'node'), cluster.nodes[follower]!.name);
  assert.equal(textOf(first, 'role'), 'follower');
  assert.match(textOf(first, 'syncer'), /^running · upstream 127\.0\.0\.1:\d+/);
  const before = rowOf(first, REPLICA_ID);
  assert.equal(before[2], 'file', `replica row: ${before.join(' | ')}`);

  for (let i = 0; i < 20; i++) await up.exec(`INSERT INTO app.t (v) VALUES (REPEAT('x', 150))`);
  const end = (await up.query('SHOW MASTER STATUS'))[0]!;
  await waitFor('the replica at the upstream end', async () => {
    const [s] = await replica.query('SHOW SLAVE STATUS');
    return s?.Master_Log_File === end.File && Number(s?.Read_Master_Log_Pos) === Number(end.Position);
  }, 20_000);
  const second = render(url);
  const after = rowOf(second, REPLICA_ID);
  assert.notEqual(after[3], before[3], 'the replica position moved');
  assert.equal(after[3], `${String(end.File)}:${String(end.Position)}`);
  assert.equal(after[4], '0', 'nothing left to send');

  // Without the token the page asks for it and shows no data.
  const locked = render(`http://${cluster.nodes[follower]!.adminAddr}/`);
  assert.match(textOf(locked, 'refreshed'), /admin token needed/);
  assert.equal(textOf(locked, 'leader'), '…');

  const png = join(shots, 'dashboard.png');
  render(url, png);
  assert.ok(existsSync(png) && statSync(png).size > 10_000, `screenshot at ${png}`);
});
