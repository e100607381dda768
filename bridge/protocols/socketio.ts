// Runway's Socket.IO server: `info` once on connect, `query` in, `data` and `error` out to every socket of
// the model's namespace, whoever caused the output. Each `query` is a live frame (latest wins in the
// core): a frame dropped for a newer one sends nothing but its ack, `{error, dropped: true}`. Namespace
// `/` is the default model, `/models/<id>` one model. It listens on its own port (--socketio-port) and
// on the HTTP port. Translation only: the core validates, runs and publishes; this module maps
// namespaces to models and events to core calls.
import { createServer, type IncomingMessage } from 'node:http';
import type { CorsOptionsDelegate } from 'cors';
import { Server, type Namespace, type ServerOptions, type Socket } from 'socket.io';
import type { Values } from '../../web/contract/index.ts';
import type { FailureEvent, OutputEvent } from '../core/core.ts';
import { toBridgeError } from '../core/errors.ts';
import { toJson } from '../core/values.ts';
import { originRefusal, type Access } from '../access.ts';
import {
  connectionOptions, type ConnectionLimits, type ConnectionOptions, type HttpOffer, type Listener, type ListenerContext, type ListenerModule,
} from '../listener-module.ts';
import { listen, urlOf } from '../listener.ts';
import { addressedAs } from './addressed.ts';
import { answerUnclaimedUpgrades, capConnections, httpTimeouts } from './connections.ts';

const SOURCE = 'socketio';

/**
 * Packets one socket may have waiting to be sent (Engine.IO's write buffer): a client that polls or
 * reads keeps it near empty, one that does neither (a handshake left alone, a client that stopped
 * reading) is disconnected when a broadcast finds it past this, and the broadcast skips it.
 */
export const MAX_BUFFERED_PACKETS = 128;
/** How long a new Engine.IO session may take to show it is a client (poll, send, upgrade), at most. */
const HANDSHAKE_MS = 10_000;

/** Socket.IO's path, as Engine.IO matches it (a prefix of the request target). */
const isSocketIoPath = (req: IncomingMessage): boolean => (req.url ?? '').startsWith('/socket.io/');

/** The model a namespace serves: `/` → the default model (undefined), `/models/<id>` → id; else not ours. */
export function namespaceModel(name: string): { model: string | undefined } | undefined {
  if (name === '/') return { model: undefined };
  const m = /^\/models\/([^/]+)$/.exec(name);
  return m ? { model: m[1] } : undefined;
}

// Every server (own port, HTTP port) and every ack sends the same outputs: turn images into data URIs once.
const jsonCache = new WeakMap<Values, Values>();
function outputJson(outputs: Values): Values {
  let json = jsonCache.get(outputs);
  if (!json) jsonCache.set(outputs, (json = toJson(outputs)));
  return json;
}

/** Why a handshake is refused (Host or Origin), or undefined when it may go on. */
function refusal(access: Access, req: IncomingMessage): string | undefined {
  const { host, origin } = req.headers;
  if (!access.hostAllowed(host)) return `Host "${host}" is not allowed: use 127.0.0.1 or localhost (DNS rebinding protection)`;
  if (!access.originAllowed(origin)) return originRefusal(origin!);
  return undefined;
}

/** A handshake: no session yet (no `sid`), so `allowRequest` decides it; OPTIONS is its preflight. */
function isHandshake(req: IncomingMessage): boolean {
  return (req.method === 'GET' || req.method === 'OPTIONS') && !new URL(req.url ?? '/', 'http://x').searchParams.has('sid');
}

/**
 * CORS per request (socket.io hands `cors` to the `cors` package). socket.io-client 2.x polls with
 * `withCredentials`, so a browser reads a reply only if it names the origin and allows credentials (never
 * `*`): allowed origins get both. A refused origin gets them on its handshake only, whose answer is
 * `allowRequest`'s 403 naming --allow-origin, so that the page can read why; it never gets a session,
 * and a request with a `sid` from it gets no CORS headers.
 */
function corsFor(access: Access): CorsOptionsDelegate {
  return (req, callback) => {
    const { origin, host } = req.headers;
    const readable = origin !== undefined &&
      (access.originAllowed(origin) || (isHandshake(req as IncomingMessage) && access.hostAllowed(host)));
    callback(null, { origin: readable, credentials: readable, methods: ['GET', 'POST'] });
  };
}

/** `clients`: the server's Engine.IO sessions now, for the cap (--max-connections). */
function serverOptions(context: ListenerContext, own: ConnectionOptions, clients: () => number): Partial<ServerOptions> {
  const { access, log } = context;
  let full = false;
  return {
    // Runway's p5.js examples bundle socket.io-client 2.x (Engine.IO protocol 3).
    allowEIO3: true,
    maxHttpBufferSize: own.maxBytes,
    cors: corsFor(access),
    // Engine.IO's heartbeat keeps a client that only listens alive and closes one gone silent, within
    // --idle-timeout (its defaults, 25 s and 20 s, where that is longer).
    pingInterval: Math.min(25_000, own.idleMs / 2),
    pingTimeout: Math.min(20_000, own.idleMs / 2),
    // A session that never joins a namespace is closed this soon (45 s by default).
    connectTimeout: handshakeMs(own),
    // CORS only stops a browser from reading replies; WebSockets ignore it, so refuse the handshake itself.
    allowRequest: (req, callback) => {
      const why = refusal(access, req);
      if (why) {
        log.warn(`socketio: refused a connection from ${req.socket.remoteAddress}: ${why}`);
        return callback(why, false);
      }
      // Past the cap a new session is refused; the ones there stay. Logged once while full.
      if (clients() >= own.maxConnections) {
        if (!full) log.warn(`socketio: ${clients()} clients connected, the most allowed (--max-connections); refusing new ones`);
        full = true;
        return callback(`${own.maxConnections} Socket.IO clients are connected, the most allowed (--max-connections): retry later`, false);
      }
      full = false;
      callback(null, true);
    },
    // A namespace per model id that someone tried: drop it when its last socket leaves.
    cleanupEmptyChildNamespaces: true,
  };
}

// Within Engine.IO's own heartbeat (pingInterval + pingTimeout, at most --idle-timeout), whose close of
// a polling session that never polls waits 30 s for a poll; this one drops it at once.
const handshakeMs = (limits: ConnectionLimits) => Math.min(HANDSHAKE_MS, limits.idleMs / 2);

/**
 * Closes an Engine.IO session that, within `ms` of its handshake, neither sent a packet, nor took
 * what was waiting for it (a poll), nor upgraded: a handshake and nothing after it is no client (a
 * Socket.IO 2.x session joins `/` at its handshake, so connectTimeout does not reach it).
 */
function closeSilentSessions(io: Server, ms: number): void {
  // Before Socket.IO's own listener, so that this timer fires before its connectTimeout, whose close
  // would wait for a poll that never comes (30 s) where this one drops the session at once.
  io.engine.prependListener('connection', (raw: EngineSocket) => {
    const timer = setTimeout(() => raw.close(true), ms);
    const heard = () => clearTimeout(timer);
    for (const event of ['packet', 'drain', 'upgrade', 'close']) raw.once(event, heard);
  });
}

/** The engine's session under a Socket.IO socket, with what is waiting to be sent to it. */
interface EngineSocket {
  writeBuffer: unknown[];
  close(discard?: boolean): void;
  once(event: string, listener: () => void): unknown;
}
const engineOf = (socket: Socket) => socket.conn as unknown as EngineSocket;

/** Wires one Socket.IO server to the core; returns what undoes it. */
function serve(io: Server, context: ListenerContext): () => void {
  const { core, log } = context;
  // The live namespace of each model id that has had a socket (dynamic namespaces are made on demand).
  const modelNamespaces = new Map<string, Namespace>();

  const onConnection = (socket: Socket) => {
    const target = namespaceModel(socket.nsp.name);
    if (!target) {
      const models = core.models().map((m) => m.id).join(', ') || 'none yet';
      socket.emit('error', { error: `no namespace "${socket.nsp.name}": use "/" for the default model or "/models/<id>" (models: ${models})` });
      socket.disconnect();
      return;
    }
    const { model } = target;
    try {
      socket.emit('info', core.model(model).info);
    } catch (err) {
      socket.emit('error', { error: toBridgeError(err).message });
      // An unknown id stays unknown; the default namespace waits for a page to bring a model.
      if (model !== undefined) {
        socket.disconnect();
        return;
      }
    }
    if (model !== undefined) modelNamespaces.set(model, socket.nsp);
    log.info(`socketio: ${socket.id} connected to ${socket.nsp.name}`);
    core.clientChange('socketio', 1);
    // A socket that leaves gives up its frames still waiting or with the page: the page drops them.
    const gone = new AbortController();
    socket.on('disconnect', () => {
      core.clientChange('socketio', -1);
      gone.abort();
    });

    socket.on('query', (...args: unknown[]) => {
      const ack = typeof args[args.length - 1] === 'function' ? (args.pop() as (reply: unknown) => void) : undefined;
      let inputs = args[0];
      // Some clients send the input object as a JSON string; one that is no JSON goes on for the core to refuse.
      if (typeof inputs === 'string') {
        try { inputs = JSON.parse(inputs); } catch { /* left as it is */ }
      }
      // Each query is a live frame: the core answers this socket's newest and drops stale ones.
      core.query(model, inputs, { source: SOURCE, client: socket.id, latest: true, signal: gone.signal }).then(
        (outputs) => ack?.(outputJson(outputs)),
        (err) => {
          const error = toBridgeError(err);
          // A dropped frame: only its ack hears of it, marked so that a client can tell it from a failure.
          if (error.code === 'dropped') return ack?.({ error: error.message, dropped: true });
          // A query refused before the model is no failure event of the core: the asker alone hears of it.
          if (!core.isPublished(error)) socket.emit('error', { error: error.message });
          ack?.({ error: error.message });
        },
      );
    });
  };
  io.on('connection', onConnection);
  // Every other namespace is accepted so that a wrong one hears why, then is disconnected.
  io.of((_name, _auth, next) => next(null, true)).on('connection', onConnection);

  const namespacesOf = (model: string): Namespace[] => addressedAs(model, core.defaultModel)
    .map((id) => (id === undefined ? io.sockets : modelNamespaces.get(id)))
    .filter((n): n is Namespace => n !== undefined && n.sockets.size > 0);
  /**
   * Sends to every socket of the namespace but those that have not taken what was sent before (past
   * MAX_BUFFERED_PACKETS): they are disconnected, their buffer dropped, instead of growing with every
   * broadcast.
   */
  const broadcast = (nsp: Namespace, event: string, payload: unknown) => {
    const stuck: string[] = [];
    for (const socket of nsp.sockets.values()) {
      if (engineOf(socket).writeBuffer.length < MAX_BUFFERED_PACKETS) continue;
      stuck.push(socket.id);
      log.info(`socketio: ${socket.id} has ${MAX_BUFFERED_PACKETS} packets waiting, taking none; disconnecting it`);
      engineOf(socket).close(true);
    }
    (stuck.length ? nsp.except(stuck) : nsp).emit(event, payload);
  };
  const onOutput = ({ model, outputs }: OutputEvent) => {
    for (const nsp of namespacesOf(model)) broadcast(nsp, 'data', outputJson(outputs));
  };
  const onFailure = ({ model, error }: FailureEvent) => {
    for (const nsp of namespacesOf(model)) broadcast(nsp, 'error', { error: error.message });
  };
  core.on('output', onOutput);
  core.on('failure', onFailure);
  return () => {
    core.off('output', onOutput);
    core.off('failure', onFailure);
  };
}

export const socketIoListener: ListenerModule<ConnectionOptions, HttpOffer> = {
  name: 'socketio',
  portFlag: '--socketio-port',
  ownOptions: (o) => connectionOptions(o, o.socketioPort),
  start: startSocketIo,
};

async function startSocketIo(context: ListenerContext & HttpOffer, own: ConnectionOptions): Promise<Listener> {
  const { log } = context;
  // Its own port, as Runway's examples expect (they connect to http://localhost:3000).
  const ownServer = createServer(httpTimeouts(own.idleMs), (_req, res) => {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'this port serves Socket.IO only (path /socket.io/)' }));
  });
  // A polling client holds up to two connections (its poll and its sends).
  capConnections(ownServer, own.maxConnections * 2, 'socketio', log);
  // Upgrades elsewhere than Socket.IO's path are answered, not destroyed unanswered (destroyUpgrade).
  answerUnclaimedUpgrades(ownServer, [isSocketIoPath], 'Socket.IO only (path /socket.io/)');
  const ownIo: Server = new Server(ownServer, { ...serverOptions(context, own, () => ownIo.engine.clientsCount), destroyUpgrade: false });
  closeSilentSessions(ownIo, handshakeMs(own));
  const unserveOwn = serve(ownIo, context);
  let port: number;
  try {
    port = await listen(ownServer, own.host, own.port);
  } catch (err) {
    unserveOwn();
    await ownIo.close();
    throw err;
  }

  // The HTTP port too, beside the page and the relay: the relay's upgrades (/runtime) are not ours to
  // end, and the HTTP listener answers those nobody claims.
  context.claimUpgrades(isSocketIoPath);
  const httpIo: Server = new Server(context.httpServer, { ...serverOptions(context, own, () => httpIo.engine.clientsCount), destroyUpgrade: false });
  closeSilentSessions(httpIo, handshakeMs(own));
  const unserveHttp = serve(httpIo, context);

  return {
    url: urlOf('http', own.host, port),
    async close() {
      unserveOwn();
      unserveHttp();
      // Not httpIo.close(): that would close the HTTP server, which the HTTP listener closes itself.
      httpIo.disconnectSockets(true);
      httpIo.engine.close();
      const closing = ownIo.close();
      ownServer.closeAllConnections();
      await closing;
    },
  };
}
