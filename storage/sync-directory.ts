// fsync of a directory: what makes a created or deleted file name durable (the file's own
// fsync covers its bytes, not its directory entry).
import { open } from 'node:fs/promises';

export async function syncDirectory(path: string): Promise<void> {
  const dir = await open(path, 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
