import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { constants, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DIRECT_BLOCK, DirectAppender, openSyncedAppend } from '../../../storage/direct-append.js';
import { seededRandom } from '../../helpers/seeded-random.js';

test('direct appends of any size land byte for byte after each other, padded with zeros to a block', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'binrelay-direct-append-'));
  const path = join(dir, 'f');
  try {
    const { handle, direct } = await openSyncedAppend(path, constants.O_CREAT);
    assert.equal(direct, true, `${tmpdir()} takes O_DIRECT (ext4, xfs, tmpfs since Linux 6.6)`);
    const appender = new DirectAppender();
    const rnd = seededRandom(7);
    const written: Buffer[] = [];
    let size = 0;
    try {
      // Small, block-sized, straddling and larger-than-the-stage appends, several buffers each.
      const sizes = [24, 1, 4071, 4096, 5000, 3, 9 * 1024 * 1024 + 17, 100, 8192, 700];
      for (let k = 0; k < 40; k++) sizes.push(Math.floor(rnd() * 70_000));
      for (const n of sizes) {
        const cut = Math.floor(rnd() * n);
        const bytes = randomBytes(n);
        await appender.append(handle, size, [bytes.subarray(0, cut), bytes.subarray(cut)]);
        written.push(bytes);
        size += n;
      }
    } finally {
      await handle.close();
    }
    const file = readFileSync(path);
    assert.equal(file.length, Math.ceil(size / DIRECT_BLOCK) * DIRECT_BLOCK);
    assert.ok(file.subarray(0, size).equals(Buffer.concat(written)), 'the logical bytes are the appends in order');
    assert.ok(file.subarray(size).every((b) => b === 0), 'the padding is zeros');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a direct append after the file was cut, or by another appender, continues at the logical end given', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'binrelay-direct-append-'));
  const path = join(dir, 'f');
  try {
    const a = await openSyncedAppend(path, constants.O_CREAT);
    const first = randomBytes(6000);
    try {
      await new DirectAppender().append(a.handle, 0, [first]);
      await a.handle.truncate(5000);
    } finally {
      await a.handle.close();
    }
    const b = await openSyncedAppend(path, 0);
    const more = randomBytes(3000);
    try {
      await new DirectAppender().append(b.handle, 5000, [more]);
    } finally {
      await b.handle.close();
    }
    const file = readFileSync(path);
    assert.ok(file.subarray(0, 8000).equals(Buffer.concat([first.subarray(0, 5000), more])));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
