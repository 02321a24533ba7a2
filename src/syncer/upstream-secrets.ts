// The upstream's password and TLS material, resolved on the node that connects, when it connects.
// Settings travel in the raft log to every node (so a new leader resumes the syncer), so what can
// be given by reference is: `mysql_password_file` and `mysql_tls.{ca,cert,key}` are file paths,
// read by the leader's syncer at each connect. The raft log then holds paths, not secrets, and a
// rotated password or certificate is picked up at the next reconnect. Every node needs the files
// at the same paths (a mounted secret).
import { readFile } from 'node:fs/promises';
import type { SslOptions } from 'mysql2';

/** The settings' fields this file reads (syncer-settings.ts). */
export interface UpstreamSecretSettings {
  mysql_password?: string | undefined;
  mysql_password_file?: string | undefined;
  mysql_tls?: UpstreamTls | undefined;
}

/** mysql_tls: PEM file paths; `verify` checks the upstream's certificate chain and host name. */
export interface UpstreamTls {
  ca?: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
  verify: boolean;
}

/** What UpstreamSession.open resolves: a password or the file holding it, and TLS. */
export interface UpstreamSecretRefs {
  password: string;
  passwordFile?: string | undefined;
  tls?: UpstreamTls | undefined;
}

export class UpstreamSecretError extends Error {
  readonly code = 'UPSTREAM_SECRET_UNREADABLE';
}

/** The part of UpstreamSession.open's options that comes from the syncer settings. */
export function upstreamSecretRefs(settings: UpstreamSecretSettings): UpstreamSecretRefs {
  return { password: settings.mysql_password ?? '', passwordFile: settings.mysql_password_file, tls: settings.mysql_tls };
}

async function readSecret(field: string, path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new UpstreamSecretError(`${field}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** The password (the file's content without its final line break) and mysql2's `ssl` option. */
export async function resolveUpstreamSecrets(refs: UpstreamSecretRefs): Promise<{ password: string; ssl: SslOptions | undefined }> {
  const password = refs.passwordFile
    ? (await readSecret('mysql_password_file', refs.passwordFile)).toString('utf8').replace(/\r?\n$/, '')
    : refs.password;
  if (!refs.tls) return { password, ssl: undefined };
  const { ca, cert, key, verify } = refs.tls;
  const ssl: SslOptions = { rejectUnauthorized: verify };
  if (ca) ssl.ca = await readSecret('mysql_tls.ca', ca);
  if (cert) ssl.cert = await readSecret('mysql_tls.cert', cert);
  if (key) ssl.key = await readSecret('mysql_tls.key', key);
  return { password, ssl };
}

const ER_ACCESS_DENIED_ERROR = 1045;

/** A 1045 over plaintext may be an account that REQUIRE SSL or require_secure_transport (MariaDB
 *  gives them the same answer as a wrong password): say which setting would help. */
export function explainPlaintextRefusal(err: unknown, refs: UpstreamSecretRefs): unknown {
  if (refs.tls || !(err instanceof Error) || (err as { errno?: unknown }).errno !== ER_ACCESS_DENIED_ERROR) return err;
  err.message += ' (over plaintext: if the account is REQUIRE SSL or the upstream has require_secure_transport, set mysql_tls)';
  return err;
}
