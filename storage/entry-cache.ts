// In-memory copies of log entries, so LogStorage.entries() can answer synchronously.
//
//   disk:    [first ............................................. last]
//   windows:        [w2....]   [w1......]                              (fetched, LRU, bounded)
//   tail:                                         [tailFirst ...... last] (recent, bounded)
//
// - The tail is one contiguous run ending at the store's last index. New entries are appended
//   to it; when it grows past its byte bound the oldest entries are evicted (one entry is always
//   kept, however large).
// - Windows hold ranges loaded by fetchEntries() (lagging followers, replay after a restart).
//   They are bounded in bytes together; the least recently used window goes first.
// - The cache never holds an entry that is not on disk with the same index and term: the store
//   truncates it whenever it replaces a suffix and trims it when it compacts a prefix.
import type { Entry } from '../raft/core/types.js';

/** Bytes an entry is charged in the cache: its payload plus an estimate of the object's own. */
export function cachedEntryBytes(e: Entry): number {
  return e.data.length + 64;
}

interface Segment {
  /** Entries, contiguous by index, live from `head`. */
  entries: Entry[];
  head: number;
  bytes: number;
}

function segFirst(s: Segment): number {
  return s.entries[s.head]!.index;
}

function segEnd(s: Segment): number {
  return s.entries[s.entries.length - 1]!.index + 1;
}

function segLength(s: Segment): number {
  return s.entries.length - s.head;
}

function segmentOf(entries: readonly Entry[]): Segment {
  let bytes = 0;
  for (const e of entries) bytes += cachedEntryBytes(e);
  return { entries: entries.slice(), head: 0, bytes };
}

/** Drops entries >= index from a segment; returns false when nothing is left. */
function cutFrom(s: Segment, index: number): boolean {
  while (segLength(s) > 0 && segEnd(s) > index) s.bytes -= cachedEntryBytes(s.entries.pop()!);
  return segLength(s) > 0;
}

/** Drops entries < index from a segment; returns false when nothing is left. */
function cutBefore(s: Segment, index: number): boolean {
  while (segLength(s) > 0 && segFirst(s) < index) dropHead(s);
  return segLength(s) > 0;
}

function dropHead(s: Segment): void {
  s.bytes -= cachedEntryBytes(s.entries[s.head]!);
  s.entries[s.head] = undefined as unknown as Entry; // release the payload now
  s.head++;
  if (s.head >= 1024 && s.head * 2 >= s.entries.length) {
    s.entries = s.entries.slice(s.head);
    s.head = 0;
  }
}

export interface EntryCacheStats {
  readonly tailEntries: number;
  readonly tailBytes: number;
  readonly windows: number;
  readonly windowBytes: number;
}

export class EntryCache {
  private tail: Segment | null = null;
  /** Least recently used first. */
  private windows: Segment[] = [];
  private windowBytes = 0;

  constructor(
    private readonly tailBytesMax: number,
    private readonly windowBytesMax: number,
  ) {}

  /** Appends entries that were just made durable. The caller has already truncated the cache
   *  from entries[0].index; if they do not continue the tail, they start a new one. */
  appendTail(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const tail = this.tail;
    if (tail === null || segLength(tail) === 0 || segEnd(tail) !== entries[0]!.index) {
      this.tail = segmentOf(entries);
    } else {
      for (const e of entries) {
        tail.entries.push(e);
        tail.bytes += cachedEntryBytes(e);
      }
    }
    const t = this.tail!;
    while (t.bytes > this.tailBytesMax && segLength(t) > 1) dropHead(t);
  }

  /** Adds a contiguous range read from disk. */
  addFetched(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const seg = segmentOf(entries);
    const first = segFirst(seg);
    const end = segEnd(seg);
    // A window fully inside the new one is redundant.
    this.setWindows(this.windows.filter((w) => segFirst(w) < first || segEnd(w) > end));
    this.windows.push(seg);
    this.windowBytes += seg.bytes;
    while (this.windowBytes > this.windowBytesMax && this.windows.length > 1) {
      this.windowBytes -= this.windows.shift()!.bytes;
    }
  }

  /** Forgets every cached entry >= index (its disk copy is being replaced). */
  truncateFrom(index: number): void {
    if (this.tail !== null && !cutFrom(this.tail, index)) this.tail = null;
    this.setWindows(this.windows.filter((w) => cutFrom(w, index)));
  }

  /** Forgets every cached entry < index (compacted away). */
  dropBefore(index: number): void {
    if (this.tail !== null && !cutBefore(this.tail, index)) this.tail = null;
    this.setWindows(this.windows.filter((w) => cutBefore(w, index)));
  }

  clear(): void {
    this.tail = null;
    this.setWindows([]);
  }

  private setWindows(windows: Segment[]): void {
    this.windows = windows;
    this.windowBytes = windows.reduce((n, w) => n + w.bytes, 0);
  }

  /** Whether entry `index` is cached. */
  has(index: number): boolean {
    return this.segmentHolding(index) !== null;
  }

  /**
   * Entries from lo, below hi, within maxBytes of payload (always at least one), stitched across
   * segments while they are contiguous. Null when lo itself is not cached. The result may stop
   * short of hi and maxBytes when the next entry is not cached: a caller treats a short result
   * like a size-limited one.
   */
  get(lo: number, hi: number, maxBytes: number): Entry[] | null {
    const out: Entry[] = [];
    let next = lo;
    let bytes = 0;
    while (next < hi) {
      const seg = this.segmentHolding(next);
      if (seg === null) break;
      for (let k = seg.head + (next - segFirst(seg)); k < seg.entries.length && next < hi; k++) {
        const e = seg.entries[k]!;
        bytes += e.data.length;
        if (out.length > 0 && bytes > maxBytes) return out;
        out.push(e);
        next++;
      }
    }
    return out.length === 0 ? null : out;
  }

  private segmentHolding(index: number): Segment | null {
    const t = this.tail;
    if (t !== null && segLength(t) > 0 && segFirst(t) <= index && index < segEnd(t)) return t;
    for (let k = this.windows.length - 1; k >= 0; k--) {
      const w = this.windows[k]!;
      if (segFirst(w) <= index && index < segEnd(w)) {
        if (k !== this.windows.length - 1) {
          this.windows.splice(k, 1);
          this.windows.push(w); // most recently used
        }
        return w;
      }
    }
    return null;
  }

  stats(): EntryCacheStats {
    return {
      tailEntries: this.tail === null ? 0 : segLength(this.tail),
      tailBytes: this.tail?.bytes ?? 0,
      windows: this.windows.length,
      windowBytes: this.windowBytes,
    };
  }
}
