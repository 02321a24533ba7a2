import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Inflights } from '../../../../raft/core/inflights.js';
import { Progress, type ProgressState } from '../../../../raft/core/progress.js';

function progress(state: ProgressState, match: number, next: number, pendingSnapshot = 0): Progress {
  const pr = new Progress(match, next, new Inflights(3, 0), false);
  if (state === 'replicate') {
    pr.becomeReplicate();
    pr.next = next;
  } else if (state === 'snapshot') {
    pr.becomeSnapshot(pendingSnapshot);
  }
  return pr;
}

test('becomeProbe restarts after the match, or after a pending snapshot', () => {
  const cases: { from: Progress; wantNext: number }[] = [
    { from: progress('replicate', 1, 5), wantNext: 2 },
    { from: progress('snapshot', 1, 5, 10), wantNext: 11 },
    { from: progress('snapshot', 1, 5, 0), wantNext: 2 },
  ];
  for (const c of cases) {
    c.from.becomeProbe();
    assert.equal(c.from.state, 'probe');
    assert.equal(c.from.next, c.wantNext);
    assert.equal(c.from.pendingSnapshot, 0);
  }
});

test('maybeUpdate moves match forward only, and next to at least index + 1', () => {
  const cases: { update: number; wantUpdated: boolean; wantMatch: number; wantNext: number }[] = [
    { update: 1, wantUpdated: false, wantMatch: 3, wantNext: 5 }, // stale
    { update: 3, wantUpdated: false, wantMatch: 3, wantNext: 5 },
    { update: 4, wantUpdated: true, wantMatch: 4, wantNext: 5 },
    { update: 5, wantUpdated: true, wantMatch: 5, wantNext: 6 },
    { update: 8, wantUpdated: true, wantMatch: 8, wantNext: 9 },
  ];
  for (const c of cases) {
    const pr = progress('probe', 3, 5);
    pr.msgAppFlowPaused = true;
    assert.equal(pr.maybeUpdate(c.update), c.wantUpdated);
    assert.equal(pr.match, c.wantMatch);
    assert.equal(pr.next, c.wantNext);
    if (c.wantUpdated) assert.equal(pr.msgAppFlowPaused, false);
  }
});

test('maybeDecrTo ignores stale rejections and uses the hint', () => {
  const cases: {
    state: ProgressState; match: number; next: number; rejected: number; hint: number;
    want: boolean; wantNext: number;
  }[] = [
    // replicate: a rejection at or below match is stale
    { state: 'replicate', match: 5, next: 10, rejected: 5, hint: 5, want: false, wantNext: 10 },
    { state: 'replicate', match: 5, next: 10, rejected: 4, hint: 4, want: false, wantNext: 10 },
    // replicate: otherwise fall back to match + 1
    { state: 'replicate', match: 5, next: 10, rejected: 9, hint: 9, want: true, wantNext: 6 },
    // probe: only the rejection of the outstanding probe (next - 1) counts
    { state: 'probe', match: 0, next: 10, rejected: 5, hint: 5, want: false, wantNext: 10 },
    { state: 'probe', match: 0, next: 10, rejected: 9, hint: 9, want: true, wantNext: 9 },
    { state: 'probe', match: 0, next: 10, rejected: 9, hint: 3, want: true, wantNext: 4 },
    { state: 'probe', match: 0, next: 10, rejected: 9, hint: 20, want: true, wantNext: 9 },
    // probe: never below match + 1
    { state: 'probe', match: 4, next: 10, rejected: 9, hint: 1, want: true, wantNext: 5 },
    { state: 'probe', match: 0, next: 1, rejected: 0, hint: 0, want: true, wantNext: 1 },
  ];
  for (const c of cases) {
    const pr = progress(c.state, c.match, c.next);
    pr.msgAppFlowPaused = true;
    assert.equal(pr.maybeDecrTo(c.rejected, c.hint), c.want, JSON.stringify(c));
    assert.equal(pr.next, c.wantNext, JSON.stringify(c));
    if (c.want && c.state === 'probe') assert.equal(pr.msgAppFlowPaused, false);
  }
});

test('a progress is paused while probing, when inflights are full, and in snapshot state', () => {
  const probe = progress('probe', 0, 1);
  assert.equal(probe.isPaused(), false);
  probe.sentEntries(0, 0, 0); // even an empty probe waits for its answer
  assert.equal(probe.isPaused(), true);

  const repl = progress('replicate', 0, 1);
  repl.sentEntries(1, 1, 10);
  repl.sentEntries(1, 2, 10);
  assert.equal(repl.isPaused(), false);
  repl.sentEntries(2, 4, 10);
  assert.equal(repl.isPaused(), true);
  assert.equal(repl.next, 5);
  repl.maybeUpdate(2); // an ack unpauses the stream and frees the acked appends
  repl.inflights.freeLE(2);
  assert.equal(repl.isPaused(), false);
  repl.sentEntries(1, 5, 10);
  assert.equal(repl.isPaused(), false);
  repl.sentEntries(1, 6, 10);
  assert.equal(repl.isPaused(), true);
  repl.msgAppFlowPaused = false; // as a heartbeat answer does
  repl.sentEntries(0, 6, 0); // the empty append that then goes out pauses again
  assert.equal(repl.isPaused(), true);

  assert.equal(progress('snapshot', 0, 1, 9).isPaused(), true);
});
