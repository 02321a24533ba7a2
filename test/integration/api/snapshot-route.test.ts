// GET /internal/binlog/files/:name on the real admin API: validation, the error envelope, the
// bearer token, and a framed octet-stream body.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiError } from '../../../api/errors.js';
import { createAdminServer } from '../../../api/server.js';
import { silentLogger } from '../../../src/logger.js';
import { TransferFrameDecoder, framedLength, type DecodedFrame } from '../../../src/relaylog/transfer-frame.js';
import { directoryBackend, startBinlogFileServer } from '../relaylog/binlog-file-server.js';

let dir: string;
let data: Buffer;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'binrelay-route-'));
  data = randomBytes(3 * 1024 * 1024 + 5);
  writeFileSync(join(dir, 'mysql-bin.000001'), data);
});

after(() => rmSync(dir, { recursive: true, force: true }));

function app(adminToken?: string) {
  return createAdminServer({ backend: directoryBackend(dir), logger: silentLogger, ...(adminToken ? { adminToken } : {}) });
}

test('a range is answered 200 as a framed application/octet-stream of exact content-length', async () => {
  const res = await app().inject({ method: 'GET', url: '/internal/binlog/files/mysql-bin.000001?from=10&to=3145000' });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['content-type'], 'application/octet-stream');
  assert.equal(Number(res.headers['content-length']), framedLength(3145000 - 10));
  const decoder = new TransferFrameDecoder();
  decoder.push(res.rawPayload);
  const frames: DecodedFrame[] = [];
  for (let f = decoder.next(); f !== null; f = decoder.next()) frames.push(f);
  assert.equal(frames.at(-1)?.kind, 'end');
  const bytes = Buffer.concat(frames.flatMap((f) => (f.kind === 'data' ? [f.bytes] : [])));
  assert.ok(bytes.equals(data.subarray(10, 3145000)));
});

/** A GET sent byte for byte (no client-side normalization of "..", as curl --path-as-is). */
async function rawGet(port: number, path: string): Promise<{ status: number; body: string }> {
  const socket = connect(port, '127.0.0.1');
  socket.end(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
  let raw = '';
  for await (const chunk of socket) raw += (chunk as Buffer).toString('utf8');
  const [head, body] = raw.split('\r\n\r\n', 2);
  return { status: Number(head.split(' ')[1]), body };
}

test('a name that is not a plain file name is a 400 naming the field', async () => {
  const server = await startBinlogFileServer(dir);
  try {
    for (const name of ['..', '%2E%2E', '..%2Fx', '..%2F..%2Fetc%2Fpasswd', 'a%5Cb', 'a%00b', 'x'.repeat(256), encodeURIComponent('é'.repeat(128))]) {
      const res = await rawGet(server.port, `/internal/binlog/files/${name}?from=0&to=1`);
      assert.equal(res.status, 400, name);
      assert.deepEqual(JSON.parse(res.body).error, { code: 'BAD_REQUEST', field: 'name' }, name);
    }
    // A literal '../x' is two path segments: it never reaches the route.
    assert.equal((await rawGet(server.port, '/internal/binlog/files/../x?from=0&to=1')).status, 404);
    // 255 bytes is still a name (the backend decides whether it knows it).
    const longest = await rawGet(server.port, `/internal/binlog/files/${encodeURIComponent('é'.repeat(127) + 'x')}?from=0&to=1`);
    assert.equal(longest.status, 404);
    assert.equal(JSON.parse(longest.body).error.code, 'NOT_FOUND');
  } finally {
    await server.close();
  }
});

test('bad ranges are a 400 naming the field', async () => {
  const server = app();
  const cases: Array<[string, string]> = [
    ['from=5&to=4', 'to'],
    ['from=-1&to=4', 'from'],
    ['from=abc&to=4', 'from'],
    ['from=0&to=9007199254740993', 'to'],
    ['from=0', 'to'],
    ['from=0&to=1&extra=1', 'extra'],
  ];
  for (const [query, field] of cases) {
    const res = await server.inject({ method: 'GET', url: `/internal/binlog/files/mysql-bin.000001?${query}` });
    assert.equal(res.statusCode, 400, query);
    assert.equal(res.json().error.field, field, query);
  }
});

test('an unknown file is a 404 and a range past the file\'s end a 409, in the error envelope', async () => {
  const server = app();
  const unknown = await server.inject({ method: 'GET', url: '/internal/binlog/files/mysql-bin.000009?from=0&to=1' });
  assert.equal(unknown.statusCode, 404);
  assert.deepEqual(unknown.json(), { message: 'no binlog file mysql-bin.000009', error: { code: 'NOT_FOUND', file: 'mysql-bin.000009' } });
  const short = await server.inject({ method: 'GET', url: `/internal/binlog/files/mysql-bin.000001?from=0&to=${data.length + 1}` });
  assert.equal(short.statusCode, 409);
  assert.equal(short.json().error.code, 'CONFLICT');
  assert.equal(short.json().error.size, data.length);
});

test('the bearer token is required when one is set', async () => {
  const server = app('s3cret');
  const url = '/internal/binlog/files/mysql-bin.000001?from=0&to=100';
  const refused = await server.inject({ method: 'GET', url });
  assert.equal(refused.statusCode, 401);
  assert.equal(refused.json().error.code, 'UNAUTHORIZED');
  assert.equal((await server.inject({ method: 'GET', url, headers: { authorization: 'Bearer wrong' } })).statusCode, 401);
  assert.equal((await server.inject({ method: 'GET', url, headers: { authorization: 'Bearer s3cret' } })).statusCode, 200);
});

test('the route exists only when the backend can name binlog files', async () => {
  const { binlogFilePath: _unused, ...adminOnly } = directoryBackend(dir);
  const server = createAdminServer({ backend: adminOnly, logger: silentLogger });
  const res = await server.inject({ method: 'GET', url: '/internal/binlog/files/mysql-bin.000001?from=0&to=1' });
  assert.equal(res.statusCode, 404);
  assert.match(res.json().message, /^no route/);
});

test('a file cut while it is sent aborts the response: the body never ends cleanly', async () => {
  const name = 'shrinking.000001';
  writeFileSync(join(dir, name), randomBytes(32 * 1024 * 1024));
  const server = await startBinlogFileServer(dir);
  try {
    const outcome = await new Promise<string>((resolve) => {
      http.get(`${server.baseUrl}/internal/binlog/files/${name}?from=0&to=${32 * 1024 * 1024}`, (res) => {
        let cut = false;
        res.on('data', () => {
          if (!cut) truncateSync(join(dir, name), 1024 * 1024);
          cut = true;
        });
        res.on('end', () => resolve('ended'));
        res.on('error', () => resolve('aborted'));
      }).on('error', () => resolve('aborted'));
    });
    assert.equal(outcome, 'aborted');
  } finally {
    await server.close();
  }
});

test('a file the member does not hold yet is a retryable 409, a purged one a 404', async () => {
  const backend = {
    ...directoryBackend(dir),
    binlogFilePath: (name: string): string | null => {
      if (name === 'mysql-bin.000000') return null;
      throw new ApiError('CONFLICT', `binlog file ${name} is not held here (yet)`, { file: name });
    },
  };
  const server = createAdminServer({ backend, logger: silentLogger });
  const later = await server.inject({ method: 'GET', url: '/internal/binlog/files/mysql-bin.000009?from=0&to=10' });
  assert.equal(later.statusCode, 409);
  assert.match(later.body, /not held here/);
  const purged = await server.inject({ method: 'GET', url: '/internal/binlog/files/mysql-bin.000000?from=0&to=10' });
  assert.equal(purged.statusCode, 404);
});
