// The clients this server knows as replicas: those that registered (COM_REGISTER_SLAVE) and
// those dumping. A session leaves when its connection closes (a replica's STOP SLAVE just
// closes TCP). A dump with the server_id (or, for MySQL, the replica UUID) of a running dump
// replaces it, as kill_zombie_dump_threads does; server_id 0 (a one-off mariadb-binlog) never
// replaces anything.
import type { RegisterSlaveRequest } from './dump-request.js';
import type { DumpStream } from './dump-stream.js';
import type { ProcessInfo, ReplicaHost } from './query-responder.js';

/** One replica as GET /binlog/server/status lists it (`slaves`). */
export interface ReplicaView {
  server_id: number;
  uuid: string | null;
  host: string;
  port: number;
  remote_addr: string;
  mode: 'gtid' | 'file';
  file: string | null;
  position: number | null;
  gtid: string | null;
  connected_at: string;
}

interface SessionEntry {
  connId: number;
  remoteHost: string;
  remotePort: number;
  connectedAt: Date;
  /** When the session's last statement ended (its Sleep time in SHOW PROCESSLIST). */
  idleSinceMs: number;
  registration: RegisterSlaveRequest | null;
  /** @replica_uuid / @slave_uuid when set. */
  uuid: string;
  /** GTID mode announced before the dump (MariaDB @slave_connect_state). */
  gtidMode: boolean;
  dump: DumpStream | null;
}

export class ReplicaRegistry {
  readonly #sessions = new Map<number, SessionEntry>();

  add(connId: number, remoteHost: string, remotePort: number, connectedAt: Date): void {
    this.#sessions.set(connId, {
      connId, remoteHost, remotePort, connectedAt, idleSinceMs: connectedAt.getTime(), registration: null, uuid: '', gtidMode: false, dump: null,
    });
  }

  remove(connId: number): void {
    this.#sessions.delete(connId);
  }

  register(connId: number, registration: RegisterSlaveRequest, uuid: string, gtidMode: boolean): void {
    const s = this.#sessions.get(connId);
    if (!s) return;
    s.registration = registration;
    s.uuid = uuid;
    s.gtidMode = gtidMode;
  }

  /** Records the session's dump; returns the running dumps it replaces. */
  dumpStarted(connId: number, dump: DumpStream, uuid: string, flavor: 'mariadb' | 'mysql'): DumpStream[] {
    const s = this.#sessions.get(connId);
    if (s) {
      s.dump = dump;
      s.uuid = uuid;
    }
    const replaced: DumpStream[] = [];
    for (const other of this.#sessions.values()) {
      if (other.connId === connId || !other.dump) continue;
      const sameUuid = flavor === 'mysql' && uuid !== '' && other.uuid === uuid;
      const sameId = dump.serverId !== 0 && other.dump.serverId === dump.serverId && (flavor === 'mariadb' || uuid === '');
      if (sameUuid || sameId) replaced.push(other.dump);
    }
    return replaced;
  }

  dumpEnded(connId: number, dump: DumpStream): void {
    const s = this.#sessions.get(connId);
    if (s && s.dump === dump) s.dump = null;
  }

  /** A statement of `connId` ended: it sleeps from now. */
  statementEnded(connId: number, atMs = Date.now()): void {
    const s = this.#sessions.get(connId);
    if (s) s.idleSinceMs = atMs;
  }

  /** SHOW PROCESSLIST: every logged-in session, oldest first, with what it is doing. */
  processes(): ProcessInfo[] {
    return [...this.#sessions.values()].map((s): ProcessInfo => {
      const host = `${s.remoteHost}:${s.remotePort}`;
      if (!s.dump) return { id: s.connId, host, command: 'Sleep', sinceMs: s.idleSinceMs, waiting: null };
      const { phase } = s.dump;
      const command = s.dump.request.command === 'binlog-dump-gtid' ? 'Binlog Dump GTID' : 'Binlog Dump';
      return { id: s.connId, host, command, sinceMs: s.dump.startedAtMs, waiting: phase.waiting };
    }).sort((a, b) => a.id - b.id);
  }

  dumpOf(connId: number): DumpStream | null {
    return this.#sessions.get(connId)?.dump ?? null;
  }

  dumps(): DumpStream[] {
    return [...this.#sessions.values()].flatMap((s) => (s.dump ? [s.dump] : []));
  }

  /** How many dumps are sending from `file` now. */
  dumpsReading(file: string): number {
    return this.dumps().filter((d) => d.file === file).length;
  }

  views(): ReplicaView[] {
    const out: ReplicaView[] = [];
    for (const s of this.#sessions.values()) {
      if (!s.registration && !s.dump) continue;
      const reg = s.registration;
      const dump = s.dump;
      out.push({
        server_id: dump?.serverId ?? reg!.serverId,
        uuid: s.uuid === '' ? null : s.uuid,
        host: reg?.host || s.remoteHost,
        port: reg?.port ?? 0,
        remote_addr: `${s.remoteHost}:${s.remotePort}`,
        mode: dump ? dump.mode : s.gtidMode ? 'gtid' : 'file',
        file: dump ? dump.file : null,
        position: dump ? dump.position : null,
        gtid: dump ? dump.gtid : null,
        connected_at: s.connectedAt.toISOString(),
      });
    }
    return out;
  }

  /** SHOW SLAVE HOSTS: registered replicas, one per server_id (the latest registration). */
  hosts(): ReplicaHost[] {
    const byId = new Map<number, ReplicaHost>();
    for (const s of this.#sessions.values()) {
      if (!s.registration) continue;
      byId.set(s.registration.serverId, { serverId: s.registration.serverId, host: s.registration.host, port: s.registration.port, uuid: s.uuid });
    }
    return [...byId.values()];
  }
}
