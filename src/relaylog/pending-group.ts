// The relay's pending group: pieces of a transaction (or a batch) applied and written past the
// file's served end, whose end has not come yet. It reads its own bytes as they are applied,
// collecting what publishing needs: the GTIDs it executes, the newest event time, and the events
// that change the file's record (FDE, GTID state, ROTATE). After a restart it is read back from
// the file (the checkpoint holds only where it starts and ends).
import { BinlogEventReader } from '../binlog/event-reader.js';
import type { BinlogEvent } from '../binlog/binlog-event.js';
import { LOG_EVENT_ARTIFICIAL_F } from '../binlog/event-header.js';
import { FORMAT_DESCRIPTION_EVENT, GTID_LIST_EVENT, PREVIOUS_GTIDS_LOG_EVENT, ROTATE_EVENT } from '../binlog/event-type.js';
import { parseFormatDescription, type FormatDescription } from '../binlog/format-description.js';
import type { BinlogDir } from './binlog-dir.js';
import type { ExecutedGtids } from './executed-gtids.js';
import { RelayCorruptError } from './relay-errors.js';
import type { PendingGroup } from './relay-files.js';

/** A group whose pieces are applied but whose end is not yet. */
export interface Pending extends PendingGroup {
  reader: BinlogEventReader;
  events: BinlogEvent[];
  gtids: string[];
  lastEventTime: number;
}

const READ_BACK_CHUNK = 1024 * 1024;

/** The FDE last parsed, and its base64: every group of a file starts with the same one, and
 *  decoding it again for each was a quarter of a small transaction's apply. */
let lastFormat: { fde: string; format: FormatDescription } | null = null;

function formatOf(fde: string): FormatDescription {
  if (lastFormat?.fde !== fde) lastFormat = { fde, format: parseFormatDescription(Buffer.from(fde, 'base64')) };
  return lastFormat.format;
}

/** A group starting at `file`:`startPos`, read with the file's FDE (base64) when known. */
export function startPending(file: string, startPos: number, firstIndex: number, fde: string | null): Pending {
  const format = fde ? formatOf(fde) : undefined;
  return {
    file, startPos, nextPos: startPos, firstIndex,
    // The syncer verified every CRC; the raft entries carry their own.
    reader: new BinlogEventReader({ expectMagic: false, startOffset: startPos, format, verifyChecksums: false }),
    events: [], gtids: [], lastEventTime: 0,
  };
}

/** Takes note of one event of the group (an artificial event must never be stored). */
export function notePendingEvent(p: Pending, event: BinlogEvent, executed: ExecutedGtids): void {
  const type = event.header.type;
  if (event.header.flags & LOG_EVENT_ARTIFICIAL_F) {
    throw new Error(`artificial event (type ${type}) at ${event.offset} must not be stored`);
  }
  if (event.header.timestamp > 0) p.lastEventTime = event.header.timestamp;
  const gtid = executed.gtidOf(event);
  if (gtid !== null) p.gtids.push(gtid);
  if (type === FORMAT_DESCRIPTION_EVENT || type === GTID_LIST_EVENT || type === PREVIOUS_GTIDS_LOG_EVENT || type === ROTATE_EVENT) {
    p.events.push({ ...event, bytes: Buffer.from(event.bytes) });
  }
}

/** The checkpointed pending `group`, rebuilt from its bytes in the file. */
export async function readPendingBack(dir: BinlogDir, group: PendingGroup, fde: string | null, executed: ExecutedGtids): Promise<Pending> {
  const p = startPending(group.file, group.startPos, group.firstIndex, fde);
  const handle = await dir.openReader(group.file);
  try {
    const buf = Buffer.allocUnsafe(READ_BACK_CHUNK);
    for (let at = group.startPos; at < group.nextPos;) {
      const { bytesRead } = await handle.read(buf, 0, Math.min(buf.length, group.nextPos - at), at);
      if (bytesRead <= 0) throw new RelayCorruptError(`binlog file ${group.file} ends at ${at}, before its pending group's end ${group.nextPos}`);
      for (const event of p.reader.feed(buf.subarray(0, bytesRead))) notePendingEvent(p, event, executed);
      at += bytesRead;
    }
  } finally {
    await handle.release();
  }
  p.nextPos = group.nextPos;
  return p;
}
