import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { freePort } from '../../../src/demo/free-port.js';

const ephemeralStart = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);

test('ports come from below the kernel ephemeral range, where no outgoing connection lands', async () => {
  for (let i = 0; i < 50; i++) {
    const port = await freePort();
    assert.ok(port >= 20_000 && port < ephemeralStart, `port ${port} outside [20000, ${ephemeralStart})`);
  }
});

test('no port is handed out twice, even to calls made at once', async () => {
  const ports = await Promise.all(Array.from({ length: 300 }, () => freePort()));
  assert.equal(new Set(ports).size, ports.length);
});
