// A WebSocket listener on a port of its own, with the checks every such protocol needs: the Host
// header (DNS rebinding) and the Origin (foreign web pages) on each upgrade, a message size limit, and
// the limits on connections (connections.ts: a cap, idle ones closed, pings).
import { createServer } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ConnectionOptions, Listener, ListenerContext } from '../listener-module.ts';
import { listen, urlOf } from '../listener.ts';
import { capConnections, heartbeat, httpTimeouts } from './connections.ts';

export interface WebSocketListener extends Listener {
  wss: WebSocketServer;
}

/**
 * Listens on `own.host:own.port`; every accepted socket goes to `onClient`. `name` is the protocol's
 * name for logs and for the plain-HTTP answer, which says what this port is. `programs`: its clients
 * run programs, so browser pages need --allow-program-origin, not --allow-origin (bridge/access.ts).
 */
export async function listenWebSocket(context: ListenerContext, own: ConnectionOptions, name: string, hint: string, maxPayload: number,
  onClient: (ws: WebSocket) => void, programs = false): Promise<WebSocketListener> {
  const { access, log } = context;
  const server = createServer(httpTimeouts(own.idleMs), (_req, res) => {
    res.writeHead(426, { 'content-type': 'application/json', upgrade: 'websocket' });
    res.end(JSON.stringify({ error: `this is the ${name} WebSocket: ${hint}` }));
  });
  capConnections(server, own.maxConnections, name, log);
  const wss = new WebSocketServer({ noServer: true, maxPayload, perMessageDeflate: false });
  const stopHeartbeat = heartbeat(wss, own.idleMs);
  server.on('upgrade', (req, socket, head) => {
    const refuse = (why: string) => {
      log.warn(`${name}: refused a connection from ${req.socket.remoteAddress} (origin ${req.headers.origin ?? 'none'}): ${why}`);
      socket.end(`HTTP/1.1 403 ${why}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    socket.on('error', () => {});
    if (!access.hostAllowed(req.headers.host)) return refuse('Host not allowed');
    if (programs && !access.programOriginAllowed(req.headers.origin)) return refuse('Origin not allowed to run programs');
    if (!access.originAllowed(req.headers.origin)) return refuse('Origin not allowed');
    wss.handleUpgrade(req, socket, head, onClient);
  });
  const port = await listen(server, own.host, own.port);
  return {
    url: urlOf('ws', own.host, port),
    wss,
    async close() {
      stopHeartbeat();
      for (const ws of wss.clients) ws.close(1001, 'bridge shutting down');
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}
