// The syncer asks its leadership fence before every connection to the upstream: while the fence
// refuses (a deposed or cut-off leader) it opens no connection at all, so it can never kick the
// real leader's dump; once the fence answers, it connects. The upstream is a real TCP listener
// counting connections.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { Syncer, DEFAULT_SYNCER_OPTIONS } from '../../../src/syncer/syncer.js';
import { syncerStartSchema } from '../../../src/syncer/syncer-settings.js';
import { silentLogger } from '../../../src/logger.js';
import { openLocalRelay, waitFor } from '../../helpers/local-relay.js';

test('no upstream connection while the leadership fence refuses; a connection once it confirms', async () => {
  const sockets: Socket[] = [];
  const upstream = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const port = (upstream.address() as { port: number }).port;
  const local = await openLocalRelay();
  let leading = false;
  let asked = 0;
  const fence = async (): Promise<void> => {
    asked++;
    if (!leading) throw new Error('no longer leader of term 3');
  };
  const settings = syncerStartSchema.parse({ mysql_addr: `127.0.0.1:${port}`, mysql_user: 'repl', mysql_password: 'pw' });
  const syncer = new Syncer(settings, local.relay, local.commit, silentLogger, { ...DEFAULT_SYNCER_OPTIONS, backoffMinMs: 20, backoffMaxMs: 40 }, fence);
  try {
    syncer.start();
    await waitFor('the fence asked several times', async () => asked >= 5, 5000);
    assert.equal(sockets.length, 0, 'no connection to the upstream while not confirmed leader');
    leading = true;
    await waitFor('a connection once leadership is confirmed', async () => sockets.length > 0, 5000);
  } finally {
    for (const s of sockets) s.destroy();
    await syncer.stop();
    upstream.close();
    await local.close();
  }
});
