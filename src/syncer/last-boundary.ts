// Where a binlog file still being written can be cut: right after its last event that ends a
// transaction or stands outside one. A file copied while the upstream wrote it may end inside a
// transaction or inside an event; the relay only takes whole transactions, so an import stops
// here and the syncer fetches the rest live. Found before importing, so that no piece of the cut
// transaction is ever proposed.
import { TransactionBoundaryTracker } from '../binlog/transaction-boundary.js';
import { BIN_LOG_HEADER_SIZE } from '../binlog/event-header.js';
import type { BinlogImportFile } from './binlog-import-files.js';
import { asImportError, dumpedFileEvents } from './dumped-file-events.js';

/** File offset just after the last complete transaction (BIN_LOG_HEADER_SIZE when none). */
export async function findLastBoundary(file: BinlogImportFile): Promise<number> {
  const tracker = new TransactionBoundaryTracker();
  let boundary = BIN_LOG_HEADER_SIZE;
  try {
    for await (const events of dumpedFileEvents(file, { tailMayBeCut: true })) {
      for (const event of events) {
        // Fed exactly as RecordBuilder feeds its own tracker, so both agree on every boundary.
        tracker.feed(event);
        if (!tracker.inTransaction) boundary = event.offset + event.bytes.length;
      }
    }
  } catch (err) {
    throw asImportError(err, file);
  }
  return boundary;
}
