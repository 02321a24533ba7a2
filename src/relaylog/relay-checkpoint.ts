// The relay's state in LevelDB, written as records staged into the raft store's next batch, so
// the checkpoint, the applied index and the conf state always land together (one atomic batch):
//   0x05 0x03      head: JSON of RelayHead (small: GTID state, last file end, pending group…)
//   0x03 ‖ seq     one JSON record per file (name, FDE, start GTIDs…), rewritten only when the
//                  file changes other than growing; the newest file's end is in the head.
// So a checkpoint costs O(1) whatever the number of files.
import type { Db } from '../../storage/db.js';
import { relayFileKey, relayHeadKey, relayStateV1Key, tableRange, Table } from '../../storage/keys.js';
import { RelayCorruptError } from './relay-errors.js';
import { emptyRelayHead, type RelayFile, type RelayHead, type RelayState } from './relay-files.js';

export interface CheckpointWriter {
  stage(key: Buffer, value: Buffer | null): void;
}

/** Where the checkpoint goes: the raft store's staged writes, and a hook run once they are on disk. */
export interface RelayCheckpointSink extends CheckpointWriter {
  onceWritten(fn: () => void): void;
}

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

export function stageHead(w: CheckpointWriter, head: RelayHead): void {
  w.stage(relayHeadKey(), json(head));
}

export function stageFile(w: CheckpointWriter, file: RelayFile): void {
  w.stage(relayFileKey(file.seq), json(file));
}

export function stageFileRemoval(w: CheckpointWriter, seq: number): void {
  w.stage(relayFileKey(seq), null);
}

function parse<T>(raw: Buffer, what: string): T {
  try {
    return JSON.parse(raw.toString('utf8')) as T;
  } catch {
    throw new RelayCorruptError(`relay ${what} record does not decode`);
  }
}

/** Reads the relay state as of the last written checkpoint. */
export async function loadRelayState(db: Db): Promise<RelayState> {
  const raw = await db.get(relayHeadKey());
  if (raw === undefined) {
    if ((await db.get(relayStateV1Key())) !== undefined) {
      throw new RelayCorruptError('this data dir was written by binrelay storage v1 (binlog bytes in LevelDB); start from an empty data dir and re-sync, or import the binlog files');
    }
    return { head: emptyRelayHead(), files: [] };
  }
  const head = { ...emptyRelayHead(), ...parse<RelayHead>(raw, 'head') };
  const files: RelayFile[] = [];
  for (const [key, value] of await db.iterator(tableRange(Table.relayFiles)).all()) {
    if (key.length !== 5) continue;
    files.push(parse<RelayFile>(value, `file ${key.readUInt32BE(1)}`));
  }
  files.sort((a, b) => a.seq - b.seq);
  const last = files[files.length - 1];
  if (last) last.endPos = head.lastEnd;
  return { head, files };
}

/** A relay state as snapshot data (and back). */
export function encodeRelayState(state: RelayState): Uint8Array {
  return json(state);
}

export function decodeRelayState(data: Uint8Array): RelayState {
  if (data.length === 0) return { head: emptyRelayHead(), files: [] };
  const state = parse<RelayState>(Buffer.from(data.buffer, data.byteOffset, data.byteLength), 'snapshot');
  if (state.head?.version !== 2 || !Array.isArray(state.files)) throw new RelayCorruptError('snapshot data is not a relay state (version 2)');
  return { head: { ...emptyRelayHead(), ...state.head }, files: state.files };
}
