// Small builders for raft core unit tests.
import { MemoryLogStorage } from '../../../../raft/core/log-storage.js';
import { makeMessage, type MessageFields } from '../../../../raft/core/message.js';
import { RawNode } from '../../../../raft/core/raw-node.js';
import type { Message } from '../../../../raft/core/types.js';
import { defaultConfig, type NetOptions } from './network.js';
import type { Entry, SnapshotMeta } from '../../../../raft/core/types.js';

/** Entries with the given terms, starting at index `from` (default 1). */
export function ents(terms: readonly number[], from = 1): Entry[] {
  return terms.map((term, i) => ({ index: from + i, term, type: 'normal', data: new Uint8Array(0) }));
}

/** One entry with `bytes` payload bytes. */
export function entry(index: number, term: number, bytes = 0): Entry {
  return { index, term, type: 'normal', data: new Uint8Array(bytes) };
}

export function snap(index: number, term: number, voters: number[] = [1, 2, 3], learners: number[] = []): SnapshotMeta {
  return { index, term, confState: { voters, learners }, data: new Uint8Array(0) };
}

/** "index/term" pairs, for compact assertions. */
export function it(entries: readonly Entry[]): string[] {
  return entries.map((e) => `${e.index}/${e.term}`);
}

// ---- standalone nodes, driven message by message (paper tests) --------------------------------


export interface Solo {
  readonly node: RawNode;
  readonly storage: MemoryLogStorage;
}

/** One node of a `voters` cluster, with a log of the given terms and a hard state term. */
export function solo(id: number, voters: number[], terms: number[] = [], term = 0, opts: NetOptions = {}): Solo {
  const storage = MemoryLogStorage.bootstrap(voters);
  storage.append(ents(terms));
  storage.setHardState({ term, vote: 0, commit: 0 });
  return { node: new RawNode(defaultConfig(id, opts), storage), storage };
}

/** Handles every pending Ready (persisting it) and returns the messages it sent. */
export function drain(s: Solo): Message[] {
  const out: Message[] = [];
  while (s.node.hasReady()) {
    const rd = s.node.ready();
    if (rd.snapshot !== null) s.storage.applySnapshot(rd.snapshot);
    s.storage.append(rd.entries);
    if (rd.hardState !== null) s.storage.setHardState(rd.hardState);
    out.push(...rd.messages, ...rd.messagesAfterPersist);
    s.node.advance(rd);
  }
  return out;
}

export function msg(fields: MessageFields): Message {
  return makeMessage(fields);
}
