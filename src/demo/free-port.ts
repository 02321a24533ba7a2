// Loopback ports for throwaway servers (demo nodes, test MariaDBs and clusters). A port is chosen
// before the process that listens on it starts, so nothing else may take it meanwhile. The kernel
// hands out ports of its ephemeral range to every outgoing connection and every bind to port 0:
// a node dialling its peers could take the port a MariaDB starting beside it was given. So the
// ports come from below that range, where only an explicit bind lands, and none is given twice.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const LOWEST = 20_000;
const given = new Set<number>();
let ephemeralFirst: number | null = null;

/** The first port of the kernel's ephemeral range (32768 where /proc does not say). */
function ephemeralStart(): number {
  try {
    const first = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(first) && first > 0 ? first : 32_768;
  } catch {
    return 32_768;
  }
}

function bindable(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(null));
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : null));
    });
  });
}

/** A loopback port nothing listens on, never handed out before by this process. */
export async function freePort(): Promise<number> {
  const top = (ephemeralFirst ??= ephemeralStart());
  const span = top - LOWEST;
  for (let attempt = 0; attempt < 200; attempt++) {
    // With too little room below the ephemeral range, the kernel's own choice (port 0) it is.
    const wanted = span >= 1_000 ? LOWEST + Math.floor(Math.random() * span) : 0;
    if (given.has(wanted)) continue;
    const port = await bindable(wanted);
    if (port !== null && !given.has(port)) {
      given.add(port);
      return port;
    }
  }
  throw new Error('no free loopback port found');
}
