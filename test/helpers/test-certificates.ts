// Throwaway X.509 material for TLS tests, made with the system `openssl` (Debian's): a CA, a
// server and a client certificate signed by it (both valid for 127.0.0.1 and localhost, both
// usable for server and client auth, so either can stand for a cluster node), and a rogue CA with
// its own leaf certificate, for "a certificate the CA did not sign is refused" tests.
// Keys are EC P-256: generating them takes milliseconds, where RSA would cost seconds per test.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CertificateAndKey {
  /** Path of the PEM certificate. */
  cert: string;
  /** Path of the PEM private key (unencrypted). */
  key: string;
}

export interface TestCertificates {
  /** Path of the PEM CA certificate that signed `server` and `client`. */
  ca: string;
  /** Path of the CA's private key. */
  caKey: string;
  server: CertificateAndKey;
  client: CertificateAndKey;
  /** A CA unrelated to `ca`, and a leaf (SAN 127.0.0.1) it signed. */
  rogue: { ca: string; cert: string; key: string };
}

const LEAF_EXTENSIONS = [
  'basicConstraints=critical,CA:FALSE',
  'keyUsage=critical,digitalSignature,keyEncipherment',
  'extendedKeyUsage=serverAuth,clientAuth',
  'subjectAltName=IP:127.0.0.1,DNS:localhost',
].join('\n');

function openssl(args: string[]): void {
  try {
    execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`openssl ${args[0]} failed (apt-get install -y openssl): ${stderr || String(err)}`);
  }
}

function makeKey(path: string): void {
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', path]);
}

function makeCa(dir: string, name: string): { cert: string; key: string } {
  const key = join(dir, `${name}-ca.key`);
  const cert = join(dir, `${name}-ca.crt`);
  makeKey(key);
  openssl([
    'req', '-x509', '-new', '-key', key, '-out', cert, '-days', '2', '-subj', `/CN=binrelay test ${name} CA`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return { cert, key };
}

function makeLeaf(dir: string, name: string, ca: { cert: string; key: string }): CertificateAndKey {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.crt`);
  const ext = join(dir, `${name}.ext`);
  makeKey(key);
  writeFileSync(ext, `${LEAF_EXTENSIONS}\n`);
  openssl(['req', '-new', '-key', key, '-out', csr, '-subj', `/CN=${name}`]);
  openssl([
    'x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial',
    '-out', cert, '-days', '2', '-extfile', ext,
  ]);
  return { cert, key };
}

/** Writes a CA, a server and a client certificate it signed, and a rogue CA with a leaf, into
 *  `dir` (created if missing); returns the file paths. The caller removes `dir`. */
export function makeTestCertificates(dir: string): TestCertificates {
  mkdirSync(dir, { recursive: true });
  const ca = makeCa(dir, 'test');
  const rogueCa = makeCa(dir, 'rogue');
  const rogueLeaf = makeLeaf(dir, 'rogue-node', rogueCa);
  return {
    ca: ca.cert,
    caKey: ca.key,
    server: makeLeaf(dir, 'server', ca),
    client: makeLeaf(dir, 'client', ca),
    rogue: { ca: rogueCa.cert, cert: rogueLeaf.cert, key: rogueLeaf.key },
  };
}
