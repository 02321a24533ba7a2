import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Message, NodeId } from '../../raft/core/types.js';
import { NodeGate } from './node-gate.js';
import { SimRandom } from './prng.js';
import { drainMicrotasks, Scheduler } from './scheduler.js';
import { QUIET_NETWORK, SimNetwork, type NetworkFaults, type SimTransport } from './sim-network.js';

function msg(from: NodeId, to: NodeId, index: number): Message {
  return {
    type: 'app', from, to, term: 2, logTerm: 1, index, commit: 0, reject: false, rejectHint: 0, snapshot: null,
    context: new Uint8Array(0), entries: [{ index: index + 1, term: 2, type: 'normal', data: Uint8Array.of(index) }],
  };
}

/** Decoded byte fields are Buffers (they alias the frame): compare contents only. */
function plain(m: Message): unknown {
  return { ...m, context: [...m.context], entries: m.entries.map((e) => ({ ...e, data: [...e.data] })) };
}

function setup(faults: NetworkFaults = QUIET_NETWORK, ids: NodeId[] = [1, 2, 3]) {
  const sched = new Scheduler();
  const net = new SimNetwork(sched, new SimRandom(3, 'net'), () => undefined, faults);
  const got = new Map<NodeId, Message[]>();
  const unreachable: string[] = [];
  const t = new Map<NodeId, SimTransport>();
  const gates = new Map<NodeId, NodeGate>();
  for (const id of ids) {
    const gate = new NodeGate(id, 0, sched);
    const tr = net.connect(id, gate);
    for (const o of ids) if (o !== id) tr.setPeer(o, `sim://n${o}`);
    got.set(id, []);
    tr.onMessage((m) => got.get(id)!.push(m));
    tr.onUnreachable((p) => unreachable.push(`${id}->${p}`));
    t.set(id, tr);
    gates.set(id, gate);
  }
  const run = (): void => {
    while (sched.step() !== null);
  };
  return { sched, net, got, t, gates, unreachable, run };
}

test('messages arrive decoded and equal, in order per path without reordering', () => {
  const { t, got, run } = setup({ ...QUIET_NETWORK, delayMeanMs: 5 });
  const sent = [1, 2, 3, 4, 5, 6, 7, 8].map((i) => msg(1, 2, i));
  t.get(1)!.send(sent);
  run();
  assert.deepEqual(got.get(2)!.map(plain), sent.map(plain));
});

test('loss drops everything; duplication doubles; reordering may overtake', () => {
  const lossy = setup({ ...QUIET_NETWORK, lossProbability: 1 });
  lossy.t.get(1)!.send([msg(1, 2, 1), msg(1, 3, 1)]);
  lossy.run();
  assert.equal(lossy.got.get(2)!.length + lossy.got.get(3)!.length, 0);

  const dup = setup({ ...QUIET_NETWORK, duplicateProbability: 1 });
  dup.t.get(1)!.send([msg(1, 2, 1)]);
  dup.run();
  assert.equal(dup.got.get(2)!.length, 2);

  const re = setup({ ...QUIET_NETWORK, delayMeanMs: 20, reorderProbability: 1 });
  re.t.get(1)!.send([...Array(30).keys()].map((i) => msg(1, 2, i)));
  re.run();
  const order = re.got.get(2)!.map((m) => m.index);
  assert.equal(order.length, 30);
  assert.notDeepEqual(order, [...order].sort((a, b) => a - b));
});

test('partitions: isolate, split, one-way; heal restores; in-flight messages into a cut are dropped', () => {
  const { net, t, got, run, unreachable } = setup();
  net.isolate(3, [1, 2, 3]);
  t.get(1)!.send([msg(1, 3, 1), msg(1, 2, 1)]);
  t.get(3)!.send([msg(3, 1, 1)]);
  run();
  assert.deepEqual([got.get(1)!.length, got.get(2)!.length, got.get(3)!.length], [0, 1, 0]);
  assert.ok(unreachable.includes('1->3'));
  net.heal();
  net.oneWay(1, 2);
  t.get(1)!.send([msg(1, 2, 2)]);
  t.get(2)!.send([msg(2, 1, 2)]);
  run();
  assert.deepEqual([got.get(1)!.length, got.get(2)!.length], [1, 1]);
  net.heal();
  t.get(1)!.send([msg(1, 2, 3)]);
  net.split([1], [2, 3]);
  run();
  assert.equal(got.get(2)!.length, 1, 'cut while in flight: dropped on arrival');
});

test('a transport sends only to peers it has an address for, and nothing once closed', async () => {
  const { t, got, run } = setup();
  t.get(1)!.removePeer(2);
  t.get(1)!.send([msg(1, 2, 1), msg(1, 3, 1)]);
  run();
  assert.deepEqual([got.get(2)!.length, got.get(3)!.length], [0, 1]);
  await t.get(3)!.close();
  t.get(1)!.send([msg(1, 3, 2)]);
  t.get(3)!.send([msg(3, 1, 2)]);
  run();
  assert.deepEqual([got.get(1)!.length, got.get(3)!.length], [0, 1]);
  await drainMicrotasks();
});

test('a paused node receives its messages when the pause ends, in order', () => {
  const { sched, t, got, gates, run } = setup();
  gates.get(2)!.pause(100);
  t.get(1)!.send([msg(1, 2, 1), msg(1, 2, 2)]);
  while ((sched.peekMs() ?? Infinity) < 50) sched.step();
  assert.equal(got.get(2)!.length, 0);
  run();
  assert.deepEqual(got.get(2)!.map((m) => m.index), [1, 2]);
  assert.ok(sched.nowMs >= 100);
});
