import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cachingSha2Hash, scrambleCachingSha2, verifyCachingSha2 } from '../../../src/mysql/auth-caching-sha2.js';

// Expected values are computed here with node:crypto from the formula, never with the module.
const sha256 = (...parts: Buffer[]): Buffer => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};
const scramble = Buffer.from('0102030405060708090a0b0c0d0e0f1011121314', 'hex');
function expectedToken(password: string): Buffer {
  const stage1 = sha256(Buffer.from(password));
  const mask = sha256(sha256(stage1), scramble);
  return Buffer.from(stage1.map((b, i) => b ^ mask[i]!));
}

describe('caching_sha2_password fast path', () => {
  it('keeps SHA256(SHA256(pw)) as the stage-2 hash', () => {
    assert.deepEqual(cachingSha2Hash('pw'), sha256(sha256(Buffer.from('pw'))));
  });

  it('accepts the token SHA256(pw) XOR SHA256(SHA256(SHA256(pw)) + scramble)', () => {
    const token = expectedToken('replpw');
    assert.equal(token.length, 32);
    assert.deepEqual(scrambleCachingSha2('replpw', scramble), token);
    assert.equal(verifyCachingSha2(token, scramble, sha256(sha256(Buffer.from('replpw')))), true);
  });

  it('rejects a wrong password, a changed scramble and a short token', () => {
    const stage2 = cachingSha2Hash('replpw');
    assert.equal(verifyCachingSha2(expectedToken('replpW'), scramble, stage2), false);
    assert.equal(verifyCachingSha2(expectedToken('replpw'), Buffer.alloc(20, 1), stage2), false);
    assert.equal(verifyCachingSha2(expectedToken('replpw').subarray(0, 31), scramble, stage2), false);
  });

  it('accepts an empty token (or a lone NUL) only for the empty password', () => {
    assert.equal(verifyCachingSha2(Buffer.alloc(0), scramble, cachingSha2Hash('')), true);
    assert.equal(verifyCachingSha2(Buffer.from([0]), scramble, cachingSha2Hash('')), true);
    assert.equal(verifyCachingSha2(Buffer.alloc(0), scramble, cachingSha2Hash('x')), false);
    assert.equal(verifyCachingSha2(expectedToken('x'), scramble, cachingSha2Hash('')), false);
  });
});
