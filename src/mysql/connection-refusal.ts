// A connection refused before the greeting (too many connections, a blocked host): one ERR packet
// instead of HandshakeV10, then the socket is closed, as mysqld does. The client has not said
// yet that it speaks 4.1, so the ERR carries no SQLSTATE.

import type { Socket } from 'node:net';
import { errorMessage, sqlStateFor } from './error-codes.js';
import { PacketWriter } from './packet-framer.js';
import { encodeErr } from './response-packets.js';

export function refuseConnection(socket: Socket, code: number, message: string = errorMessage(code)): void {
  socket.on('error', () => undefined);
  // Nothing is read from a refused client; the fd goes as soon as the ERR is handed to the kernel,
  // so refusals cost no slot however fast they come.
  socket.end(new PacketWriter(0).frame(encodeErr(code, sqlStateFor(code), message, false)), () => socket.destroy());
}
