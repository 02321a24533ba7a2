import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InboundAdmission, normalizeIp, type AdmissionTicket } from '../../../raft/transport-admission.js';

const limits = { preAuthMax: 10, preAuthPerIpMax: 3, peerPreAuthMax: 4 };

test('unauthenticated sockets are capped per IP and in total; released slots are reused', () => {
  const a = new InboundAdmission(limits);
  const tickets = [1, 2, 3].map(() => a.admit('10.0.0.1'));
  assert.ok(tickets.every((t) => typeof t !== 'string'));
  assert.equal(a.admit('10.0.0.1'), 'per-ip limit');
  for (let i = 2; i <= 8; i++) assert.notEqual(typeof a.admit(`10.0.0.${i}`), 'string');
  assert.equal(a.admit('10.0.0.99'), 'pre-auth limit');
  a.release(tickets[0] as AdmissionTicket);
  a.release(tickets[0] as AdmissionTicket);
  assert.equal(a.stats().preAuth, 9, 'a double release counts once');
  assert.notEqual(typeof a.admit('10.0.0.1'), 'string');
});

test('configured peers have their own pool that a flood from elsewhere cannot fill', () => {
  const a = new InboundAdmission(limits);
  a.setPeerIps(['192.168.1.2', '::ffff:192.168.1.3']);
  for (let i = 0; i < 100; i++) a.admit(`10.1.${i >> 8}.${i & 255}`);
  assert.equal(a.admit('10.9.9.9'), 'pre-auth limit');
  const peer = a.admit('::ffff:192.168.1.2');
  assert.ok(typeof peer !== 'string' && peer.peerPool);
  for (let i = 0; i < 3; i++) assert.notEqual(typeof a.admit('192.168.1.3'), 'string');
  assert.equal(a.admit('192.168.1.2'), 'peer pre-auth limit');
});

test('IPv4-mapped IPv6 addresses are the IPv4 address', () => {
  assert.equal(normalizeIp('::ffff:127.0.0.1'), '127.0.0.1');
  assert.equal(normalizeIp('::1'), '::1');
});
