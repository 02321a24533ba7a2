// The one line an operator reads when a node stops: an error's message followed by its causes'
// (a wrapper such as "Database failed to open" or "raft store write failed" says where, its cause
// says why: ENOSPC, EIO, a missing file). The structured log carries the whole chain in `err`;
// this is for stderr and a log line's `msg`. A cause already quoted by the text is not repeated.

/** How many causes deep the text follows a chain (a cycle must not loop). */
const MAX_CAUSES = 8;

export function errorChainText(err: unknown): string {
  let text = messageOf(err);
  let cause = err instanceof Error ? err.cause : undefined;
  for (let depth = 0; cause !== undefined && depth < MAX_CAUSES; depth++) {
    const message = messageOf(cause);
    if (message !== '' && !text.includes(message)) text += `: ${message}`;
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  return text;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
