// Raft node ids derived from member names, so every node computes the same id for the same name
// without coordination (FNV-1a, 32 bits; 0 is reserved for "none" in raft).
export function memberIdOf(name: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(name, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash === 0 ? 1 : hash;
}

/** What a member name may be: it is also part of log lines, URLs and the raft log. */
export const MEMBER_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** Two names of `names` that hash to the same 32-bit id (raft could not tell them apart), or
 *  undefined. Such a member is refused: rename it. */
export function memberIdCollision(names: Iterable<string>): { id: number; names: [string, string] } | undefined {
  const seen = new Map<number, string>();
  for (const name of names) {
    const id = memberIdOf(name);
    const other = seen.get(id);
    if (other !== undefined && other !== name) return { id, names: [other, name] };
    seen.set(id, name);
  }
  return undefined;
}
