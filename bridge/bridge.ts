// Puts the bridge together: the core, the HTTP server with the page and the relay, the protocols.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import fastifyStatic from '@fastify/static';
import fastifyCors from '@fastify/cors';
import type { ModelManifest } from '../web/contract/index.ts';
import { BridgeCore } from './core/core.ts';
import { createAccess } from './access.ts';
import { attachRelay } from './relay/server.ts';
import { httpProtocol, sendError } from './protocols/http.ts';
import { BridgeError } from './core/errors.ts';
import { hostPage, type HostedPage } from './browser.ts';
import { consoleLog, type Log } from './log.ts';
import { listenError, urlOf } from './listener.ts';
import { resolveOptions, type BridgeOptions } from './options.ts';
import type { HttpOffer, Listener, ListenerContext, ListenerModule } from './listener-module.ts';
import { runtimeListener } from './protocols/runtime/index.ts';
import { socketIoListener } from './protocols/socketio.ts';
import { oscListener } from './protocols/osc.ts';
import { tcpListener } from './protocols/tcp.ts';
import { labGraphListener } from './protocols/labgraph.ts';

/** The protocols with listeners of their own, in the order they start. */
const PROTOCOLS: readonly ListenerModule<{ host: string; port?: number }, Partial<HttpOffer>>[] = [
  socketIoListener, oscListener, labGraphListener, tcpListener, runtimeListener,
];

/** The built program worker (web/programs/program-worker.ts) and the policy it is served with. */
const PROGRAM_WORKER = /program-worker[^/\\]*\.js$/;
const PROGRAM_WORKER_CSP = "default-src 'none'; script-src 'self' blob: 'wasm-unsafe-eval'; worker-src 'none'; connect-src 'none'";

export interface Bridge {
  core: BridgeCore;
  token: string;
  /** Base URL of the HTTP listener. */
  httpUrl: string;
  /** The page's address, with the pairing token. */
  pageUrl: string;
  listeners: Record<string, string>;
  hosted?: HostedPage;
  close(): Promise<void>;
}

/** The models in the built page's catalogue (models/index.json and each model.json). */
export function readCatalogue(staticDir: string): ModelManifest[] {
  const index = join(staticDir, 'models', 'index.json');
  if (!existsSync(index)) return [];
  const { models } = JSON.parse(readFileSync(index, 'utf8')) as { models: string[] };
  return models.map((id) => JSON.parse(readFileSync(join(staticDir, 'models', id, 'model.json'), 'utf8')) as ModelManifest);
}

export async function startBridge(given: Partial<BridgeOptions> = {}, log: Log = consoleLog(given.quiet)): Promise<Bridge> {
  const options = resolveOptions(given);
  if (!existsSync(join(options.staticDir, 'index.html'))) {
    throw new Error(`no built page in ${options.staticDir}: run "npm run build" first`);
  }
  const token = options.token ?? randomBytes(16).toString('hex');
  const catalogue = readCatalogue(options.staticDir);
  const core = new BridgeCore({
    catalogue, defaultModel: options.model, timeoutMs: options.timeout * 1000, maxQueue: options.maxQueue,
    maxClientQueue: options.maxClientQueue, latestWins: options.latestWins,
  });
  if (options.model && !catalogue.some((m) => m.id === options.model)) {
    log.warn(`--model ${options.model}: not in the catalogue (${catalogue.map((m) => m.id).join(', ')}); it is served once a page announces it`);
  }
  const access = createAccess({ host: options.host, allowOrigins: options.allowOrigin });
  const listeners: Record<string, string> = {};

  const app = Fastify({ bodyLimit: options.maxBody, logger: false, forceCloseConnections: true });
  app.addHook('onRequest', async (req, reply) => {
    if (!access.hostAllowed(req.headers.host)) {
      return reply.status(403).send({ error: `Host "${req.headers.host}" is not allowed: use 127.0.0.1 or localhost (DNS rebinding protection)` });
    }
    // Private Network Access: a public page must be told explicitly that it may reach localhost.
    if (req.method === 'OPTIONS' && req.headers['access-control-request-private-network'] === 'true' &&
      access.originAllowed(req.headers.origin)) {
      reply.header('Access-Control-Allow-Private-Network', 'true');
    }
  });
  await app.register(fastifyCors, {
    origin: (origin, cb) => cb(null, access.originAllowed(origin)),
    methods: ['GET', 'POST', 'OPTIONS'],
  });
  await app.register(fastifyStatic, {
    root: options.staticDir,
    setHeaders: (res, path) => {
      res.header('Cross-Origin-Opener-Policy', 'same-origin');
      res.header('Cross-Origin-Embedder-Policy', 'require-corp');
      // Lets pages on other origins (an embedding sketch) load the runtime and models from here.
      res.header('Cross-Origin-Resource-Policy', 'cross-origin');
      // A runtime program's worker: no network (not the bridge, not the internet), no nested workers;
      // only this origin's scripts (onnxruntime) and the program's own blob-URL modules.
      if (PROGRAM_WORKER.test(path)) res.header('Content-Security-Policy', PROGRAM_WORKER_CSP);
    },
  });
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _req, reply) => {
    const status = err.statusCode ?? 500;
    if (status === 413) return sendError(reply, new BridgeError('too_large', `the request body is over the limit of ${options.maxBody} bytes (--max-body)`));
    if (status === 415) return reply.status(415).send({ error: `unsupported Content-Type: send application/json, or an image/* body (${err.message})` });
    if (status === 400 && err.code?.startsWith('FST_ERR_CTP')) return reply.status(400).send({ error: `the body is not valid JSON: ${err.message}` });
    if (status >= 500) log.warn(`http: ${err.message}`);
    return reply.status(status).send({ error: err.message });
  });
  app.setNotFoundHandler((req, reply) => reply.status(404).send({ error: `no such address: ${req.method} ${req.url.split('?')[0]}` }));

  httpProtocol(app, core, () => ({ listeners }));

  const relay = attachRelay(app.server, core, log, {
    token,
    originAllowed: access.originAllowed,
    hostAllowed: access.hostAllowed,
    maxFrameBytes: options.maxBody * 2,
    hello: () => ({ listeners, defaultModel: core.defaultModel ?? null, maxFrameBytes: options.maxBody * 2 }),
  });

  try {
    await app.listen({ host: options.host, port: options.httpPort });
  } catch (err) {
    await app.close();
    throw listenError(err, '--http-port', options.httpPort);
  }
  const httpUrl = urlOf('http', options.host, (app.server.address() as AddressInfo).port);
  const pageUrl = `${httpUrl}/#token=${token}`;
  listeners.http = httpUrl;

  let hosted: HostedPage | undefined;
  const started: Listener[] = [];
  const close = async () => {
    core.close('the bridge is shutting down');
    relay.close();
    await hosted?.close();
    await Promise.all(started.map((l) => l.close().catch(() => {})));
    await app.close();
  };

  const context: ListenerContext & HttpOffer = { core, access, log, listeners, httpServer: app.server };
  for (const p of PROTOCOLS) {
    const own = p.ownOptions({ ...options, token });
    try {
      const listener = await p.start(context, own);
      started.push(listener);
      listeners[p.name] = listener.url;
    } catch (err) {
      await close();
      throw p.portFlag && own.port !== undefined ? listenError(err, p.portFlag, own.port) : err;
    }
  }

  if (options.headless) {
    try {
      hosted = await hostPage(pageUrl, options.browser, log);
    } catch (err) {
      await close();
      throw err;
    }
    // A crashed or hung tab drops its relay and nothing brings it back: start Chromium afresh.
    const page = hosted;
    core.on('pageRemoved', () => {
      if (core.pageCount > 0) return;
      setTimeout(() => { if (core.pageCount === 0) page.restart('the headless page went away and did not come back within 10 s'); }, 10_000).unref();
    });
  }
  return { core, token, httpUrl, pageUrl, listeners, hosted, close };
}
