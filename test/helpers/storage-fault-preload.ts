// Preloaded into a node process (`node --import <this file>`, through TEST_NODE_FLAGS) to make its
// storage writes fail or stall for real, without any hook in production code: once the trigger
// file `<data-dir>.fail-writes` exists, every FileHandle write, writev, sync and datasync of the
// process throws EIO, as a dying disk does; while `<data-dir>.stall-writes` holds a time (epoch
// ms) in the future, each of them waits until then, as a disk that stops answering does. LevelDB's
// own writes (native code) are not touched; the raft log segments and the binlog files are
// written through FileHandle.
import { existsSync, readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The trigger file of a node whose data dir is `dataDir`. */
export function failWritesTrigger(dataDir: string): string {
  return `${dataDir}.fail-writes`;
}

/** The stall trigger of a node whose data dir is `dataDir`: write Date.now() + ms into it. */
export function stallWritesTrigger(dataDir: string): string {
  return `${dataDir}.stall-writes`;
}

/** Milliseconds the stall trigger still holds writes back (0 without one). */
function stallLeftMs(trigger: string): number {
  if (!existsSync(trigger)) return 0;
  const until = Number(readFileSync(trigger, 'utf8'));
  return Number.isFinite(until) ? Math.max(0, until - Date.now()) : 0;
}

function dataDirOfArgs(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--data-dir') return argv[i + 1];
    if (argv[i]!.startsWith('--data-dir=')) return argv[i]!.slice('--data-dir='.length);
  }
  return undefined;
}

const dataDir = dataDirOfArgs(process.argv);
if (dataDir !== undefined) {
  const trigger = failWritesTrigger(dataDir);
  const stall = stallWritesTrigger(dataDir);
  // FileHandle is not exported: take its prototype from a handle.
  const probe = await open(join(tmpdir(), '.binrelay-fault-probe'), 'a');
  const proto = Object.getPrototypeOf(probe) as Record<string, unknown>;
  await probe.close();
  for (const method of ['write', 'writev', 'sync', 'datasync']) {
    const original = proto[method] as (...args: unknown[]) => Promise<unknown>;
    proto[method] = async function faultyWhenTriggered(this: unknown, ...args: unknown[]): Promise<unknown> {
      for (let left = stallLeftMs(stall); left > 0; left = stallLeftMs(stall)) await new Promise((r) => setTimeout(r, left));
      if (existsSync(trigger)) {
        throw Object.assign(new Error(`EIO: i/o error, ${method} (injected by ${trigger})`), { code: 'EIO', errno: -5, syscall: method });
      }
      return original.apply(this, args);
    };
  }
}
