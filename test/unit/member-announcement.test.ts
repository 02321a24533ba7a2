// Which member records the leader accepts from an announcing peer (src/member-announcement.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkMemberAnnouncement, encodeMemberAnnouncement, MEMBER_ANNOUNCEMENT_BYTES_MAX } from '../../src/member-announcement.js';
import { memberIdOf } from '../../src/member-id.js';

const N2 = memberIdOf('n2');
const MEMBERSHIP = new Set([memberIdOf('n1'), N2, memberIdOf('n3')]);
const n2 = { id: String(N2), name: 'n2', peerAddr: '127.0.0.1:9692', adminAddr: '127.0.0.1:9592' };
const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

test('a member announcing its own well-formed attributes is accepted', () => {
  assert.deepEqual(checkMemberAnnouncement(N2, encodeMemberAnnouncement(n2), MEMBERSHIP), { ok: true, member: n2 });
});

test('attributes of another member (such as the leader) are refused, whatever the fields say', () => {
  const leaderId = memberIdOf('n1');
  const forged = { id: String(leaderId), name: 'n1', peerAddr: '127.0.0.1:9691', adminAddr: '203.0.113.7:80' };
  const verdict = checkMemberAnnouncement(N2, json(forged), MEMBERSHIP);
  assert.equal(verdict.ok, false);
  assert.match(!verdict.ok ? verdict.reason : '', /announced attributes of member/);
  const renamed = checkMemberAnnouncement(N2, json({ ...n2, name: 'n1' }), MEMBERSHIP);
  assert.match(!renamed.ok ? renamed.reason : '', /is not the name of member/);
});

test('300 fake members are refused: none is in the raft configuration', () => {
  for (let i = 0; i < 300; i++) {
    const name = `fake-${i}`;
    const id = memberIdOf(name);
    const verdict = checkMemberAnnouncement(id, json({ id: String(id), name, peerAddr: `10.0.0.${i % 250}:1`, adminAddr: '10.9.9.9:80' }), MEMBERSHIP);
    assert.equal(verdict.ok, false, name);
    assert.match(!verdict.ok ? verdict.reason : '', /not in the raft configuration/);
  }
});

test('malformed or oversized fields are refused, naming the field', () => {
  const reasons = [
    json({ ...n2, adminAddr: '127.0.0.1:9592/steal?x=' }),
    json({ ...n2, adminAddr: 'user:pw@evil:80' }),
    json({ ...n2, peerAddr: '127.0.0.1:99999' }),
    json({ ...n2, adminAddr: `${'a'.repeat(300)}:80` }),
    json({ ...n2, name: 'x'.repeat(65) }),
    json({ ...n2, extra: 1 }),
    json({ ...n2, id: 'x' }),
    Buffer.from('not json'),
    Buffer.alloc(MEMBER_ANNOUNCEMENT_BYTES_MAX + 1, 0x20),
  ].map((payload) => {
    const verdict = checkMemberAnnouncement(N2, payload, MEMBERSHIP);
    assert.equal(verdict.ok, false, payload.toString().slice(0, 60));
    return !verdict.ok ? verdict.reason : '';
  });
  assert.match(reasons[0]!, /^adminAddr: /);
  assert.match(reasons[2]!, /^peerAddr: /);
  assert.match(reasons[4]!, /^name: /);
  assert.match(reasons[5]!, /^extra: unknown field/);
  assert.match(reasons[8]!, /bytes/);
});
