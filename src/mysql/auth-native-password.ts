// mysql_native_password: the client proves it knows the password without sending it.
//   token = SHA1(password) XOR SHA1(scramble + SHA1(SHA1(password)))
// The server keeps SHA1(SHA1(password)) (the "stored hash"). To verify, it recovers
// SHA1(password) = token XOR SHA1(scramble + stored) and checks that hashing it gives stored.
// An empty password is sent as an empty token.

import { createHash, timingSafeEqual } from 'node:crypto';

export const MYSQL_NATIVE_PASSWORD = 'mysql_native_password';
const TOKEN_LENGTH = 20;

function sha1(...parts: Buffer[]): Buffer {
  const h = createHash('sha1');
  for (const p of parts) h.update(p);
  return h.digest();
}

/** SHA1(SHA1(password)): what mysql.user keeps (without the leading '*'); empty for ''. */
export function nativePasswordHash(password: string): Buffer {
  if (password === '') return Buffer.alloc(0);
  return sha1(sha1(Buffer.from(password, 'utf8')));
}

/** The client's token for `password` and a server scramble (for clients we write ourselves). */
export function scrambleNativePassword(password: string, scramble: Buffer): Buffer {
  if (password === '') return Buffer.alloc(0);
  const stage1 = sha1(Buffer.from(password, 'utf8'));
  const mask = sha1(scramble, sha1(stage1));
  for (let i = 0; i < stage1.length; i++) stage1[i] = stage1[i]! ^ mask[i]!;
  return stage1;
}

/**
 * True when `token` proves knowledge of the password whose stored hash is `storedHash`.
 * Compares in constant time; an empty stored hash accepts only an empty token.
 */
export function verifyNativePassword(token: Buffer, scramble: Buffer, storedHash: Buffer): boolean {
  if (storedHash.length === 0) return token.length === 0;
  if (token.length !== TOKEN_LENGTH || storedHash.length !== TOKEN_LENGTH) return false;
  const mask = sha1(scramble, storedHash);
  const stage1 = Buffer.allocUnsafe(TOKEN_LENGTH);
  for (let i = 0; i < TOKEN_LENGTH; i++) stage1[i] = token[i]! ^ mask[i]!;
  return timingSafeEqual(sha1(stage1), storedHash);
}
