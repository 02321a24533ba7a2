import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, redactConfig } from '../../src/config.js';
import { peerAddrOfUrl } from '../../src/peer-url.js';
import { ApiError } from '../../api/errors.js';
import { makeTestCertificates } from '../helpers/test-certificates.js';
import { COLLIDING_WITH_N1 } from '../helpers/colliding-member-names.js';

const dir = mkdtempSync(join(tmpdir(), 'binrelay-peer-tls-config-'));
const certs = makeTestCertificates(dir);
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

function configError(args: string[]): ConfigError {
  try {
    loadConfig(args, {});
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a ConfigError');
}

test('peer-tls files are read at start; the config shows their paths, never their contents', () => {
  const c = loadConfig(['--peer-tls.cert', certs.server.cert, '--peer-tls.key', certs.server.key, '--peer-tls.ca', certs.ca], {});
  assert.ok(c.peerTls?.tls.key.toString().includes('PRIVATE KEY'));
  const shown = JSON.stringify(redactConfig(c));
  assert.ok(shown.includes(certs.server.key) && !shown.includes('PRIVATE KEY'));
});

test('a bad peer-tls key, a missing file or a key of another certificate is named', () => {
  assert.equal(configError(['--peer-tls.cert', certs.server.cert, '--peer-tls.key', certs.server.key, '--peer-tls.ca', certs.ca, '--peer-tls.crl', 'x']).key, 'peer-tls.crl');
  assert.equal(configError(['--peer-tls.cert', certs.server.cert, '--peer-tls.key', certs.server.key]).key, 'peer-tls.ca');
  const missing = configError(['--peer-tls.cert', join(dir, 'nope.crt'), '--peer-tls.key', certs.server.key, '--peer-tls.ca', certs.ca]);
  assert.equal(missing.key, 'peer-tls.cert');
  assert.match(missing.message, /cannot read .*nope\.crt/);
  const mismatched = configError(['--peer-tls.cert', certs.server.cert, '--peer-tls.key', certs.client.key, '--peer-tls.ca', certs.ca]);
  assert.equal(mismatched.key, 'peer-tls');
  assert.match(mismatched.message, /key values mismatch|unusable/);
});

test('initial-cluster members with the same 32-bit id are refused at start', () => {
  const err = configError(['--name', 'n1', '--initial-cluster', `n1=127.0.0.1:1,${COLLIDING_WITH_N1}=127.0.0.1:2`]);
  assert.equal(err.key, 'initial-cluster');
  assert.match(err.message, /same member id/);
});

test('peer_url https:// means TLS: refused without peer-tls, and http:// refused with it', () => {
  assert.equal(peerAddrOfUrl('10.0.0.4:9696', false, 'peer_url'), '10.0.0.4:9696');
  assert.equal(peerAddrOfUrl('http://10.0.0.4:9696', false, 'peer_url'), '10.0.0.4:9696');
  assert.equal(peerAddrOfUrl('https://10.0.0.4:9696', true, 'peer_url'), '10.0.0.4:9696');
  assert.equal(peerAddrOfUrl('10.0.0.4:9696', true, 'peer_url'), '10.0.0.4:9696');
  assert.throws(() => peerAddrOfUrl('https://10.0.0.4:9696', false, 'peer_url'), (err: ApiError) => err.status === 400 && /peer-tls/.test(err.message));
  assert.throws(() => peerAddrOfUrl('http://10.0.0.4:9696', true, 'new_peer_url'), (err: ApiError) => err.status === 400 && /use TLS/.test(err.message));
});

test('a non-loopback peer-addr needs cluster-token or peer-tls', () => {
  const exposed = ['--peer-addr', '10.0.0.1:9696', '--initial-cluster', 'node1=10.0.0.1:9696'];
  assert.equal(configError(exposed).key, 'cluster-token');
  assert.match(configError(exposed).message, /peer-tls/);
  const c = loadConfig([...exposed, '--peer-tls.cert', certs.server.cert, '--peer-tls.key', certs.server.key, '--peer-tls.ca', certs.ca], {});
  assert.equal(c.clusterToken, undefined);
  assert.ok(c.peerTls);
});
