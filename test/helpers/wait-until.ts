// Polls `pred` every 100 ms until it holds; fails the test naming `what` after `ms`.
import assert from 'node:assert/strict';

export async function waitUntil(what: string, pred: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await pred()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`timed out waiting for ${what}`);
}
