// Puts the bridge together: the options, the core, the listeners in order, the headless page.
import { existsSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { BridgeCore } from './core/core.ts';
import { createAccess, isLoopbackName } from './access.ts';
import { relayListener, type RelayOffer } from './relay/server.ts';
import { CODE_TTL_MS } from './relay/pairing.ts';
import { newToken, tokenFromFile } from './token.ts';
import { readCatalogue } from './catalogue.ts';
import { hostPage, type HostedPage } from './browser.ts';
import { consoleLog, type Log } from './log.ts';
import { listenError, urlOf } from './listener.ts';
import { resolveOptions, type BridgeOptions } from './options.ts';
import type { HttpOffer, ListenerContext, ListenerModule, ResolvedOptions } from './listener-module.ts';
import { httpListener } from './protocols/http/index.ts';
import { runtimeListener } from './protocols/runtime/index.ts';
import { socketIoListener } from './protocols/socketio.ts';
import { oscListener } from './protocols/osc/index.ts';
import { oscQueryListener } from './protocols/oscquery/index.ts';
import { tcpListener } from './protocols/tcp.ts';
import { labGraphListener } from './protocols/labgraph.ts';

/**
 * Every listener, in the order they start and the reverse of the order they close. HTTP comes first:
 * what it offers (its server) is there for the ones after it that ride on its port (the relay, Socket.IO).
 * OSCQuery follows OSC, whose address (in the listener table) it describes.
 */
const LISTENERS: readonly ListenerModule<{ host: string; port?: number }, Partial<HttpOffer & RelayOffer>, object>[] = [
  httpListener, relayListener, socketIoListener, oscListener, oscQueryListener, labGraphListener, tcpListener, runtimeListener,
];

export interface Bridge {
  core: BridgeCore;
  /** The long-lived pairing token: for the user's eyes only (docs/security.md, "Pairing"). */
  token: string;
  /** Base URL of the HTTP listener. */
  httpUrl: string;
  /** The page's address, with the long-lived pairing token: printed for the user, never put on a command line. */
  pageUrl: string;
  /**
   * The page's address on the network, with the token, for each of this machine's addresses that --host
   * opens (none on a loopback --host): opened on another machine, that page joins as one more page.
   */
  networkPageUrls: string[];
  /** The page's address with a fresh one-time pairing code: for a URL that a process list may show (--open). */
  pairingUrl(): string;
  listeners: Record<string, string>;
  /** The first headless page (--headless). */
  hosted?: HostedPage;
  /** Every headless page (--pages), each a Chromium of its own. */
  hostedPages: HostedPage[];
  close(): Promise<void>;
}

export async function startBridge(given: Partial<BridgeOptions> = {}, log: Log = consoleLog(given.quiet)): Promise<Bridge> {
  const resolved = resolveOptions(given);
  const token = resolved.token ?? (resolved.tokenFile !== undefined ? tokenFromFile(resolved.tokenFile) : newToken());
  const options: ResolvedOptions = { ...resolved, token };
  if (!existsSync(join(options.staticDir, 'index.html'))) {
    throw new Error(`no built page in ${options.staticDir}: run "npm run build" first`);
  }
  const catalogue = readCatalogue(options.staticDir);
  const core = new BridgeCore({
    catalogue, defaultModel: options.model, timeoutMs: options.timeout * 1000, maxQueue: options.maxQueue,
    maxClientQueue: options.maxClientQueue, latestWins: options.latestWins, maxPixels: options.maxPixels,
    maxAudioSeconds: options.maxAudioSeconds,
  });
  if (options.model && !catalogue.some((m) => m.id === options.model)) {
    log.warn(`--model ${options.model}: not in the catalogue (${catalogue.map((m) => m.id).join(', ')}); it is served once a page announces it`);
  }
  const access = createAccess({ host: options.host, allowOrigins: options.allowOrigin, allowProgramOrigins: options.allowProgramOrigin });
  /** The listener table: every listener with a port of its own, by name. */
  const listeners: Record<string, string> = {};

  /** What is running, in the order it started: closed from the last. */
  const running: { close(): Promise<void> }[] = [];
  const close = async () => {
    // Queries still waiting are told why first, before their page or their client goes.
    core.close('the bridge is shutting down');
    // One that fails to close must not keep the others open.
    for (const r of [...running].reverse()) await r.close().catch(() => {});
  };

  let context: ListenerContext & Partial<HttpOffer & RelayOffer> = { core, access, log, listeners };
  for (const module of LISTENERS) {
    const own = module.ownOptions(options);
    try {
      const started = await module.start(context, own);
      running.push(started);
      if (module.portFlag) listeners[module.name] = started.url;
      // What it offers the listeners after it: all it gave back but its address and close().
      const { url: _url, close: _close, ...offers } = started;
      context = { ...context, ...offers };
    } catch (err) {
      await close();
      throw module.portFlag && own.port !== undefined ? listenError(err, module.portFlag, own.port) : err;
    }
  }
  const httpUrl = listeners[httpListener.name]!;
  const pageUrl = `${httpUrl}/#token=${options.token}`;
  const pairing = context.pairing!;
  const pairingUrl = () => `${httpUrl}/#code=${pairing.issueCode()}`;
  const httpPort = Number(new URL(httpUrl).port);
  const networkPageUrls = networkAddresses(options.host).map((a) => `${urlOf('http', a, httpPort)}/#token=${options.token}`);

  const hostedPages: HostedPage[] = [];
  if (options.headless) {
    try {
      for (let i = 1; i <= options.pages; i++) hostedPages.push(await hostHeadless(`headless-${i}`));
    } catch (err) {
      await close();
      throw err;
    }
  } else if (options.pages > 1) {
    log.warn(`--pages ${options.pages}: only with --headless; without it, open the page link in as many browsers (or machines) as you want pages`);
  }

  /** One headless page: a Chromium of its own, paired by codes that carry its label, started again when its page is gone. */
  async function hostHeadless(label: string): Promise<HostedPage> {
    let codeIssued = 0;
    // Each start of Chromium gets a code of its own (a restarted one cannot use the last one's).
    const hosted = await hostPage(() => { codeIssued = Date.now(); return `${httpUrl}/#code=${pairing.issueCode(label)}`; }, options.browser, log, label);
    running.push(hosted);
    const present = () => core.pageSummaries().some((p) => p.label === label);
    // A crashed or hung tab drops its relay and nothing brings it back: start its Chromium afresh.
    core.on('pageRemoved', (e) => {
      if (e.label !== label || present()) return;
      setTimeout(() => { if (!present()) hosted.restart('its page went away and did not come back within 10 s'); }, 10_000).unref();
    });
    // A page that never connected while its code was good (a very slow start) can no longer pair with it.
    const expiry = setInterval(() => {
      if (!present() && Date.now() - codeIssued > CODE_TTL_MS) hosted.restart('its page did not pair before its code expired');
    }, 10_000);
    expiry.unref();
    running.push({ close: async () => clearInterval(expiry) });
    return hosted;
  }
  return { core, token: options.token, httpUrl, pageUrl, pairingUrl, listeners, hosted: hostedPages[0], hostedPages, networkPageUrls, close };
}

/** The addresses other machines reach the bridge at: --host itself, or each interface's for a wildcard. */
export function networkAddresses(host: string): string[] {
  if (isLoopbackName(host)) return [];
  if (host !== '0.0.0.0' && host !== '::') return [host];
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      if (a.internal) continue;
      // Listening on 0.0.0.0 takes IPv4 alone; a link-local IPv6 address needs a zone no link carries.
      if (a.family === 'IPv4' || (host === '::' && !a.address.startsWith('fe80:'))) out.push(a.address);
    }
  }
  return out;
}
