// advertise-peer-addr / advertise-admin-addr: what a node publishes to the other members when it
// listens on a wildcard address (0.0.0.0 or ::, as in a container), and the refusal when it would
// have nothing reachable to publish.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config.js';
import { configError } from '../helpers/config-error.js';

const TOKENS = { BINRELAY_ADMIN_TOKEN: 'a', BINRELAY_CLUSTER_TOKEN: 'c' };
const WILDCARD = ['--admin-addr', '0.0.0.0:9595', '--peer-addr', '0.0.0.0:9696'];

test('without wildcards a node publishes the addresses it binds, unless advertise addresses are set', () => {
  const c = loadConfig(['--admin-addr', '10.0.0.1:9595', '--peer-addr', '10.0.0.1:9696', '--initial-cluster', 'node1=relay1:9696'], TOKENS);
  assert.deepEqual([c.advertiseAdminAddr, c.advertisePeerAddr], ['10.0.0.1:9595', '10.0.0.1:9696']);
  const d = loadConfig(['--advertise-admin-addr', 'relay1:8080', '--advertise-peer-addr', 'relay1:8090'], {});
  assert.deepEqual([d.adminAddr, d.advertiseAdminAddr, d.advertisePeerAddr], ['127.0.0.1:9595', 'relay1:8080', 'relay1:8090']);
});

test('0.0.0.0 with advertise addresses (from the environment, as in a container) publishes those', () => {
  const c = loadConfig(WILDCARD, { ...TOKENS, BINRELAY_ADVERTISE_ADMIN_ADDR: 'n1:9595', BINRELAY_ADVERTISE_PEER_ADDR: 'n1:9696' });
  assert.deepEqual([c.adminAddr, c.peerAddr], ['0.0.0.0:9595', '0.0.0.0:9696']);
  assert.deepEqual([c.advertiseAdminAddr, c.advertisePeerAddr], ['n1:9595', 'n1:9696']);
});

test("a wildcard peer-addr publishes this node's entry of initial-cluster; a wildcard admin-addr that host with its own port", () => {
  const c = loadConfig([...WILDCARD, '--name', 'n2', '--initial-cluster', 'n1=relay1:9696,n2=relay2:9697'], TOKENS);
  assert.deepEqual([c.advertisePeerAddr, c.advertiseAdminAddr], ['relay2:9697', 'relay2:9595']);
  const v6 = loadConfig(['--admin-addr', '[::]:9595', '--peer-addr', '[::]:9696', '--initial-cluster', 'node1=[fd00::2]:9696'], TOKENS);
  assert.deepEqual([v6.advertisePeerAddr, v6.advertiseAdminAddr], ['[fd00::2]:9696', '[fd00::2]:9595']);
  const peerOnly = loadConfig(['--admin-addr', '0.0.0.0:9595', '--advertise-peer-addr', '10.0.0.7:9696'], TOKENS);
  assert.equal(peerOnly.advertiseAdminAddr, '10.0.0.7:9595');
});

test('a wildcard with nothing reachable to publish stops start-up naming the advertise key and how to set it', () => {
  const alone = configError(() => loadConfig(WILDCARD, TOKENS));
  assert.equal(alone.key, 'advertise-peer-addr');
  assert.match(alone.message, /peer-addr 0\.0\.0\.0:9696 listens on every interface/);
  assert.match(alone.message, /BINRELAY_ADVERTISE_PEER_ADDR/);
  assert.match(alone.message, /initial-cluster/);
  // initial-cluster listing this node at a wildcard address is no help either.
  assert.equal(configError(() => loadConfig([...WILDCARD, '--initial-cluster', 'node1=0.0.0.0:9696'], TOKENS)).key, 'advertise-peer-addr');
  assert.equal(configError(() => loadConfig(['--peer-addr', '[::]:9696'], TOKENS)).key, 'advertise-peer-addr');
  // The admin port is picked by the system: no port to publish.
  assert.equal(configError(() => loadConfig(['--admin-addr', '0.0.0.0:0'], TOKENS)).key, 'advertise-admin-addr');
  // The tokens are checked first: the image without them names them, not the advertise keys.
  assert.equal(configError(() => loadConfig(WILDCARD, {})).key, 'admin-token, cluster-token');
});

test('advertise addresses are host:port others can connect to: no wildcard, no port 0, nothing else', () => {
  for (const [flag, value] of [
    ['--advertise-admin-addr', '0.0.0.0:9595'], ['--advertise-peer-addr', '[::]:9696'], ['--advertise-peer-addr', 'relay1:0'],
    ['--advertise-admin-addr', 'http://relay1:9595'], ['--advertise-admin-addr', 'relay1'], ['--advertise-peer-addr', `${'a'.repeat(300)}:1`],
  ] as const) {
    const err = configError(() => loadConfig([flag, value], {}));
    assert.equal(err.key, flag.slice(2), `${flag} ${value}`);
  }
  const err = configError(() => loadConfig([], { BINRELAY_ADVERTISE_ADMIN_ADDR: '0.0.0.0:1' }));
  assert.match(err.message, /set by the environment variable BINRELAY_ADVERTISE_ADMIN_ADDR/);
});
