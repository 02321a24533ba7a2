// What a server keeps of an account's password: for each auth plugin, exactly the hash that
// plugin's verification needs, never the password. mysql_native_password verifies against
// SHA1(SHA1(pw)) (what mysql.user holds), caching_sha2_password's fast path against
// SHA256(SHA256(pw)). Both are unsalted, so they must stay as private as the password for this
// protocol (a client can log in with them), but they do not reveal the password itself, which
// operators reuse elsewhere.
import { cachingSha2Hash } from './auth-caching-sha2.js';
import { nativePasswordHash } from './auth-native-password.js';

export interface PasswordHashes {
  mysqlNativePassword: Buffer;
  cachingSha2Password: Buffer;
}

/** The stored form of `password`: hex, as it goes into a JSON record. */
export interface StoredPasswordHashes {
  mysql_native_password: string;
  caching_sha2_password: string;
}

export function passwordHashes(password: string): PasswordHashes {
  return { mysqlNativePassword: nativePasswordHash(password), cachingSha2Password: cachingSha2Hash(password) };
}

/** True for the hashes of the empty password (what an account without a password has). */
export function isEmptyPassword(hashes: PasswordHashes): boolean {
  return hashes.mysqlNativePassword.length === 0 && hashes.cachingSha2Password.length === 0;
}

export function storePasswordHashes(hashes: PasswordHashes): StoredPasswordHashes {
  return {
    mysql_native_password: hashes.mysqlNativePassword.toString('hex'),
    caching_sha2_password: hashes.cachingSha2Password.toString('hex'),
  };
}

/** The hashes of a stored record, or null when it is not one (a missing or malformed field). */
export function loadPasswordHashes(stored: unknown): PasswordHashes | null {
  if (typeof stored !== 'object' || stored === null) return null;
  const { mysql_native_password: native, caching_sha2_password: sha2 } = stored as Record<string, unknown>;
  const hex = (v: unknown, length: number): v is string => typeof v === 'string' && (v.length === 0 || v.length === length) && /^[0-9a-f]*$/.test(v);
  if (!hex(native, 40) || !hex(sha2, 64)) return null;
  return { mysqlNativePassword: Buffer.from(native, 'hex'), cachingSha2Password: Buffer.from(sha2, 'hex') };
}
