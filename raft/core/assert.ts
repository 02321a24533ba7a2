// Invariant checks. A failed assertion is a bug: it throws RaftInvariantError, which nothing in
// the core catches (assertions turn correctness bugs into crashes, which are liveness bugs).
import { RaftInvariantError } from './errors.js';

export function assert(condition: boolean, message: string | (() => string)): asserts condition {
  if (!condition) {
    throw new RaftInvariantError(typeof message === 'string' ? message : message());
  }
}

export function unreachable(what: never | string): never {
  throw new RaftInvariantError(`unreachable: ${String(what)}`);
}
