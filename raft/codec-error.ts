// Typed errors of the raft binary codec (raft/codec.ts). Callers branch on `code`, never on the
// message text. A decode error means the bytes are corrupt or come from an incompatible version:
// storage treats it as disk corruption, the transport as a protocol violation (drop the peer).

export type CodecErrorCode =
  /** The input ended inside a field, or has bytes after the last field. */
  | 'ERR_RAFT_CODEC_TRUNCATED'
  /** A field holds an impossible value (unknown enum tag, unsafe integer, length beyond the input). */
  | 'ERR_RAFT_CODEC_CORRUPT'
  /** The leading version byte is not one this build reads. */
  | 'ERR_RAFT_CODEC_VERSION'
  /** A stored record's CRC32 does not match its bytes. */
  | 'ERR_RAFT_CODEC_CHECKSUM'
  /** A caller asked to encode a value the format cannot carry (negative or unsafe integer…). */
  | 'ERR_RAFT_CODEC_INVALID_ARGUMENT';

export class CodecError extends Error {
  readonly code: CodecErrorCode;

  constructor(code: CodecErrorCode, message: string) {
    super(message);
    this.name = 'CodecError';
    this.code = code;
  }
}

export function isCodecError(err: unknown): err is CodecError {
  return err instanceof CodecError;
}
