import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  nativePasswordHash,
  scrambleNativePassword,
  verifyNativePassword,
} from '../../../src/mysql/auth-native-password.js';

// Expected values are computed here with node:crypto from the formula, never with the module.
const sha1 = (...parts: Buffer[]): Buffer => {
  const h = createHash('sha1');
  for (const p of parts) h.update(p);
  return h.digest();
};
const scramble = Buffer.from('3a2f5c6d1e7b0c4d5e6f70718293a4b5c6d7e8f9', 'hex');
function expectedToken(password: string): Buffer {
  const stage1 = sha1(Buffer.from(password));
  const mask = sha1(scramble, sha1(stage1));
  return Buffer.from(stage1.map((b, i) => b ^ mask[i]!));
}

describe('mysql_native_password', () => {
  it("stores SHA1(SHA1(pw)): PASSWORD('secret') is *14E65567ABDB5135D0CFD9A70B3032C179A49EE7", () => {
    assert.equal(nativePasswordHash('secret').toString('hex').toUpperCase(), '14E65567ABDB5135D0CFD9A70B3032C179A49EE7');
  });

  it('accepts the token SHA1(pw) XOR SHA1(scramble + SHA1(SHA1(pw)))', () => {
    const token = expectedToken('secret');
    assert.deepEqual(scrambleNativePassword('secret', scramble), token);
    const stored = Buffer.from('14E65567ABDB5135D0CFD9A70B3032C179A49EE7', 'hex');
    assert.equal(verifyNativePassword(token, scramble, stored), true);
  });

  it('rejects a token made from another password, scramble or a flipped bit', () => {
    const stored = nativePasswordHash('secret');
    assert.equal(verifyNativePassword(expectedToken('Secret'), scramble, stored), false);
    const otherScramble = Buffer.from(scramble);
    otherScramble[0] ^= 1;
    assert.equal(verifyNativePassword(expectedToken('secret'), otherScramble, stored), false);
    const flipped = expectedToken('secret');
    flipped[19] ^= 0x80;
    assert.equal(verifyNativePassword(flipped, scramble, stored), false);
  });

  it('rejects tokens of the wrong length instead of throwing', () => {
    const stored = nativePasswordHash('secret');
    assert.equal(verifyNativePassword(Buffer.alloc(0), scramble, stored), false);
    assert.equal(verifyNativePassword(Buffer.alloc(32), scramble, stored), false);
  });

  it('treats the empty password as an empty token and nothing else', () => {
    const stored = nativePasswordHash('');
    assert.equal(stored.length, 0);
    assert.deepEqual(scrambleNativePassword('', scramble), Buffer.alloc(0));
    assert.equal(verifyNativePassword(Buffer.alloc(0), scramble, stored), true);
    assert.equal(verifyNativePassword(expectedToken('x'), scramble, stored), false);
  });
});
