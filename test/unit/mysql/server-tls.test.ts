// The server side of the SSLRequest upgrade, driven by mysql2 and by a hand-made client that sends
// its TLS ClientHello in the same TCP segment as the SSLRequest (the bytes the plaintext reader
// already holds must go to TLS, not be lost or read as MySQL).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { connect as tlsConnect, createSecureContext } from 'node:tls';
import mysql from 'mysql2/promise';
import { createProtocolServer, type ProtocolServer } from '../../../src/mysql/protocol-server.js';
import type { ServerConnection } from '../../../src/mysql/server-connection.js';
import { CLIENT_SSL, CLIENT_PROTOCOL_41, CLIENT_SECURE_CONNECTION, CLIENT_PLUGIN_AUTH, hasCapability } from '../../../src/mysql/capability-flags.js';
import { decodeHandshakeV10 } from '../../../src/mysql/handshake.js';
import { isSslRequest, SSL_REQUEST_LENGTH } from '../../../src/mysql/tls-upgrade.js';
import { PacketReader, PacketWriter } from '../../../src/mysql/packet-framer.js';
import { makeTestCertificates, type TestCertificates } from '../../helpers/test-certificates.js';

const handler = {
  onQuery(_sql: string, conn: ServerConnection): void {
    conn.sendOk();
  },
};

let dir: string;
let certs: TestCertificates;

function serverContext(): ReturnType<typeof createSecureContext> {
  return createSecureContext({ cert: readFileSync(certs.server.cert), key: readFileSync(certs.server.key) });
}

async function startServer(requireSecureTransport = false): Promise<{ server: ProtocolServer; port: number; conns: ServerConnection[] }> {
  const server = createProtocolServer({ users: { repl: 'replpw' }, handler, tls: serverContext(), requireSecureTransport });
  const conns: ServerConnection[] = [];
  server.on('connection', (c) => conns.push(c));
  const { port } = await server.listen();
  return { server, port, conns };
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'binrelay-server-tls-'));
  certs = makeTestCertificates(dir);
});

after(() => rmSync(dir, { recursive: true, force: true }));

describe('TLS upgrade of a server connection', () => {
  it('recognizes an SSLRequest by its length and CLIENT_SSL', () => {
    const request = Buffer.alloc(SSL_REQUEST_LENGTH);
    request.writeUInt32LE(CLIENT_PROTOCOL_41 | CLIENT_SSL, 0);
    assert.equal(isSslRequest(request), true);
    request.writeUInt32LE(CLIENT_PROTOCOL_41, 0);
    assert.equal(isSslRequest(request), false);
    assert.equal(isSslRequest(Buffer.alloc(40, 0xff)), false, 'a full handshake response is no SSLRequest');
  });

  it('offers CLIENT_SSL only when given a TLS context', async () => {
    const plain = createProtocolServer({ users: { repl: 'replpw' }, handler });
    const { server: tls, port } = await startServer();
    const plainPort = (await plain.listen()).port;
    for (const [p, expected] of [[plainPort, false], [port, true]] as const) {
      const socket = connect(p, '127.0.0.1');
      const [chunk] = (await once(socket, 'data')) as [Buffer];
      assert.equal(hasCapability(decodeHandshakeV10(chunk.subarray(4)).capabilities, CLIENT_SSL), expected);
      socket.destroy();
    }
    await plain.close();
    await tls.close();
  });

  it('lets mysql2 log in over TLS, verifying the certificate against the CA', async () => {
    const { server, port, conns } = await startServer(true);
    const client = await mysql.createConnection({
      host: '127.0.0.1', port, user: 'repl', password: 'replpw', ssl: { ca: readFileSync(certs.ca), rejectUnauthorized: true },
    });
    await client.query('DO 1');
    assert.equal(conns[0]!.secure, true);
    await client.end();
    await server.close();
  });

  it('refuses a plaintext login with 1045 when secure transport is required', async () => {
    const { server, port, conns } = await startServer(true);
    await assert.rejects(
      mysql.createConnection({ host: '127.0.0.1', port, user: 'repl', password: 'replpw' }),
      (err: { errno?: number; message: string }) => err.errno === 1045 && /Access denied for user 'repl'@'127.0.0.1'/.test(err.message),
    );
    assert.equal(conns[0]!.secure, false);
    await server.close();
  });

  it('hands a ClientHello sent in the same segment as the SSLRequest to TLS', async () => {
    const { server, port, conns } = await startServer(true);
    const socket = connect(port, '127.0.0.1');
    const [greetingChunk] = (await once(socket, 'data')) as [Buffer];
    const greeting = decodeHandshakeV10(greetingChunk.subarray(4));
    const caps = CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH | CLIENT_SSL;
    const sslRequest = Buffer.alloc(SSL_REQUEST_LENGTH);
    sslRequest.writeUInt32LE(caps, 0);
    sslRequest.writeUInt32LE(16 * 1024 * 1024, 4);
    sslRequest[8] = 33;
    const framedRequest = new PacketWriter(1).frame(sslRequest);
    const secure = tlsConnect({ socket: pipelinedChannel(socket, framedRequest), ca: readFileSync(certs.ca), servername: 'localhost' });
    await once(secure, 'secureConnect');
    // COM_QUIT-free check: a handshake response over TLS with seq 2 gets an answer with seq 3.
    const reader = new PacketReader();
    const user = Buffer.from('repl\0');
    const response = Buffer.concat([sslRequest, user, Buffer.from([0]), Buffer.from('mysql_native_password\0')]);
    secure.write(new PacketWriter(2).frame(response));
    let answer = null;
    while (answer === null) {
      const [chunk] = (await once(secure, 'data')) as [Buffer];
      reader.push(chunk);
      answer = reader.read();
    }
    // An empty token for a user with a password: 1045, but over TLS and in sequence.
    assert.equal(answer.sequenceId, 3);
    assert.equal(answer.payload[0], 0xff);
    assert.equal(answer.payload.readUInt16LE(1), 1045);
    assert.equal(conns[0]!.secure, true);
    assert.ok(greeting.connectionId > 0);
    secure.destroy();
    await server.close();
  });
});

/** A duplex over `socket` whose first write goes out glued to `prefix`: one TCP write carrying
 *  the SSLRequest and the ClientHello. */
function pipelinedChannel(socket: Socket, prefix: Buffer): Duplex {
  let first = true;
  const channel = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      const out = first ? Buffer.concat([prefix, chunk]) : chunk;
      first = false;
      socket.write(out, callback);
    },
    destroy(err, callback) {
      socket.destroy();
      callback(err);
    },
  });
  socket.on('data', (d: Buffer) => {
    if (!channel.push(d)) socket.pause();
  });
  socket.on('end', () => channel.push(null));
  return channel;
}
