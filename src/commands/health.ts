// `binrelay health [HOST:PORT]`: exits 0 when a node's admin API answers GET /healthz with 200, 1
// otherwise (not listening, starting, or failed). The image's HEALTHCHECK; the address defaults to
// the image's admin port on loopback. /healthz is public, so no token is sent; an admin API with
// admin-tls is asked over HTTPS without verifying its certificate (this is a liveness probe of the
// local node, and nothing secret travels).
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { parseHostPort } from '../host-port.js';

const DEFAULT_ADDR = '127.0.0.1:9595';
const TIMEOUT_MS = 3000;

/** The status of GET /healthz over `scheme`, or the error that prevented an answer. */
function healthz(scheme: 'http' | 'https', host: string, port: number): Promise<number | Error> {
  return new Promise((resolve) => {
    const options = { host, port, path: '/healthz', timeout: TIMEOUT_MS, rejectUnauthorized: false };
    const request = (scheme === 'http' ? httpGet : httpsGet)(options, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    request.on('timeout', () => request.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
    request.on('error', (err) => resolve(err));
  });
}

export async function runHealth(args: string[]): Promise<number> {
  const usage = `usage: binrelay health [HOST:PORT]   exit 0 when GET /healthz answers 200 (default ${DEFAULT_ADDR})\n`;
  if (args[0] === '--help' || args[0] === '-h') {
    process.stdout.write(usage);
    return 0;
  }
  const addr = args[0] ?? DEFAULT_ADDR;
  const target = parseHostPort(addr, { connectable: true });
  if (target === null || args.length > 1) {
    process.stderr.write(`binrelay health: expected HOST:PORT, got ${args.join(' ')}\n${usage}`);
    return 2;
  }
  let answer = await healthz('http', target.host, target.port);
  // A TLS listener drops a plaintext request: ask it again over HTTPS.
  if (answer instanceof Error && (answer as NodeJS.ErrnoException).code !== 'ECONNREFUSED') answer = await healthz('https', target.host, target.port);
  if (answer === 200) return 0;
  const why = answer instanceof Error ? answer.message || (answer as NodeJS.ErrnoException).code : `GET /healthz answered ${answer}`;
  process.stderr.write(`binrelay health: ${addr}: ${why}\n`);
  return 1;
}
