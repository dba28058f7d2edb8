// A TCP link to the chain that a test can cut and restore: what a role sees when its node goes away.
import { connect as tcpConnect, createServer, type AddressInfo, type Server, type Socket } from "node:net";

export interface ChainProxy {
  url: string;
  /** Drops every connection and resets new ones until resumed. */
  pause(): void;
  resume(): void;
  close(): Promise<void>;
}

export async function startChainProxy(target: URL): Promise<ChainProxy> {
  let paused = false;
  const open = new Set<Socket>();
  const server: Server = createServer((downstream) => {
    if (paused) {
      downstream.resetAndDestroy();
      return;
    }
    const upstream = tcpConnect({ host: target.hostname, port: Number(target.port) });
    open.add(downstream);
    open.add(upstream);
    const drop = () => {
      downstream.destroy();
      upstream.destroy();
      open.delete(downstream);
      open.delete(upstream);
    };
    downstream.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
    downstream.pipe(upstream);
    upstream.pipe(downstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    pause: () => {
      paused = true;
      for (const socket of open) socket.resetAndDestroy();
      open.clear();
    },
    resume: () => {
      paused = false;
    },
    close: async () => {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

