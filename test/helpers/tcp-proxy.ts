// A TCP proxy the test controls, standing in for the network between tripwire and what it talks to: closed, it
// refuses connections (the far side is down); cut() drops the connections it carries (a restart or a blip).
import net from 'node:net';
import { freePort } from './ports';

export interface TcpProxy {
  /** host:port to connect to instead of the target. */
  readonly address: string;
  /** Connections carried now (each side counted). */
  readonly connections: number;
  /** Starts accepting and forwarding connections. */
  open(): Promise<void>;
  /** Drops every connection carried now; new ones are still accepted. */
  cut(): void;
  close(): void;
}

/** Returns a proxy to `target` (host:port), accepting connections at once unless `closed`. */
export async function tcpProxy(target: string, { closed = false } = {}): Promise<TcpProxy> {
  const port = await freePort();
  const [host, targetPort] = target.replace(/^https?:\/\//, '').split(':') as [string, string];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(targetPort), host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    }
    client.pipe(upstream).pipe(client);
  });
  const cut = () => {
    for (const socket of sockets) socket.destroy();
  };
  const proxy: TcpProxy = {
    address: `127.0.0.1:${port}`,
    get connections() {
      return sockets.size;
    },
    open: () => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve)),
    cut,
    close: () => {
      server.close();
      cut();
    },
  };
  if (!closed) await proxy.open();
  return proxy;
}
