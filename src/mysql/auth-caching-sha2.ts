// caching_sha2_password, fast path only. The client sends
//   token = SHA256(pw) XOR SHA256(SHA256(SHA256(pw)) + scramble)
// and the server, which knows SHA256(SHA256(pw)) ("stage 2"), recovers SHA256(pw) and checks it
// hashes to stage 2, then answers AuthMoreData 0x03 (fast auth success) and OK.
//
// Real servers fall back to "full authentication" (0x04: send the password over TLS, or RSA
// encrypted after asking for the public key with 0x02) when the hash is not in their cache. We
// always know the password, so a token that does not verify is simply a wrong password and is
// answered with ER_ACCESS_DENIED_ERROR: no TLS, no RSA needed.

import { createHash, timingSafeEqual } from 'node:crypto';

export const CACHING_SHA2_PASSWORD = 'caching_sha2_password';
/** AuthMoreData bodies of the protocol (sql/auth/sha2_password.cc). */
export const REQUEST_PUBLIC_KEY = 0x02;
export const FAST_AUTH_SUCCESS = 0x03;
export const PERFORM_FULL_AUTHENTICATION = 0x04;
const DIGEST_LENGTH = 32;

function sha256(...parts: Buffer[]): Buffer {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
}

/** SHA256(SHA256(password)); empty for ''. */
export function cachingSha2Hash(password: string): Buffer {
  if (password === '') return Buffer.alloc(0);
  return sha256(sha256(Buffer.from(password, 'utf8')));
}

/** The client's fast-path token (for clients we write ourselves). */
export function scrambleCachingSha2(password: string, scramble: Buffer): Buffer {
  if (password === '') return Buffer.alloc(0);
  const stage1 = sha256(Buffer.from(password, 'utf8'));
  const mask = sha256(sha256(stage1), scramble);
  for (let i = 0; i < stage1.length; i++) stage1[i] = stage1[i]! ^ mask[i]!;
  return stage1;
}

/** Constant-time check of a fast-path token against the stage-2 hash. An empty stage 2 (empty
 *  password) accepts only an empty token; some clients send a single NUL for it. */
export function verifyCachingSha2(token: Buffer, scramble: Buffer, stage2: Buffer): boolean {
  const empty = token.length === 0 || (token.length === 1 && token[0] === 0);
  if (stage2.length === 0) return empty;
  if (token.length !== DIGEST_LENGTH || stage2.length !== DIGEST_LENGTH) return false;
  const mask = sha256(stage2, scramble);
  const stage1 = Buffer.allocUnsafe(DIGEST_LENGTH);
  for (let i = 0; i < DIGEST_LENGTH; i++) stage1[i] = token[i]! ^ mask[i]!;
  return timingSafeEqual(sha256(stage1), stage2);
}
