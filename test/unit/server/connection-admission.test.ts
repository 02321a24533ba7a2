import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectionAdmission, clientIp, type AdmissionTicket } from '../../../src/server/connection-admission.js';

const limits = { maxConnections: 10, maxHandshakes: 4, maxHandshakesPerIp: 2, replicaHandshakes: 2 };

function ticket(a: ConnectionAdmission, ip: string): AdmissionTicket {
  const t = a.admit(ip);
  assert.equal(typeof t, 'object', `admit ${ip}: ${String(t)}`);
  return t as AdmissionTicket;
}

describe('ConnectionAdmission', () => {
  it('caps handshakes per address and in total', () => {
    const a = new ConnectionAdmission(limits);
    ticket(a, '10.0.0.1');
    ticket(a, '10.0.0.1');
    assert.equal(a.admit('10.0.0.1'), 'per-ip limit');
    ticket(a, '10.0.0.2');
    ticket(a, '10.0.0.3');
    assert.equal(a.admit('10.0.0.4'), 'handshake limit');
  });

  it('gives a handshake slot back when the connection logs in or closes', () => {
    const a = new ConnectionAdmission(limits);
    const t1 = ticket(a, '10.0.0.1');
    const t2 = ticket(a, '10.0.0.1');
    a.loggedIn(t1);
    const t3 = ticket(a, '10.0.0.1');
    a.release(t2);
    a.release(t2);
    ticket(a, '10.0.0.1');
    assert.equal(a.admit('10.0.0.1'), 'per-ip limit');
    a.release(t3);
    assert.deepEqual(a.stats(), { connections: 2, handshakes: 1, replicaHandshakes: 1 }, 'the address logged in: its handshakes use the replica pool');
  });

  it("keeps handshake slots for addresses a replica logged in from, which strangers' floods cannot take", () => {
    const a = new ConnectionAdmission(limits);
    a.loggedIn(ticket(a, '10.0.0.9'));
    for (const ip of ['10.0.1.1', '10.0.1.2', '10.0.1.3', '10.0.1.4']) ticket(a, ip);
    assert.equal(a.admit('10.0.1.5'), 'handshake limit');
    const known = ticket(a, '10.0.0.9');
    assert.equal(known.pool, 'replica');
  });

  it('caps every connection, logged in or not, at maxConnections', () => {
    const a = new ConnectionAdmission(limits);
    for (let i = 0; i < 10; i++) a.loggedIn(ticket(a, `10.0.2.${i}`));
    assert.equal(a.admit('10.0.3.1'), 'connection limit');
  });

  it('reads an IPv4 client on a dual-stack socket as its IPv4 address', () => {
    assert.equal(clientIp('::ffff:127.0.0.1'), '127.0.0.1');
    assert.equal(clientIp('::1'), '::1');
    assert.equal(clientIp(undefined), '');
  });
});
