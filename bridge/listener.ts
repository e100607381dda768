// Opening a port, and the address the bridge prints for it.
import type { AddressInfo, Server } from 'node:net';

/**
 * The address a client writes for a listener on `host` (--host) and `port`: IPv6 in brackets, and a
 * wildcard (0.0.0.0, ::) as the loopback address, which reaches it from this machine.
 */
export function urlOf(scheme: string, host: string, port: number): string {
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `${scheme}://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}

/** Listens on `host:port`; resolves with the port it got (0 picks a free one). */
export function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
