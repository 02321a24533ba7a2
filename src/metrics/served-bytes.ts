// Bytes the binlog server sent to its clients (replicas, mariadb-binlog), on the wire: the
// sockets' own byte counts, summed over open connections at each scrape and kept for closed ones,
// so a long dump shows up while it runs and nothing is counted per write.
import type { Socket } from 'node:net';

export class ServedBytes {
  readonly #open = new Set<Socket>();
  #closed = 0;

  /** Counts `socket` from now until it closes. */
  track(socket: Socket): void {
    this.#open.add(socket);
    socket.once('close', () => {
      this.#open.delete(socket);
      this.#closed += socket.bytesWritten;
    });
  }

  get total(): number {
    let sum = this.#closed;
    for (const socket of this.#open) sum += socket.bytesWritten;
    return sum;
  }
}
