// The page's link to a bridge, when it was opened from the bridge's link (`#token=…` or a one-time
// `#code=…`, and `#bridge=host:port` when the bridge is not the page's own server): the relay, the
// programs it runs, its status and activity. Pairing: docs/security.md.
import { connectRelay, type PageRelay } from '../relay/page.ts';
import type { PageSummary, Values } from '../contract/index.ts';
import { ProgramFrames } from '../programs/frames.ts';
import { $ } from '../ui/dom.ts';
import { appendActivity, renderClients } from '../ui/activity.ts';
import type { Listeners } from '../ui/snippets.ts';
import type { Catalogue } from './catalogue.ts';

/** What the bridge said of itself in its hello: where it listens, and the model its single-model addresses serve. */
export interface BridgeInfo { listeners?: Listeners; defaultModel?: string }

/** The bridge's pages (this one among them, by its id from the hello), or none while not connected. */
export type ShowPages = (pages: PageSummary[], self: string | undefined) => void;

export class BridgeLink {
  /** Undefined when the page has no credential (token, code or kept secret), or its #bridge= was not confirmed: it then serves no bridge. */
  private readonly relay: PageRelay | undefined;
  private bridge: BridgeInfo = {};

  /** `showBridge` hears the bridge's info whenever the link's state changes. */
  /** This page's id among the bridge's pages (its hello). */
  private self: string | undefined;
  /** The pages last shown, as JSON: the feed repeats them a few times a second. */
  private pagesShown = '';

  constructor(catalogue: Catalogue, baseUrl: string, showBridge: (bridge: BridgeInfo) => void, showPages?: ShowPages) {
    const pagesNow = (pages: PageSummary[]) => {
      const json = JSON.stringify([pages, this.self]);
      if (json === this.pagesShown) return;
      this.pagesShown = json;
      showPages?.(pages, this.self);
    };
    // Programs of the runtime WebSocket, each in its own worker inside frames of other sites (processes
    // of their own: web/programs/frames.ts); they may use the page's models, through the bridge, which
    // admits their queries as it admits every client's.
    const programs = new ProgramFrames({
      query: (id, inputs, session) => this.relay ? this.relay.query(session, id, inputs) : catalogue.query(id, inputs),
      models: () => catalogue.announcements().map((a) => ({ id: a.id, title: a.title, state: a.state, ...a.info })),
      ended: (report) => this.relay?.event('program.ended', report),
    }, baseUrl);
    const params = new URLSearchParams(location.hash.slice(1));
    const host = bridgeHost(params.get('bridge'));
    const credential = host === undefined ? undefined : credentialFor(params, host);
    if (host === undefined) $('bridge-state').textContent = `not connected: the bridge at ${params.get('bridge')} was not confirmed`;
    // The relay runs in the runtime worker: bridge queries go straight to the models, not through here.
    this.relay = host !== undefined && credential ? connectRelay(relayUrl(host, credential), () => catalogue.announcements(), {
      call: (kind, payload) => programs.call(kind, payload),
      paired: (secret) => {
        // Kept for this tab's reloads (sessionStorage: this tab and origin alone); the spent code leaves the address.
        sessionStorage.setItem(secretKey(host), secret);
        params.delete('code');
        history.replaceState(history.state, '', `${location.pathname}${location.search}${params.size ? `#${params}` : ''}`);
      },
      status: (state, hello) => {
        const pill = $('bridge-state');
        pill.textContent = state === 'connected' ? 'bridge connected' : state === 'connecting' ? 'connecting to bridge…' : 'bridge disconnected, retrying…';
        pill.classList.toggle('ok', state === 'connected');
        if (hello) this.bridge = { listeners: hello.listeners as Listeners, defaultModel: hello.defaultModel ?? undefined };
        if (hello) this.self = hello.page;
        if (state !== 'connected') { renderClients($('clients'), {}, {}); pagesNow([]); }
        showBridge(this.bridge);
      },
      activity: (list, clients, dropped, pages) => {
        if (pages) pagesNow(pages);
        appendActivity($('activity'), list);
        renderClients($('clients'), clients, dropped);
        catalogue.bridgeRan(list);
      },
    }) : undefined;
  }

  /** Tells the bridge what the page's models are now. */
  announce(): void {
    this.relay?.announce();
  }

  /** Outputs made in the page are outputs like any other: /data, Socket.IO, OSC and LabGraph clients get them. */
  publish(model: string, outputs: Values): void {
    this.relay?.publish(model, outputs, 'page');
  }
}

/**
 * The bridge's `host:port`: the page's own server, or the one `#bridge=` names once the person confirms
 * it (a link could otherwise hand this page's models, and the queries sent to them, to any host).
 * Undefined when they did not. The bridge's own links never carry `#bridge=`.
 */
function bridgeHost(named: string | null): string | undefined {
  if (!named || named === location.host) return location.host;
  const ok = confirm(`Serve this page's models to the bridge at ${named}?\n\nIt will receive every query sent to it and answer them with these models. ` +
    'Cancel unless you started that bridge yourself.');
  return ok ? named : undefined;
}

const secretKey = (host: string) => `pagebridge-secret:${host}`;

/** What the page presents on the relay: a fresh one-time code, the token, or the secret a code got it earlier in this tab. */
function credentialFor(params: URLSearchParams, host: string): string | undefined {
  const code = params.get('code');
  if (code) return `code=${encodeURIComponent(code)}`;
  const token = params.get('token');
  if (token) return `token=${encodeURIComponent(token)}`;
  const secret = sessionStorage.getItem(secretKey(host));
  return secret ? `secret=${encodeURIComponent(secret)}` : undefined;
}

function relayUrl(host: string, credential: string): string {
  const scheme = location.protocol === 'https:' && host === location.host ? 'wss' : 'ws';
  return `${scheme}://${host}/runtime?${credential}`;
}
