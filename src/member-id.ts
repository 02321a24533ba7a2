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
