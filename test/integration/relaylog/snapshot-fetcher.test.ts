// SnapshotFetcher against real HTTP sources: how it moves between members and when it gives up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SnapshotFetcher } from '../../../src/relaylog/snapshot-fetcher.js';
import type { RelayLog } from '../../../src/relaylog/relay-log.js';
import { silentLogger } from '../../../src/logger.js';

/** An admin API that refuses every file request with 403, counting them. */
async function refusingMember(): Promise<{ addr: string; requests: () => number; close: () => Promise<void> }> {
  let requests = 0;
  const server: Server = createServer((_req, res) => {
    requests++;
    res.writeHead(403, { 'content-type': 'application/json' }).end('{"message":"forbidden"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { addr: `127.0.0.1:${port}`, requests: () => requests, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** The slice of RelayLog the fetcher reads: the members and their admin addresses. */
function relayWithMembers(addrs: string[]): RelayLog {
  const members = Object.fromEntries(addrs.map((adminAddr, i) => [String(i + 2), { id: String(i + 2), adminAddr }]));
  return { members } as unknown as RelayLog;
}

test('members that refuse the files are asked again after a growing pause, not in a tight loop', async () => {
  const a = await refusingMember();
  const b = await refusingMember();
  const dir = mkdtempSync(join(tmpdir(), 'binrelay-fetcher-'));
  const fetcher = new SnapshotFetcher(relayWithMembers([a.addr, b.addr]), 1, () => 2, null, silentLogger);
  try {
    const fetching = fetcher.fetch('mysql-bin.000001', 0, 1000, join(dir, 'mysql-bin.000001'));
    await new Promise((r) => setTimeout(r, 2000));
    fetcher.close();
    await assert.rejects(fetching, /403|forbidden|refused/);
    // Rounds start at 0, 250, 750 and 1750 ms: four requests to each member in 2 s.
    for (const member of [a, b]) assert.ok(member.requests() >= 2 && member.requests() <= 5, `${member.addr} was asked ${member.requests()} times in 2 s`);
  } finally {
    await Promise.all([a.close(), b.close()]);
    rmSync(dir, { recursive: true, force: true });
  }
});
