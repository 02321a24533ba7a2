// The prepared-statement commands against a server that prepares none (src/mysql/statement-
// commands.ts): the replies must be MariaDB's own for a statement id it does not have, byte for
// byte, and no reply at all where the protocol has none (a stray reply would answer the client's
// next command). The reference is a real mariadbd sent the same packets.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import mysql from 'mysql2/promise';
import { COM_PING, COM_STMT_CLOSE, COM_STMT_EXECUTE, COM_STMT_FETCH, COM_STMT_RESET, COM_STMT_SEND_LONG_DATA } from '../../../src/mysql/command-codes.js';
import { startMariaDb, type MariaDb } from '../../helpers/mariadb.js';
import { RawClient, type RawPacket } from './raw-client.js';
import { type SampleServer, startSampleServer } from './sample-server.js';

const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};
const command = (byte: number, ...parts: Buffer[]): Buffer => Buffer.concat([Buffer.from([byte]), ...parts]);

/** Statement commands for ids no server holds; each but the two without a reply is answered. */
const PROBES: readonly { name: string; payload: Buffer; answered: boolean }[] = [
  { name: 'COM_STMT_CLOSE', payload: command(COM_STMT_CLOSE, u32(77)), answered: false },
  { name: 'COM_STMT_SEND_LONG_DATA', payload: command(COM_STMT_SEND_LONG_DATA, u32(77), Buffer.from([0, 0, 0x41])), answered: false },
  { name: 'COM_STMT_EXECUTE', payload: command(COM_STMT_EXECUTE, u32(77), Buffer.from([0]), u32(1)), answered: true },
  { name: 'COM_STMT_RESET', payload: command(COM_STMT_RESET, u32(4_000_000_000)), answered: true },
  { name: 'COM_STMT_FETCH', payload: command(COM_STMT_FETCH, u32(12), u32(1)), answered: true },
  { name: 'COM_STMT_EXECUTE without its flags', payload: command(COM_STMT_EXECUTE, u32(77)), answered: true },
  { name: 'COM_STMT_FETCH without its row count', payload: command(COM_STMT_FETCH, u32(12)), answered: true },
];

/** Sends every probe, then a ping; returns what came back, in order. */
async function replies(port: number): Promise<RawPacket[]> {
  const c = await RawClient.connect(port);
  try {
    assert.equal((await c.login('repl', 'replpw')).reply.payload[0], 0x00);
    const got: RawPacket[] = [];
    for (const probe of PROBES) {
      c.write(0, probe.payload);
      if (probe.answered) got.push(await c.read());
    }
    c.write(0, command(COM_PING));
    got.push(await c.read());
    return got;
  } finally {
    c.destroy();
  }
}

describe('prepared-statement commands to a server that prepares none', () => {
  let mariadb: MariaDb;
  let sample: SampleServer;
  before(async () => {
    [mariadb, sample] = await Promise.all([startMariaDb({ name: 'stmt' }), startSampleServer()]);
    await mariadb.exec("CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY 'replpw'");
  });
  after(async () => {
    await sample?.close();
    await mariadb?.stop();
  });

  it('answers execute, reset and fetch of an unknown id as mariadbd does, and close and long data not at all', async () => {
    const [ours, theirs] = await Promise.all([replies(sample.port), replies(mariadb.port)]);
    const answered = PROBES.filter((p) => p.answered).map((p) => p.name);
    assert.equal(theirs.length, answered.length + 1);
    for (const [i, name] of [...answered, 'COM_PING'].entries()) {
      assert.equal(ours[i]!.seq, theirs[i]!.seq, name);
      if (name === 'COM_PING') assert.equal(ours[i]!.payload[0], 0x00, 'the session is still in step');
      else assert.equal(ours[i]!.payload.toString('latin1'), theirs[i]!.payload.toString('latin1'), name);
    }
    assert.equal(ours[0]!.payload.subarray(3).toString(), '#HY000Unknown prepared statement handler (77) given to mysqld_stmt_execute');
  });

  it('refuses COM_STMT_PREPARE with 1295, so mysql2 execute() fails clearly and the connection goes on', async () => {
    const conn = await mysql.createConnection({ host: '127.0.0.1', port: sample.port, user: 'repl', password: 'replpw' });
    try {
      await assert.rejects(conn.execute('SELECT 1'), (err: { errno?: number; sqlState?: string; message: string }) => {
        assert.equal(err.errno, 1295);
        assert.equal(err.sqlState, 'HY000');
        assert.equal(err.message, 'This command is not supported in the prepared statement protocol yet');
        return true;
      });
      const [rows] = await conn.query('SELECT 1');
      assert.deepEqual(rows, [{ 1: 1 }]);
    } finally {
      await conn.end();
    }
  });
});
