// A binlog server on an empty one-node relay, for tests of what it does before and after login.
import assert from 'node:assert/strict';
import type { Logger } from 'pino';
import { BinlogServer, type BinlogServerLimits } from '../../src/server/binlog-server.js';
import { silentLogger } from '../../src/logger.js';
import type { LocalRelay } from './local-relay.js';
import type { RawPacket } from '../e2e/mysql/raw-client.js';

/** Serves `local`'s relay on a free loopback port as user repl / password pw. */
export function serveRelay(local: LocalRelay, limits: Partial<BinlogServerLimits> = {}, logger: Logger = silentLogger): Promise<BinlogServer> {
  return BinlogServer.start({
    settings: { addr: '127.0.0.1:0', user: 'repl', password: 'pw', limits },
    relay: local.relay, serverId: 4242, serverUuid: '5e5e5e5e-0000-4000-8000-000000000003', logger,
  });
}

/** The code and message of an ERR packet, with or without the SQLSTATE marker (there is none
 *  before the greeting). */
export function errOf(p: RawPacket): { code: number; message: string } {
  assert.equal(p.payload[0], 0xff, `expected ERR, got 0x${p.payload[0]?.toString(16)}`);
  const hasState = p.payload[3] === 0x23;
  return { code: p.payload.readUInt16LE(1), message: p.payload.toString('utf8', hasState ? 9 : 3) };
}
