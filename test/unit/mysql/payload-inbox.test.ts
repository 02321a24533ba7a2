import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { type AddressInfo, type Socket, connect, createServer } from 'node:net';
import { PayloadInbox } from '../../../src/mysql/payload-inbox.js';
import { PacketWriter } from '../../../src/mysql/packet-framer.js';

/** A connected loopback pair: [server side, client side]. */
async function socketPair(): Promise<[Socket, Socket, () => void]> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const accepted = once(server, 'connection');
  const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
  const [serverSide] = (await accepted) as [Socket];
  return [serverSide, client, () => server.close()];
}

describe('PayloadInbox', () => {
  it('yields payloads in order with their sequence ids, waiting for bytes as needed', async () => {
    const [srv, cli, done] = await socketPair();
    const inbox = new PayloadInbox(srv);
    const pending = inbox.next();
    cli.write(new PacketWriter(0).frameAll([Buffer.from('one'), Buffer.from('two')]));
    const first = await pending;
    const second = await inbox.next();
    assert.deepEqual([first!.payload.toString(), first!.sequenceId], ['one', 0]);
    assert.deepEqual([second!.payload.toString(), second!.sequenceId], ['two', 1]);
    cli.destroy();
    srv.destroy();
    done();
  });

  it('pauses the socket while unread input exceeds the high-water mark and resumes as it is read', async () => {
    const [srv, cli, done] = await socketPair();
    const inbox = new PayloadInbox(srv, { highWaterMark: 64 * 1024 });
    const payloads = Array.from({ length: 64 }, (_, i) => Buffer.alloc(16 * 1024, i));
    cli.write(new PacketWriter(0).frameAll(payloads));
    const deadline = Date.now() + 2000;
    while (!srv.isPaused() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    assert.equal(srv.isPaused(), true, 'should pause with ~1 MiB unread');
    for (let i = 0; i < 64; i++) assert.equal((await inbox.next())!.payload[0], i);
    assert.equal(srv.isPaused(), false);
    cli.destroy();
    srv.destroy();
    done();
  });

  it('returns null after stop() and drops further input', async () => {
    const [srv, cli, done] = await socketPair();
    const inbox = new PayloadInbox(srv);
    const waiting = inbox.next();
    inbox.stop();
    assert.equal(await waiting, null);
    cli.write(new PacketWriter(0).frame(Buffer.from('late')));
    assert.equal(await inbox.next(), null);
    cli.destroy();
    srv.destroy();
    done();
  });
});
