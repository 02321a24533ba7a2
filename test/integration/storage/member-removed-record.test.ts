import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readMemberRemovedRecord, stageMemberRemovedRecord } from '../../../storage/member-removed-record.js';
import { openStorage } from '../../../storage/storage.js';
import { MemberRemovedError, refuseRemovedMember } from '../../../src/member-removed.js';

test('the removal record lands with the raft batch that writes the conf state without the node, not before it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'binrelay-removed-'));
  try {
    const at = '2026-12-08T01:00:00.000Z';
    const first = await openStorage(dir);
    stageMemberRemovedRecord(first.raft, { at });
    // Stopped before the driver's next batch: neither the record nor the conf state is written,
    // so a restart applies the removal again from the log.
    await first.close();
    const second = await openStorage(dir);
    assert.equal(readMemberRemovedRecord(second.meta), undefined);
    refuseRemovedMember(second.meta, 'n3', dir);
    stageMemberRemovedRecord(second.raft, { at });
    assert.equal(second.raft.hasStaged(), true);
    const written: string[] = [];
    second.raft.onceWritten(() => written.push('batch'));
    await second.raft.persist({ entries: [], hardState: null, snapshot: null, confState: { voters: [1, 2], learners: [] }, sync: false });
    assert.deepEqual(written, ['batch']);
    await second.close();
    const third = await openStorage(dir);
    assert.deepEqual(third.raft.initialState().confState, { voters: [1, 2], learners: [] });
    assert.deepEqual(readMemberRemovedRecord(third.meta), { at });
    assert.throws(() => refuseRemovedMember(third.meta, 'n3', dir), (err: unknown) =>
      err instanceof MemberRemovedError && /node n3 was removed from its cluster at 2026-12-08T01:00:00.000Z/.test(err.message));
    await third.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
