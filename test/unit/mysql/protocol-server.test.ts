import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createProtocolServer } from '../../../src/mysql/protocol-server.js';
import type { ServerConnection } from '../../../src/mysql/server-connection.js';
import { RawClient } from '../../e2e/mysql/raw-client.js';

const handler = {
  onQuery(_sql: string, conn: ServerConnection): void {
    conn.sendOk();
  },
};

describe('createProtocolServer', () => {
  it('hands out increasing connection ids and tracks live connections', async () => {
    const server = createProtocolServer({ users: { repl: 'replpw' }, handler, firstConnectionId: 41 });
    const { port } = await server.listen();
    const a = await RawClient.connect(port);
    const b = await RawClient.connect(port);
    const ga = await a.login('repl', 'replpw');
    const gb = await b.login('repl', 'replpw');
    assert.deepEqual([ga.greeting.connectionId, gb.greeting.connectionId], [41, 42]);
    assert.equal(server.getConnection(42)?.user, 'repl');
    a.destroy();
    const conn41 = server.getConnection(41)!;
    if (conn41.state !== 'closed') await once(conn41, 'close');
    assert.deepEqual([...server.connections.keys()], [42]);
    await server.close();
    await b.closed;
  });

  it('accepts users given as password strings or as credentials with a plugin', async () => {
    const server = createProtocolServer({
      users: { plain: 'pw1', sha: { password: 'pw2', plugin: 'caching_sha2_password' } },
      handler,
    });
    const { port } = await server.listen();
    const a = await RawClient.connect(port);
    assert.equal((await a.login('plain', 'pw1')).reply.payload[0], 0x00);
    const b = await RawClient.connect(port);
    assert.equal((await b.login('sha', 'pw2', 'caching_sha2_password')).reply.payload[0], 0x01);
    const c = await RawClient.connect(port);
    assert.equal((await c.login('toString', '')).reply.payload[0], 0xff, 'prototype keys are not users');
    await server.close();
  });

  it('refuses connections beyond maxConnections with ERR 1040 instead of a greeting', async () => {
    const server = createProtocolServer({ users: { repl: 'replpw' }, handler, maxConnections: 1 });
    const { port } = await server.listen();
    const a = await RawClient.connect(port);
    await a.login('repl', 'replpw');
    const b = await RawClient.connect(port);
    const refused = await b.read();
    assert.equal(refused.seq, 0);
    assert.equal(refused.payload[0], 0xff);
    assert.equal(refused.payload.readUInt16LE(1), 1040);
    assert.equal(refused.payload.toString('utf8', 3), 'Too many connections');
    await b.closed;
    await server.close();
  });

  it('emits connection for every accepted socket and close() drops them all', async () => {
    const server = createProtocolServer({ users: { repl: 'replpw' }, handler, flavor: 'mysql' });
    const seen: number[] = [];
    server.on('connection', (conn) => seen.push(conn.id));
    const { port } = await server.listen();
    const a = await RawClient.connect(port);
    const { greeting } = await a.login('repl', 'replpw', 'caching_sha2_password');
    assert.equal(greeting.serverVersion, '8.4.0-binrelay');
    assert.deepEqual(seen, [1]);
    await server.close();
    await a.closed;
  });
});
