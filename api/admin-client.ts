// Calls from one node to another's admin API (forwards to the leader, purges, snapshot files).
// With admin-tls every node serves HTTPS, so calls go out as https:// and the other node's
// certificate is verified against admin-tls.ca (the system CAs when none is given): a forward
// carries this node's admin token, which must reach no one but a member. Without admin-tls they
// are plain http://, as before.
import { Agent, request } from 'node:https';
import { Readable } from 'node:stream';

export interface AdminRequestInit {
  method: string;
  headers: Record<string, string>;
  body?: string | undefined;
  signal?: AbortSignal | undefined;
}

export interface AdminClient {
  readonly scheme: 'http' | 'https';
  /** CA certificates HTTPS peers are verified with (undefined: the system's). */
  readonly ca: Buffer | undefined;
  /** The base URL of the node at host:port, e.g. `https://10.0.0.2:9595`. */
  baseUrl(addr: string): string;
  fetch(addr: string, path: string, init: AdminRequestInit): Promise<Response>;
}

/** Statuses whose Response must have no body. */
const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

/** `tls`: this node's admin-tls (only whether it is set and its CA matter here), or undefined. */
export function adminClient(tls: { ca?: Buffer | undefined } | undefined): AdminClient {
  if (!tls) {
    return {
      scheme: 'http',
      ca: undefined,
      baseUrl: (addr) => `http://${addr}`,
      fetch: (addr, path, init) => fetch(`http://${addr}${path}`, { ...init, redirect: 'manual' }),
    };
  }
  const ca = tls.ca;
  const agent = new Agent({ keepAlive: true, ca });
  return {
    scheme: 'https',
    ca,
    baseUrl: (addr) => `https://${addr}`,
    fetch: (addr, path, init) => httpsFetch(agent, `https://${addr}${path}`, init),
  };
}

/** One HTTPS request through `agent`, answered as a WHATWG Response (what callers of fetch use). */
function httpsFetch(agent: Agent, url: string, init: AdminRequestInit): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: init.method, headers: init.headers, agent, signal: init.signal }, (res) => {
      const headers = new Headers();
      for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) headers.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
      const status = res.statusCode ?? 502;
      if (NULL_BODY_STATUSES.has(status)) {
        res.resume();
        resolve(new Response(null, { status, headers }));
        return;
      }
      resolve(new Response(Readable.toWeb(res) as ReadableStream<Uint8Array>, { status, headers }));
    });
    req.once('error', reject);
    req.end(init.body);
  });
}
