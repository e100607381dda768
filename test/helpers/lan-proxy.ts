// Another machine on the LAN, simulated on loopback alone: an HTTP proxy listening on 127.0.0.2 that a
// Chromium started with `--proxy-server` sends everything through. The browser believes it opened the
// bridge at a LAN address (`http://192.0.2.10:PORT`: TEST-NET-1, never routed), so its page has that
// non-loopback origin and is no secure context, as on another machine; the proxy delivers each request
// and WebSocket (CONNECT) to the bridge on 127.0.0.1 from the address 127.0.0.2. No real network.
import { createServer, request, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';

export const LAN_ADDRESS = '192.0.2.10';
export const FROM = '127.0.0.2';

export interface LanProxy {
  /** `--proxy-server=…` for Chromium. */
  proxyArg: string;
  /** Requests and tunnels it carried, as `METHOD host path`. */
  seen: string[];
  close(): Promise<void>;
}

export async function lanProxy(bridgePort: number): Promise<LanProxy> {
  const seen: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
    // Only the simulated bridge address: nothing else the browser asks for leaves (or reaches the bridge).
    if (url.host !== `${LAN_ADDRESS}:${bridgePort}`) { res.writeHead(403).end(); return; }
    seen.push(`${req.method} ${url.host} ${url.pathname}`);
    const out = request({ host: '127.0.0.1', port: bridgePort, localAddress: FROM, method: req.method, path: `${url.pathname}${url.search}`, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    out.on('error', () => res.destroy());
    req.pipe(out);
  });
  server.on('connect', (req, client: Socket, head: Buffer) => {
    if (req.url !== `${LAN_ADDRESS}:${bridgePort}`) { client.end('HTTP/1.1 403 Forbidden\r\n\r\n'); return; }
    seen.push(`CONNECT ${req.url}`);
    const upstream = connect({ host: '127.0.0.1', port: bridgePort, localAddress: FROM }, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => { client.destroy(); upstream.destroy(); });
    }
  });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((resolve) => server.listen(0, FROM, resolve));
  const { port } = server.address() as { port: number };
  return {
    proxyArg: `--proxy-server=http://${FROM}:${port}`,
    seen,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}
