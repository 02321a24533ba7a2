// The head of a binlog file the relay holds from its middle (a start_gtid start): the FORMAT
// record that carries it (the file's FDE and the GTID state at the resume point), and the first
// bytes of the file on disk: the magic, the FDE, then one ignorable event over the bytes the relay
// never had, so mariadb-binlog and `binrelay inspect` can still read the file from its start.
import { buildEvent } from '../binlog/event-builder.js';
import { BINLOG_CHECKSUM_LEN } from '../binlog/event-checksum.js';
import { BINLOG_MAGIC, LOG_EVENT_HEADER_LEN, LOG_EVENT_IGNORABLE_F, readEventHeader } from '../binlog/event-header.js';
import { IGNORABLE_LOG_EVENT } from '../binlog/event-type.js';
import { eventsHaveChecksum, parseFormatDescription } from '../binlog/format-description.js';
import { BinlogEventReader } from '../binlog/event-reader.js';
import type { BinlogDir } from './binlog-dir.js';
import { fileStartGtids } from './executed-gtids.js';

/** A FORMAT record's bytes: the FDE (base64, as the relay keeps it), optionally followed by the
 *  dump's GTID_LIST at the resume point (the GTID state there, as text). */
export function readFormatRecord(bytes: Uint8Array): { fde: string; gtids: string | null } {
  const fdeSize = readEventHeader(bytes).eventSize;
  const fde = Buffer.from(bytes.subarray(0, fdeSize)).toString('base64');
  if (bytes.length <= fdeSize) return { fde, gtids: null };
  const [list] = new BinlogEventReader({ expectMagic: false, format: parseFormatDescription(bytes.subarray(0, fdeSize)) }).feed(bytes.subarray(fdeSize));
  return { fde, gtids: list ? fileStartGtids(list) : null };
}

/** Creates (or empties) `name` in `dir` and writes its head up to `firstPos`; `fde` is the file's
 *  FORMAT_DESCRIPTION when the relay holds it from its middle. */
export function writeFileHead(dir: BinlogDir, name: string, firstPos: number, fde: Buffer | null): void {
  dir.truncate(name, 0);
  dir.write(name, 0, BINLOG_MAGIC);
  if (firstPos <= 4 || !fde) return;
  dir.write(name, 4, fde);
  const gap = firstPos - 4 - fde.length;
  const checksum = eventsHaveChecksum(parseFormatDescription(fde));
  const overhead = LOG_EVENT_HEADER_LEN + (checksum ? BINLOG_CHECKSUM_LEN : 0);
  if (gap < overhead) return;
  const filler = buildEvent({
    type: IGNORABLE_LOG_EVENT, serverId: readEventHeader(fde).serverId, body: Buffer.alloc(gap - overhead), checksum, logPos: firstPos, flags: LOG_EVENT_IGNORABLE_F,
  });
  dir.write(name, 4 + fde.length, filler);
}
