// What every listener that takes connections does about them: a cap (--max-connections) past which a
// new connection is closed at once, never an existing one; idle connections closed (--idle-timeout)
// without cutting one that is being answered; WebSocket peers pinged, so that a client that only
// listens stays and a dead or silent one goes; and an upgrade to a path nobody serves answered, not left
// hanging.
import type { IncomingMessage, Server as HttpServer, ServerOptions } from 'node:http';
import type { Server as NetServer } from 'node:net';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import type { Log } from '../log.ts';

/** A burst of refused connections ends after this long without one; the next refusal is logged again. */
const BURST_MS = 10_000;

/**
 * Caps `server` at `max` connections (Node closes each one past it as it is accepted), logging the
 * first refusal of a burst and, when the burst ends, how many it refused. Upgraded connections
 * (WebSockets on an HTTP server) count too.
 */
export function capConnections(server: NetServer, max: number, name: string, log: Log): void {
  server.maxConnections = max;
  let refused = 0;
  let quiet: NodeJS.Timeout | undefined;
  server.on('drop', () => {
    if (refused++ === 0) log.warn(`${name}: ${server.maxConnections} connections open, the most allowed (--max-connections); refusing new ones`);
    clearTimeout(quiet);
    quiet = setTimeout(() => {
      if (refused > 1) log.warn(`${name}: refused ${refused} connections while full (--max-connections)`);
      refused = 0;
    }, BURST_MS).unref();
  });
  server.once('close', () => clearTimeout(quiet));
}

/**
 * Node's HTTP timers, from --idle-timeout: a connection that sends no complete request head within it
 * (60 s at most, Node's own default) gets 408 and is closed, a request must have arrived whole within
 * it, and a keep-alive connection idle between requests is closed. None runs while an answer is being
 * made: a query waiting on its model is never cut (that is --timeout's business).
 */
export function httpTimeouts(idleMs: number): Pick<ServerOptions, 'headersTimeout' | 'requestTimeout' | 'keepAliveTimeout' | 'connectionsCheckingInterval'> {
  const headersTimeout = Math.min(idleMs, 60_000);
  return {
    headersTimeout,
    requestTimeout: Math.max(idleMs, headersTimeout),
    // Fastify's default, or less.
    keepAliveTimeout: Math.min(idleMs, 72_000),
    // How often Node looks for heads and requests past their time (30 s by default).
    connectionsCheckingInterval: Math.max(50, Math.min(30_000, Math.floor(headersTimeout / 4))),
  };
}

/**
 * Pings every client of `wss` each half of `idleMs`; one that sent nothing (no message, no pong) since
 * the ping before is closed. Every WebSocket client (browsers, `ws`, python websockets) answers pings
 * by itself, so a client that only listens stays. Returns what stops it.
 */
export function heartbeat(wss: WebSocketServer, idleMs: number): () => void {
  // Clients are found at each round (a server without its own port never emits 'connection').
  const watched = new WeakSet<WebSocket>();
  const heard = new WeakSet<WebSocket>();
  const timer = setInterval(() => {
    for (const ws of wss.clients) {
      if (!watched.has(ws)) {
        watched.add(ws);
        const hear = () => heard.add(ws);
        ws.on('message', hear);
        ws.on('pong', hear);
      } else if (!heard.has(ws)) {
        ws.terminate();
        continue;
      }
      heard.delete(ws);
      if (ws.readyState === ws.OPEN) ws.ping();
    }
  }, Math.max(25, idleMs / 2));
  timer.unref();
  return () => clearInterval(timer);
}

/** Answers an upgrade that no listener takes with `status` and a JSON `{"error"}`, and closes it. */
export function refuseUpgrade(socket: Duplex, status: number, reason: string, error: string): void {
  const body = JSON.stringify({ error });
  socket.on('error', () => {});
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

/**
 * Answers every upgrade of `server` that none of `claims` takes with 404, and closes it; the claimed
 * ones are left to their listeners. Registered before theirs, so it sees each upgrade first.
 */
export function answerUnclaimedUpgrades(server: HttpServer, claims: readonly ((req: IncomingMessage) => boolean)[], serves: string): void {
  server.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
    if (claims.some((claim) => claim(req))) return;
    refuseUpgrade(socket, 404, 'Not Found', `nothing to upgrade to at ${(req.url ?? '/').split('?')[0]}: this port serves ${serves}`);
  });
}
