// How far each connected replica is behind this node's relay log: in bytes (what is still to be
// sent, from its position to the end of the relay), and in seconds (how old the oldest event it
// has not received is, by the event's header timestamp; 0 when it has everything). A replica whose
// position is unknown (not dumping, or in a file this node no longer holds) has no figure.
import { closeSync, openSync, readSync } from 'node:fs';

export interface ReplicaPosition {
  server_id: number;
  file: string | null;
  position: number | null;
}

export interface HeldFile {
  name: string;
  firstPos: number;
  endPos: number;
}

export interface ReplicaLag {
  serverId: number;
  bytes: number;
  seconds: number;
}

/** Header timestamp (seconds) of the event at `pos` in binlog file `name`, or null. */
export type EventTimeAt = (name: string, pos: number) => number | null;

/** One figure per server_id (several sessions with one id, e.g. mariadb-binlog's 0: the worst). */
export function replicaLags(replicas: readonly ReplicaPosition[], files: readonly HeldFile[], eventTimeAt: EventTimeAt, nowSeconds: number): ReplicaLag[] {
  const byId = new Map<number, ReplicaLag>();
  for (const r of replicas) {
    if (r.file === null || r.position === null) continue;
    const at = files.findIndex((f) => f.name === r.file);
    if (at < 0) continue;
    let bytes = Math.max(0, files[at]!.endPos - r.position);
    for (const f of files.slice(at + 1)) bytes += f.endPos - f.firstPos;
    let seconds = 0;
    if (bytes > 0) {
      const behind = r.position < files[at]!.endPos ? { name: r.file, pos: r.position } : nextStart(files, at);
      const time = behind ? eventTimeAt(behind.name, behind.pos) : null;
      seconds = time === null ? NaN : Math.max(0, nowSeconds - time);
    }
    const seen = byId.get(r.server_id);
    if (!seen || bytes > seen.bytes) byId.set(r.server_id, { serverId: r.server_id, bytes, seconds });
  }
  return [...byId.values()];
}

function nextStart(files: readonly HeldFile[], at: number): { name: string; pos: number } | null {
  const next = files.slice(at + 1).find((f) => f.endPos > f.firstPos);
  return next ? { name: next.name, pos: next.firstPos } : null;
}

/** Reads the 4-byte timestamp that starts every binlog event header. */
export function eventTimeReader(pathOf: (name: string) => string): EventTimeAt {
  const header = Buffer.alloc(4);
  return (name, pos) => {
    let fd: number | undefined;
    try {
      fd = openSync(pathOf(name), 'r');
      return readSync(fd, header, 0, 4, pos) === 4 ? header.readUInt32LE(0) : null;
    } catch {
      return null;
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  };
}
