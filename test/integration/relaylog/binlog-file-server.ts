// A real admin API (createAdminServer) on 127.0.0.1:0 whose only binlog-related ability is serving
// the files of one directory for snapshot transfers, as a node's backend does for <data-dir>/binlog.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { AdminBackend, SnapshotBackend } from '../../../api/backend.js';
import { createAdminServer } from '../../../api/server.js';
import { silentLogger } from '../../../src/logger.js';

/** The admin backend of a one-node cluster serving the files of `dir` (null for names not there). */
export function directoryBackend(dir: string): AdminBackend & SnapshotBackend {
  return {
    members: () => [],
    addMember: async () => { throw new Error('not in this test'); },
    removeMember: async () => undefined,
    updateMember: async () => undefined,
    health: () => ({ ok: true, name: 'n1', role: 'leader', term: 1, leader: 'n1', commitIndex: 0, appliedIndex: 0 }),
    readiness: () => ({ ready: true }),
    metrics: () => '',
    binlogFilePath: (name) => (existsSync(join(dir, name)) ? join(dir, name) : null),
  };
}

export interface BinlogFileServer {
  app: FastifyInstance;
  port: number;
  baseUrl: string;
  close(): Promise<void>;
}

export async function startBinlogFileServer(dir: string, options: { adminToken?: string } = {}): Promise<BinlogFileServer> {
  const app = createAdminServer({ backend: directoryBackend(dir), logger: silentLogger, ...options });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return { app, port, baseUrl: `http://127.0.0.1:${port}`, close: () => app.close() };
}

const SERVER_PROCESS = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? './binlog-file-server-process.ts' : './binlog-file-server-process.js', import.meta.url));

/** The same server in a child process: what this process measures is then the client alone. */
export async function spawnBinlogFileServer(dir: string): Promise<{ baseUrl: string; close(): Promise<void> }> {
  const child = spawn(process.execPath, [...process.execArgv, SERVER_PROCESS, dir], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const lines = createInterface({ input: child.stdout });
  const [first] = await Promise.race([
    (async () => { for await (const line of lines) return [line]; return [null]; })(),
    exited.then(() => [null]),
  ]);
  if (first === null) throw new Error('the binlog file server process exited before listening');
  const { port } = JSON.parse(first) as { port: number };
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    close: async () => {
      child.stdin.end();
      await exited;
    },
  };
}
