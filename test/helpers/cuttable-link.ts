// A TCP forwarder in front of one listening address, which a test can cut and heal: cut, it
// drops every connection through it and every new one at once (a peer's packets no longer
// arrive); healed, it forwards again. Put in front of a node's peer address, it cuts what the
// other members send that node, while what the node sends them still goes through.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { parseHostPort } from '../../src/host-port.js';

export class CuttableLink {
  readonly #sockets = new Set<Socket>();
  #cut = false;

  private constructor(private readonly server: Server) {}

  /** Listens on `listen` ("127.0.0.1:port") and forwards each connection to `target`. */
  static async open(listen: string, target: string): Promise<CuttableLink> {
    const at = parseHostPort(listen);
    const to = parseHostPort(target, { connectable: true });
    if (!at || !to) throw new Error(`bad address: ${listen} → ${target}`);
    let link: CuttableLink | null = null;
    const server = createServer((inbound) => {
      if (link === null || link.#cut) {
        inbound.destroy();
        return;
      }
      const outbound = connect(to.port, to.host);
      link.#track(inbound);
      link.#track(outbound);
      inbound.pipe(outbound);
      outbound.pipe(inbound);
      const end = (): void => {
        inbound.destroy();
        outbound.destroy();
      };
      inbound.once('close', end).on('error', end);
      outbound.once('close', end).on('error', end);
    });
    link = new CuttableLink(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(at.port, at.host, () => resolve());
    });
    return link;
  }

  /** Drops every connection through the link, and each new one until heal(). */
  cut(): void {
    this.#cut = true;
    for (const s of this.#sockets) s.destroy();
  }

  heal(): void {
    this.#cut = false;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  #track(socket: Socket): void {
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
  }
}
