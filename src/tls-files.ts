// Certificates and keys named in the config (`binlog-server.tls`, `admin-tls`): PEM files read at
// the moment a listener starts, so a renewed certificate takes effect at the next (re)start. A
// missing or unreadable file is an error naming the config key, never a silent plaintext fallback.
import { readFileSync } from 'node:fs';

/** File paths of a PEM certificate (chain), its private key and, optionally, a CA bundle. */
export interface TlsFiles {
  cert: string;
  key: string;
  ca?: string;
}

/** The files' contents, as node:tls and node:https take them. */
export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  ca?: Buffer;
}

export class TlsFilesError extends Error {
  readonly code = 'TLS_FILES_UNREADABLE';
  /** `key` is the config key of the file (e.g. 'admin-tls.cert'), `detail` what went wrong. */
  constructor(readonly key: string, readonly detail: string) {
    super(`${key}: ${detail}`);
  }
}

/** Reads `files`; `key` names the config section in the error (e.g. 'binlog-server.tls'). */
export function readTlsFiles(files: TlsFiles, key: string): TlsMaterial {
  const read = (field: keyof TlsFiles, path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new TlsFilesError(`${key}.${field}`, `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };
  const material: TlsMaterial = { cert: read('cert', files.cert), key: read('key', files.key) };
  if (files.ca) material.ca = read('ca', files.ca);
  return material;
}
