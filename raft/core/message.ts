// Message construction: every field of the flat Message shape gets its zero value unless given.
import type { Message, MessageType } from './types.js';

export const EMPTY_BYTES = new Uint8Array(0);

export type MessageFields = Partial<Message> & { readonly type: MessageType };

export function makeMessage(fields: MessageFields): Message {
  return {
    from: 0,
    to: 0,
    term: 0,
    logTerm: 0,
    index: 0,
    entries: [],
    commit: 0,
    reject: false,
    rejectHint: 0,
    snapshot: null,
    context: EMPTY_BYTES,
    ...fields,
  };
}

/** Types the driver must never step in from outside: they are generated locally. */
export function isLocalMessageType(type: MessageType): boolean {
  return type === 'hup' || type === 'beat' || type === 'prop' || type === 'unreachable' || type === 'snapStatus';
}

/** Answers: ignored when they come from a node that is not a member. */
export function isResponseType(type: MessageType): boolean {
  return type === 'appResp' || type === 'voteResp' || type === 'preVoteResp' || type === 'heartbeatResp';
}

/** Messages that promise durable state (a vote, a term, appended entries): the driver sends
 *  them only after the Ready's write is durable. */
export function mustSendAfterPersist(type: MessageType): boolean {
  return type === 'appResp' || type === 'vote' || type === 'voteResp' || type === 'preVoteResp';
}

/** The context of a vote request sent on a leader's behalf (timeoutNow): voters grant it even
 *  while they still hear from the current leader. */
export const TRANSFER_CONTEXT: Uint8Array = Uint8Array.of(0x74, 0x72, 0x61, 0x6e, 0x73, 0x66, 0x65, 0x72); // "transfer"

export function isTransferContext(ctx: Uint8Array): boolean {
  if (ctx.length !== TRANSFER_CONTEXT.length) return false;
  for (let i = 0; i < ctx.length; i++) if (ctx[i] !== TRANSFER_CONTEXT[i]) return false;
  return true;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
