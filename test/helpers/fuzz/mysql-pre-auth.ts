// Fuzz surface: the binlog server before authentication. Raw TCP clients from outsider loopback
// addresses send garbage, mutated and truncated handshake responses (right or wrong credentials,
// odd plugins, capabilities and attributes), oversized length headers, pipelined packets, dripped
// bytes, and an SSLRequest followed by garbage or by a real TLS handshake and a mutated response.
import { connect as tlsConnect } from 'node:tls';
import { buildHandshakeResponse, frame, type Greeting, nativeToken, parseGreeting, RAW_CLIENT_FLAGS, sha2Token } from '../../e2e/mysql/raw-client.js';
import { type Fuzz, type InputLog, outsiderAddress, type Probe, sleep, withProbe } from './fuzzer.js';

const CLIENT_SSL = 0x800;
const PLUGINS = ['mysql_native_password', 'caching_sha2_password', 'client_ed25519', 'sha256_password', '', 'x'.repeat(300), 'mysql_clear_password'];

export interface MysqlTarget {
  port: number;
  user: string;
  password: string;
}

/** The payload of the first whole packet in `bytes`, or null. */
export function firstPayload(bytes: Buffer): Buffer | null {
  if (bytes.length < 4) return null;
  const len = bytes.readUIntLE(0, 3);
  return bytes.length >= 4 + len ? bytes.subarray(4, 4 + len) : null;
}

/** The server's greeting, consumed (the probe is cleared); null when it sent none. */
export async function greetingOf(probe: Probe): Promise<Greeting | null> {
  const head = await probe.waitFor(4, 1500);
  if (head.length < 4) return null;
  const payload = firstPayload(await probe.waitFor(4 + head.readUIntLE(0, 3), 1500));
  if (!payload || payload[0] !== 10) return null; // an ERR (host blocked, too many connections)
  probe.clear();
  try {
    return parseGreeting(payload);
  } catch {
    return null;
  }
}

/** A handshake response with fuzzed fields, maybe mutated as bytes afterwards. */
function handshakeResponse(fuzz: Fuzz, target: MysqlTarget, scramble: Buffer): Buffer {
  const plugin = fuzz.pick(PLUGINS);
  const password = fuzz.chance(0.5) ? target.password : fuzz.mutateText(target.password);
  const token = fuzz.pick([
    () => nativeToken(password, scramble),
    () => sha2Token(password, scramble),
    () => Buffer.alloc(0),
    () => fuzz.bytes(fuzz.size(300)),
  ])();
  const attrs: Record<string, string> = {};
  // At most 20 × 2.5 KB: raw-client's length encoding stops at 64 KiB.
  for (let i = fuzz.size(20); i > 0; i--) attrs[fuzz.mutateText('_client_name', 2).slice(0, 500)] = fuzz.mutateText('fuzz', 2).repeat(fuzz.size(100)).slice(0, 2000);
  let capabilities = RAW_CLIENT_FLAGS;
  if (fuzz.chance(0.4)) capabilities = fuzz.chance(0.5) ? fuzz.u32() : (capabilities ^ (1 << fuzz.int(32))) >>> 0;
  const user = fuzz.chance(0.6) ? target.user : fuzz.mutateText(target.user);
  const body = buildHandshakeResponse({ user, authResponse: token, pluginName: plugin, capabilities, charset: fuzz.int(256), attrs });
  return fuzz.chance(0.5) ? fuzz.mutate(body) : body;
}

/** One pre-auth case on a fresh connection. */
export async function mysqlPreAuthCase(fuzz: Fuzz, target: MysqlTarget, log: InputLog): Promise<void> {
  await withProbe(target.port, outsiderAddress(fuzz, 1), undefined, async (probe) => {
    const kind = fuzz.int(6);
    if (kind === 0) {
      const garbage = fuzz.bytes(fuzz.size(2000));
      await probe.send(log, 'garbage before the greeting was read', garbage, 200);
      return;
    }
    const greeting = await greetingOf(probe);
    if (!greeting) return;
    switch (kind) {
      case 1: {
        // A (mutated) handshake response, maybe truncated, maybe with an odd sequence id; an auth
        // switch is answered with fuzzed bytes.
        let packet = frame(fuzz.chance(0.8) ? 1 : fuzz.int(256), handshakeResponse(fuzz, target, greeting.scramble));
        if (fuzz.chance(0.2)) packet = packet.subarray(0, fuzz.int(packet.length));
        log.record('handshake response', packet);
        probe.write(packet);
        const reply = firstPayload(await probe.waitFor(5, 400));
        if (reply?.[0] === 0xfe || reply?.[0] === 0x01) {
          const answer = frame(fuzz.chance(0.8) ? 3 : fuzz.int(256), fuzz.bytes(fuzz.size(300)));
          await probe.send(log, 'auth switch / more-data answer', answer, 200);
        }
        return;
      }
      case 2: {
        // A length header far beyond the pre-auth limit, then some of its bytes.
        const header = Buffer.alloc(4);
        header.writeUIntLE(fuzz.pick([0xffffff, 0x10000 + fuzz.int(0xeffff), 0xfffffe]), 0, 3);
        header[3] = 1;
        const packet = Buffer.concat([header, fuzz.bytes(fuzz.size(70_000))]);
        await probe.send(log, 'oversized length header', packet, 300);
        return;
      }
      case 3: {
        // SSLRequest, then garbage or a real TLS handshake and a mutated response inside it.
        const ssl = Buffer.alloc(32);
        ssl.writeUInt32LE((RAW_CLIENT_FLAGS | CLIENT_SSL) >>> 0, 0);
        ssl.writeUInt32LE(16 << 20, 4);
        ssl[8] = 45;
        const request = frame(1, fuzz.chance(0.2) ? fuzz.mutate(ssl) : ssl);
        if (fuzz.chance(0.5)) {
          const garbage = fuzz.bytes(fuzz.size(3000));
          await probe.send(log, 'SSLRequest then garbage', Buffer.concat([request, garbage]), 300);
          return;
        }
        log.record('SSLRequest then TLS', request);
        probe.write(request);
        await sslThenResponse(fuzz, target, probe, greeting.scramble, log);
        return;
      }
      case 4: {
        // Several packets at once: a response and commands before the server answered it.
        const packets = [frame(1, handshakeResponse(fuzz, target, greeting.scramble))];
        for (let i = fuzz.range(1, 6); i > 0; i--) packets.push(frame(fuzz.int(256), fuzz.bytes(fuzz.size(200))));
        const all = Buffer.concat(packets);
        await probe.send(log, 'pipelined packets', all, 300);
        return;
      }
      default: {
        // A response dripped in pieces.
        const packet = frame(1, handshakeResponse(fuzz, target, greeting.scramble));
        log.record('dripped handshake response', packet);
        for (let at = 0; at < packet.length && !probe.closed;) {
          const n = 1 + fuzz.int(Math.max(1, packet.length - at));
          probe.write(packet.subarray(at, at + n));
          at += n;
          await sleep(fuzz.int(60));
        }
        await probe.waitFor(Number.MAX_SAFE_INTEGER, 200);
      }
    }
  });
}

async function sslThenResponse(fuzz: Fuzz, target: MysqlTarget, probe: Probe, scramble: Buffer, log: InputLog): Promise<void> {
  const secure = tlsConnect({ socket: probe.socket, rejectUnauthorized: false });
  secure.on('error', () => undefined);
  secure.on('data', () => undefined);
  const up = await new Promise<boolean>((resolve) => {
    const t = setTimeout(() => resolve(false), 1500);
    secure.once('secureConnect', () => {
      clearTimeout(t);
      resolve(true);
    });
    secure.once('close', () => {
      clearTimeout(t);
      resolve(false);
    });
  });
  if (up) {
    const packet = fuzz.chance(0.5) ? fuzz.bytes(fuzz.size(500)) : frame(2, handshakeResponse(fuzz, target, scramble));
    log.record('inside TLS', packet);
    secure.write(packet);
    await sleep(150);
  }
  secure.destroy();
}
