// A TCP proxy that injects one fault into what the server sends back: it cuts the connection after
// the N-th response byte, or flips the bits of the N-th response byte. Offsets count every byte the
// server sends through the proxy (HTTP headers included), over all connections; each fault fires
// once, so the client's next attempt goes through clean.
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';

export interface FaultPlan {
  /** Destroy the connection once this many response bytes have been forwarded. */
  cutAfterResponseBytes?: number;
  /** XOR 0xff into the response byte at this offset. */
  flipResponseByteAt?: number;
}

export interface FaultProxy {
  baseUrl: string;
  /** Connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

export async function startFaultProxy(targetPort: number, plan: FaultPlan): Promise<FaultProxy> {
  let forwarded = 0;
  const cutAt = plan.cutAfterResponseBytes ?? -1;
  const flipAt = plan.flipResponseByteAt ?? -1;
  let cutPending = cutAt >= 0;
  let flipPending = flipAt >= 0;
  let accepted = 0;
  const sockets = new Set<Socket>();

  const server = createServer((client) => {
    accepted += 1;
    const upstream = connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      const start = forwarded;
      let out = chunk;
      if (flipPending && flipAt >= start && flipAt < start + chunk.length) {
        out = Buffer.from(chunk);
        out[flipAt - start] ^= 0xff;
        flipPending = false;
      }
      if (cutPending && start + chunk.length >= cutAt) {
        cutPending = false;
        const keep = cutAt - start;
        forwarded += keep;
        client.write(out.subarray(0, keep), () => {
          client.destroy();
          upstream.destroy();
        });
        upstream.pause();
        return;
      }
      forwarded += chunk.length;
      // Forward back-pressure so the proxy never buffers the whole file.
      if (!client.write(out)) {
        upstream.pause();
        client.once('drain', () => upstream.resume());
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    connections: () => accepted,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
