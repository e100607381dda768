// The relay: the one WebSocket from each page to the bridge, at /runtime on the HTTP port.
// It turns page messages into core calls (announce, settle, publish) and core queries into frames.
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  decodeFrames, encodeFrame, FrameBatcher, isErrorCode,
  type ActivityEntry, type BridgeMessage, type CallPayload, type Hello, type ModelAnnouncement, type PageCall, type PageMessage,
  type QueryOptions, type Values,
} from '../../web/contract/index.ts';
import type { BridgeCore, FailureEvent, OutputEvent, PageLink } from '../core/core.ts';
import { BridgeError } from '../core/errors.ts';
import type { Log } from '../log.ts';
import { checkPageMessage } from './checks.ts';

export interface RelayOptions {
  token: string;
  /** Is this request's Origin allowed to open the relay? */
  originAllowed: (origin: string | undefined) => boolean;
  hostAllowed: (host: string | undefined) => boolean;
  maxFrameBytes: number;
  /** What the bridge tells each page about itself (its addresses, for the page's network panel). */
  hello: () => Hello;
}
let pageSerial = 0;

class PageConnection implements PageLink {
  readonly id = `page-${++pageSerial}`;
  models = new Map<string, ModelAnnouncement>();
  private readonly out: FrameBatcher;

  constructor(private readonly ws: WebSocket) {
    this.out = new FrameBatcher((message) => { if (ws.readyState === ws.OPEN) ws.send(message); }, setImmediate);
  }

  send(message: BridgeMessage): void {
    this.out.push(encodeFrame(message));
  }

  sendQuery(id: number, model: string, inputs: Values, options: QueryOptions): void {
    if (this.ws.readyState !== this.ws.OPEN) throw new Error('the page connection is closing');
    this.send({ type: 'query', id, model, inputs, ...options });
  }

  sendCall<K extends PageCall>(id: number, kind: K, payload: CallPayload<K>): void {
    if (this.ws.readyState !== this.ws.OPEN) throw new Error('the page connection is closing');
    this.send({ type: 'call', id, kind, payload } as BridgeMessage);
  }
}

export function attachRelay(server: Server, core: BridgeCore, log: Log, options: RelayOptions): { close(): void } {
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxFrameBytes, perMessageDeflate: false });

  // Activity for the pages' activity view: batched, so a busy bridge sends a few frames a second.
  let activity: ActivityEntry[] = [];
  let countsChanged = false;
  const flush = setInterval(() => {
    if (activity.length === 0 && !countsChanged) return;
    const msg: BridgeMessage = { type: 'activity', entries: activity.slice(-50), clients: core.clientCounts(), dropped: core.droppedFrames() };
    activity = [];
    countsChanged = false;
    for (const ws of wss.clients) if (ws.readyState === ws.OPEN) ws.send(encodeFrame(msg));
  }, 250);
  flush.unref();
  const onOutput = (e: OutputEvent) => { if (e.source !== 'page') activity.push({ at: Date.now(), source: e.source, model: e.model, ms: e.ms }); };
  const onFailure = (e: FailureEvent) => { activity.push({ at: Date.now(), source: e.source, model: e.model, ms: e.ms, error: e.error.message }); };
  // Clients come and go, live frames are dropped (latest wins): counts, not log entries.
  const onClients = () => { countsChanged = true; };
  core.on('output', onOutput);
  core.on('failure', onFailure);
  core.on('clients', onClients);
  core.on('dropped', onClients);

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== '/runtime') return;
    const refuse = (status: number, why: string) => {
      log.warn(`relay: refused a page from ${req.socket.remoteAddress} (origin ${req.headers.origin ?? 'none'}): ${why}`);
      socket.end(`HTTP/1.1 ${status} ${why}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (!options.hostAllowed(req.headers.host)) return refuse(403, 'Host not allowed');
    if (!options.originAllowed(req.headers.origin)) return refuse(403, 'Origin not allowed');
    if (url.searchParams.get('token') !== options.token) return refuse(401, 'Wrong or missing pairing token');
    wss.handleUpgrade(req, socket, head, (ws) => onPage(ws));
  };
  server.on('upgrade', onUpgrade);

  function onPage(ws: WebSocket) {
    const page = new PageConnection(ws);
    core.addPage(page);
    log.info(`relay: ${page.id} connected (${core.pageCount} page${core.pageCount === 1 ? '' : 's'})`);
    page.send({ type: 'hello', ...options.hello() });

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
          handle(page, checked.message);
        } catch (err) {
          // Whatever a listener of the core does with it, one page message must not take the bridge down.
          log.warn(`relay: ${page.id}'s "${checked.message.type}" message failed (${(err as Error).message})`);
        }
      }
    });
    ws.on('close', (code) => {
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

  function handle(page: PageConnection, msg: PageMessage) {
    switch (msg.type) {
      case 'models':
        page.models = new Map(msg.models.map((m) => [m.id, m]));
        core.pageChanged();
        return;
      case 'result':
        if (msg.error) {
          const code = isErrorCode(msg.error.code) && msg.error.code !== 'dropped' ? msg.error.code : 'model_failed';
          core.settle(page, msg.id, { error: new BridgeError(code, msg.error.message) });
        } else core.settle(page, msg.id, { outputs: msg.outputs ?? {}, annotated: msg.annotated });
        return;
      case 'output':
        if (page.models.has(msg.model)) core.publish(msg.model, msg.outputs, msg.source ?? 'page');
        return;
      case 'event':
        core.pageEvent(page, msg.kind, msg.payload);
        return;
    }
  }

  return {
    close() {
      clearInterval(flush);
      core.off('output', onOutput);
      core.off('failure', onFailure);
      core.off('clients', onClients);
      core.off('dropped', onClients);
      server.off('upgrade', onUpgrade);
      for (const ws of wss.clients) ws.close(1001, 'bridge shutting down');
      wss.close();
    },
  };
}

function toBytes(data: unknown): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (Array.isArray(data)) return Buffer.concat(data as Buffer[]);
  throw new Error('unexpected frame data');
}
