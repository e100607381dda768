// Opening a port, the address the bridge prints for it, and the error when it cannot be had.
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

/** Why `flag`'s port could not be had, in the words the command line prints. */
export function listenError(err: unknown, flag: string, port: number): Error {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') return new Error(`${flag} ${port}: the port is already in use (pick another, or 0 for any free port)`);
  if (code === 'EACCES') return new Error(`${flag} ${port}: not allowed to listen on this port`);
  return err instanceof Error ? err : new Error(String(err));
}
