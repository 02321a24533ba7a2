import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatMysqlGtid, MysqlGtidSet, parseMysqlGtid, normalizeUuid } from '../../../src/binlog/gtid-set-mysql.js';
import { badGtid, seededRandom } from './listing.js';

const U1 = '214eb71f-96ec-11e8-ab4f-fa163e72d4ae';
const U2 = '3e11fa47-71ca-11e1-9e33-c80aa9429562';
const U3 = 'fbda2ad0-7c46-11ec-ae30-4ef7efc81a2a';

test('a set prints canonically: UUIDs lowercase and sorted, intervals merged, single GTIDs bare', () => {
  const set = MysqlGtidSet.parse(`${U3.toUpperCase()}:5:1-3:4 , ${U1}:7-9:10,\n${U2}:3`);
  assert.equal(set.toString(), `${U1}:7-10,${U2}:3,${U3}:1-5`);
  assert.equal(MysqlGtidSet.parse('').toString(), '');
  assert.equal(MysqlGtidSet.parse(` ${U1}:1-5:7-9 `).toString(), `${U1}:1-5:7-9`);
});

test('tagged GTIDs (8.3+) print after the untagged intervals of their UUID, tags sorted and lowercased', () => {
  const set = MysqlGtidSet.parse(`${U1}:Zeta:4:alpha:1-2,${U1}:1-3,${U2}:tag_1:9`);
  assert.equal(set.toString(), `${U1}:1-3:alpha:1-2:zeta:4,${U2}:tag_1:9`);
  assert.ok(set.hasTags());
  assert.ok(set.containsGtid(parseMysqlGtid(`${U1}:ALPHA:2`)));
  assert.ok(!set.containsGtid(parseMysqlGtid(`${U1}:4`)));
});

test('single GTIDs parse and print as uuid:n and uuid:tag:n', () => {
  assert.deepEqual(parseMysqlGtid(`${U1.toUpperCase()}:11790`), { uuid: U1, tag: '', gno: 11790n });
  assert.equal(formatMysqlGtid(parseMysqlGtid(`${U2}:MyTag:7`)), `${U2}:mytag:7`);
  assert.equal(normalizeUuid('3E11FA4771CA11E19E33C80AA9429562'), U2);
});

test('malformed GTIDs and sets are BINLOG_BAD_GTID', () => {
  for (const text of [`${U1}:0`, `${U1}:5-3`, `${U1}:x-1`, 'nope:1', `${U1}:1:`, `${U1}:9223372036854775807`, `${U1}:-1`, `${U1}:1-2,`, `${U1}:${'t'.repeat(33)}:1`, `${U1}:1tag:1`]) {
    assert.ok(badGtid(() => MysqlGtidSet.parse(text)), text);
  }
  assert.ok(badGtid(() => parseMysqlGtid(`${U1}:a:b:1`)));
});

test('the largest sequence number MySQL allows (2^63 − 2) round-trips exactly', () => {
  const text = `${U1}:9223372036854775800-9223372036854775806`;
  assert.equal(MysqlGtidSet.parse(text).toString(), text);
  assert.equal(MysqlGtidSet.parse(text).count(), 7n);
});

// Property tests against a brute-force model: a set of "uuid:tag:n" strings.
type Model = Set<string>;
const UUIDS = [U1, U2, U3];
const TAGS = ['', 'a', 'bb'];
const MAX = 40;

function randomPair(rnd: () => number): [MysqlGtidSet, Model] {
  const set = MysqlGtidSet.empty();
  const model: Model = new Set();
  const n = Math.floor(rnd() * 25);
  for (let i = 0; i < n; i++) {
    const uuid = UUIDS[Math.floor(rnd() * UUIDS.length)]!;
    const tag = TAGS[Math.floor(rnd() * TAGS.length)]!;
    const start = 1 + Math.floor(rnd() * MAX);
    const end = Math.min(MAX, start + Math.floor(rnd() * 6));
    set.addInterval(uuid, tag, BigInt(start), BigInt(end));
    for (let g = start; g <= end; g++) model.add(`${uuid}:${tag}:${g}`);
  }
  return [set, model];
}

function modelText(model: Model): string {
  const byUuid = new Map<string, Map<string, number[]>>();
  for (const k of model) {
    const [uuid, tag, n] = k.split(':') as [string, string, string];
    const tags = byUuid.get(uuid) ?? new Map<string, number[]>();
    byUuid.set(uuid, tags);
    tags.set(tag, [...(tags.get(tag) ?? []), Number(n)]);
  }
  return [...byUuid.keys()].sort().map((uuid) => {
    const tags = byUuid.get(uuid)!;
    const pieces = [...tags.keys()].sort().map((tag) => {
      const nums = tags.get(tag)!.sort((a, b) => a - b);
      const runs: string[] = [];
      for (let i = 0; i < nums.length;) {
        let j = i;
        while (j + 1 < nums.length && nums[j + 1] === nums[j]! + 1) j++;
        runs.push(i === j ? `${nums[i]}` : `${nums[i]}-${nums[j]}`);
        i = j + 1;
      }
      return tag ? `${tag}:${runs.join(':')}` : runs.join(':');
    });
    return `${uuid}:${pieces.join(':')}`;
  }).join(',');
}

test('union, subtract, intersect, contains and toString agree with a brute-force model (seeded)', () => {
  for (let seed = 1; seed <= 300; seed++) {
    const rnd = seededRandom(seed);
    const [a, ma] = randomPair(rnd);
    const [b, mb] = randomPair(rnd);
    const where = `seed ${seed}`;
    assert.equal(a.toString(), modelText(ma), where);
    assert.ok(MysqlGtidSet.parse(a.toString()).equals(a), where);
    assert.equal(a.union(b).toString(), modelText(new Set([...ma, ...mb])), where);
    assert.equal(a.subtract(b).toString(), modelText(new Set([...ma].filter((x) => !mb.has(x)))), where);
    assert.equal(a.intersect(b).toString(), modelText(new Set([...ma].filter((x) => mb.has(x)))), where);
    assert.equal(a.contains(b), [...mb].every((x) => ma.has(x)), where);
    assert.ok(a.union(b).contains(a) && a.union(b).contains(b), where);
    assert.ok(a.contains(a.subtract(b)), where);
    assert.equal(a.count(), BigInt(ma.size), where);
    for (let probe = 0; probe < 20; probe++) {
      const uuid = UUIDS[Math.floor(rnd() * UUIDS.length)]!;
      const tag = TAGS[Math.floor(rnd() * TAGS.length)]!;
      const gno = 1 + Math.floor(rnd() * MAX);
      assert.equal(a.containsGtid({ uuid, tag, gno: BigInt(gno) }), ma.has(`${uuid}:${tag}:${gno}`), `${where} probe`);
    }
  }
});

test('adding GTIDs one by one in any order builds the same set as parsing its text', () => {
  const rnd = seededRandom(7);
  const gnos = Array.from({ length: 200 }, (_, i) => i + 1).sort(() => rnd() - 0.5);
  const set = MysqlGtidSet.empty();
  for (const g of gnos) set.add({ uuid: U2, tag: '', gno: BigInt(g) });
  assert.equal(set.toString(), `${U2}:1-200`);
  const sequential = MysqlGtidSet.empty();
  for (let g = 1; g <= 50; g++) sequential.add({ uuid: U1, tag: '', gno: BigInt(g) });
  assert.equal(sequential.toString(), `${U1}:1-50`);
});

test('union and subtract do not modify their operands; add and addAll modify only the receiver', () => {
  const a = MysqlGtidSet.parse(`${U1}:1-5`);
  const b = MysqlGtidSet.parse(`${U1}:3-9`);
  a.union(b);
  a.subtract(b);
  assert.equal(a.toString(), `${U1}:1-5`);
  assert.equal(b.toString(), `${U1}:3-9`);
  const c = a.clone().addAll(b);
  assert.equal(c.toString(), `${U1}:1-9`);
  assert.equal(a.toString(), `${U1}:1-5`);
});
