// A hand-written client (raw packets, its own handshake and token maths) against the sample
// server: commands no real client sends on purpose.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RawClient } from './raw-client.js';
import { type SampleServer, startSampleServer } from './sample-server.js';

describe('raw protocol client', () => {
  let s: SampleServer;
  before(async () => {
    s = await startSampleServer();
  });
  after(() => s.close());

  it('gets ERR 1047 08S01 "Unknown command" for command byte 0x99, and the session stays usable', async () => {
    const c = await RawClient.connect(s.port);
    const { greeting, reply } = await c.login('repl', 'replpw');
    assert.equal(reply.payload[0], 0x00);
    assert.equal(greeting.mariadbExtendedCapabilities, 0);

    c.write(0, Buffer.from([0x99, 1, 2, 3]));
    const err = await c.read();
    assert.equal(err.seq, 1);
    assert.deepEqual(err.payload, Buffer.concat([Buffer.from('ff1704', 'hex'), Buffer.from('#08S01Unknown command')]));

    // Same answer as MariaDB for COM_BINLOG_DUMP_GTID when nothing handles it.
    c.write(0, Buffer.from([0x1e, 0, 0]));
    assert.equal((await c.read()).payload.readUInt16LE(1), 1047);

    c.write(0, Buffer.concat([Buffer.from([0x03]), Buffer.from('SELECT 1')]));
    const packets = [];
    for (let i = 0; i < 5; i++) packets.push(await c.read());
    assert.deepEqual(
      packets.map((p) => p.seq),
      [1, 2, 3, 4, 5],
    );
    assert.deepEqual(packets[3]!.payload, Buffer.from('0131', 'hex')); // row: "1"

    c.write(0, Buffer.from([0x0e]));
    const pong = await c.read();
    assert.equal(pong.seq, 1);
    assert.equal(pong.payload[0], 0x00);

    c.write(0, Buffer.from([0x01]));
    await c.closed;
  });
});
