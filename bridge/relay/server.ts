// The relay: the one WebSocket from each page to the bridge, at /runtime on the HTTP port (a listener
// that rides on the HTTP listener's server). It turns page messages into core calls (announce, settle,
// publish); core queries go out through each page's connection (page-connection.ts).
import { setMaxListeners } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { decodeFrames, encodeFrame, isErrorCode, type PageMessage } from '../../web/contract/index.ts';
import { BridgeError, toBridgeError } from '../core/errors.ts';
import type { HttpOffer, Listener, ListenerContext, ListenerModule } from '../listener-module.ts';
import { urlOf } from '../listener.ts';
import { sameOrigin } from '../access.ts';
import { heartbeat } from '../protocols/connections.ts';
import { feedActivity } from './activity.ts';
import { checkPageMessage } from './checks.ts';
import { PageConnection } from './page-connection.ts';
import { Pairing } from './pairing.ts';

/** The relay's address on the HTTP port (web/relay/client.ts connects there). */
const PATH = '/runtime';
/** The request's URL when it is for the relay (its pairing parameters are read from it), else undefined. */
function relayUrl(req: IncomingMessage): URL | undefined {
  // A request target that is no URL (`http://[`) is nobody's, not an exception in the upgrade listener.
  const url = URL.parse(req.url ?? '/', 'http://x');
  return url?.pathname === PATH ? url : undefined;
}

export interface RelayOptions {
  /** The interface the HTTP listener listens on (--host), for the relay's address. */
  host: string;
  /** The long-lived pairing token (--token-file, PAGEBRIDGE_TOKEN, or drawn at start): pairing.ts. */
  token: string;
  /** Largest relay message, in bytes (twice --max-body); each page is told it in its hello. */
  maxFrameBytes: number;
  /** A page that answers no ping for this long is gone (--idle-timeout; bridge/protocols/connections.ts). */
  idleMs: number;
}

/** What the relay offers the bridge: one-time pairing codes for the page's URL. */
export interface RelayOffer {
  pairing: Pairing;
}

export const relayListener: ListenerModule<RelayOptions, HttpOffer, RelayOffer> = {
  name: 'relay',
  ownOptions: (o) => ({ host: o.host, token: o.token, maxFrameBytes: o.maxBody * 2, idleMs: o.idleTimeout * 1000 }),
  start: startRelay,
};

async function startRelay(context: ListenerContext & HttpOffer, own: RelayOptions): Promise<Listener & RelayOffer> {
  const { core, access, log, listeners, httpServer, claimUpgrades } = context;
  const pairing = new Pairing(own.token, log);
  const wss = new WebSocketServer({ noServer: true, maxPayload: own.maxFrameBytes, perMessageDeflate: false });
  const stopHeartbeat = heartbeat(wss, own.idleMs);
  const stopActivity = feedActivity(core, (message) => {
    const frame = encodeFrame(message);
    for (const ws of wss.clients) if (ws.readyState === ws.OPEN) ws.send(frame);
  });

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = relayUrl(req);
    if (!url) return;
    const refuse = (status: number, why: string) => {
      log.warn(`relay: refused a page from ${req.socket.remoteAddress} (origin ${req.headers.origin ?? 'none'}): ${why}`);
      socket.end(`HTTP/1.1 ${status} ${why}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (!access.hostAllowed(req.headers.host)) return refuse(403, 'Host not allowed');
    // A page opened on another machine (`--host 0.0.0.0`) comes from the bridge's own address on the
    // network, an origin no allow list names; it is taken as a page only with a credential (below),
    // like every page. Any other foreign origin is refused, credential or not.
    const fromAfar = !access.originAllowed(req.headers.origin) && sameOrigin(req.headers.origin, req.headers.host);
    if (!access.originAllowed(req.headers.origin) && !fromAfar) return refuse(403, 'Origin not allowed');
    const paired = pairing.check(url.searchParams);
    if (!paired.ok) return refuse(401, paired.why);
    const address = plainAddress(req.socket.remoteAddress);
    if (fromAfar) log.info(`relay: a page at ${req.headers.origin} (from ${address}) paired by its ${paired.via}`);
    wss.handleUpgrade(req, socket, head, (ws) => onPage(ws, paired.secret, { label: paired.label, address }));
  };
  claimUpgrades((req) => relayUrl(req) !== undefined);
  httpServer.on('upgrade', onUpgrade);

  /** `secret`: what a page paired by a one-time code keeps for its reconnects. */
  function onPage(ws: WebSocket, secret: string | undefined, who: { label?: string; address?: string }) {
    const page = new PageConnection(ws, who);
    core.addPage(page);
    log.info(`relay: ${page.id}${page.label ? ` (${page.label})` : ''} connected from ${page.address ?? 'an unknown address'} (${core.pageCount} page${core.pageCount === 1 ? '' : 's'})`);
    if (secret) page.send({ type: 'paired', secret });
    // What the bridge tells each page about itself (its addresses, for the page's network panel).
    page.send({ type: 'hello', page: page.id, listeners, defaultModel: core.defaultModel ?? null, maxFrameBytes: own.maxFrameBytes, limits: core.limits });
    // The page's own queries (its programs') that the core still holds give up when the page goes.
    const gone = new AbortController();
    // Each of them listens to it while it waits: as many as the caps admit.
    setMaxListeners(0, gone.signal);

    ws.on('message', (data, isBinary) => {
      let messages: unknown[];
      try {
        if (!isBinary) throw new Error('text frame');
        messages = decodeFrames(toBytes(data));
      } catch (err) {
        refuse(page, `a frame that does not decode (${(err as Error).message})`);
        return;
      }
      for (const raw of messages) {
        const checked = checkPageMessage(raw);
        if ('why' in checked) {
          refuse(page, checked.why);
          // A malformed answer still answers its request: with an error now, not a timeout later.
          const claim = raw as { type?: unknown; id?: unknown } | null;
          if (claim?.type === 'result' && Number.isInteger(claim.id)) {
            core.settle(page, claim.id as number, { error: new BridgeError('model_failed', `the page sent a malformed answer (${checked.why})`) });
          }
          continue;
        }
        try {
          handle(page, checked.message, gone.signal);
        } catch (err) {
          // Whatever a listener of the core does with it, one page message must not take the bridge down.
          log.warn(`relay: ${page.id}'s "${checked.message.type}" message failed (${(err as Error).message})`);
        }
      }
    });
    ws.on('close', (code) => {
      gone.abort();
      core.removePage(page, code === 1001 ? 'page closed or reloaded' : `connection closed, code ${code}`);
      log.info(`relay: ${page.id} disconnected (${core.pageCount} page${core.pageCount === 1 ? '' : 's'} left)`);
    });
    ws.on('error', (err) => log.warn(`relay: ${page.id}: ${err.message}`));
  }

  /** Logs a message the page should not have sent, and tells the page why it was not taken. */
  function refuse(page: PageConnection, why: string) {
    log.warn(`relay: ${page.id} sent ${why}; ignored`);
    page.send({ type: 'rejected', why });
  }

  function handle(page: PageConnection, msg: PageMessage, gone: AbortSignal) {
    switch (msg.type) {
      case 'models':
        page.models = new Map(msg.models.map((m) => [m.id, m]));
        core.pageChanged();
        return;
      case 'result':
        if (msg.error) {
          // `dropped` answers a cancel (the core tells it from a failure); an unknown code is a failure.
          const code = isErrorCode(msg.error.code) ? msg.error.code : 'model_failed';
          core.settle(page, msg.id, { error: new BridgeError(code, msg.error.message) });
        } else core.settle(page, msg.id, { outputs: msg.outputs ?? {}, annotated: msg.annotated });
        return;
      case 'output':
        if (page.models.has(msg.model)) core.publish(msg.model, msg.outputs, msg.source ?? 'page');
        return;
      case 'event':
        core.pageEvent(page, msg.kind, msg.payload);
        return;
      case 'query': {
        // A program's `models.query()`: one client per program, under the same caps as every protocol's.
        const { id } = msg;
        core.query(msg.model, msg.inputs, { source: 'program', client: `${page.id}/${msg.session}`, signal: gone }).then(
          (outputs) => page.send({ type: 'answer', id, outputs }),
          (err: unknown) => {
            const e = toBridgeError(err);
            page.send({ type: 'answer', id, error: { code: e.code, message: e.message } });
          });
        return;
      }
    }
  }

  return {
    url: `${urlOf('ws', own.host, (httpServer.address() as AddressInfo).port)}${PATH}`,
    pairing,
    async close() {
      stopActivity();
      stopHeartbeat();
      httpServer.off('upgrade', onUpgrade);
      for (const ws of wss.clients) ws.close(1001, 'bridge shutting down');
      wss.close();
    },
  };
}

/** `::ffff:127.0.0.2` → `127.0.0.2`. */
function plainAddress(address: string | undefined): string | undefined {
  return address?.replace(/^::ffff:(?=\d+\.)/, '');
}

function toBytes(data: unknown): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (Array.isArray(data)) return Buffer.concat(data as Buffer[]);
  throw new Error('unexpected frame data');
}
