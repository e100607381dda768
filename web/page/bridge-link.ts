// The page's link to a bridge, when it was opened from the bridge's link (`#token=…`, and `#bridge=host:port`
// when the bridge is not the page's own server): the relay, the programs it runs, its status and activity.
import { connectRelay, type PageRelay } from '../relay/page.ts';
import type { Values } from '../contract/index.ts';
import { ProgramRunner } from '../programs/runner.ts';
import { $ } from '../ui/dom.ts';
import { appendActivity, renderClients } from '../ui/activity.ts';
import type { Listeners } from '../ui/snippets.ts';
import type { Catalogue } from './catalogue.ts';

/** What the bridge said of itself in its hello: where it listens, and the model its single-model addresses serve. */
export interface BridgeInfo { listeners?: Listeners; defaultModel?: string }

export class BridgeLink {
  /** Undefined when the page was opened without a token: it then serves no bridge. */
  private readonly relay: PageRelay | undefined;
  private bridge: BridgeInfo = {};

  /** `showBridge` hears the bridge's info whenever the link's state changes. */
  constructor(catalogue: Catalogue, baseUrl: string, showBridge: (bridge: BridgeInfo) => void) {
    // Programs of the runtime WebSocket, each in its own worker; they may use the page's models, through
    // the bridge, which admits their queries as it admits every client's.
    const programs = new ProgramRunner({
      query: (id, inputs, session) => this.relay ? this.relay.query(session, id, inputs) : catalogue.query(id, inputs),
      models: () => catalogue.announcements().map((a) => ({ id: a.id, title: a.title, state: a.state, ...a.info })),
      ended: (report) => this.relay?.event('program.ended', report),
    }, baseUrl);
    const params = new URLSearchParams(location.hash.slice(1));
    const token = params.get('token');
    // The relay runs in the runtime worker: bridge queries go straight to the models, not through here.
    this.relay = token ? connectRelay(relayUrl(params.get('bridge'), token), () => catalogue.announcements(), {
      call: (kind, payload) => programs.call(kind, payload),
      status: (state, hello) => {
        const pill = $('bridge-state');
        pill.textContent = state === 'connected' ? 'bridge connected' : state === 'connecting' ? 'connecting to bridge…' : 'bridge disconnected, retrying…';
        pill.classList.toggle('ok', state === 'connected');
        if (hello) this.bridge = { listeners: hello.listeners as Listeners, defaultModel: hello.defaultModel ?? undefined };
        if (state !== 'connected') renderClients($('clients'), {}, {});
        showBridge(this.bridge);
      },
      activity: (list, clients, dropped) => {
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

function relayUrl(host: string | null, token: string): string {
  const scheme = location.protocol === 'https:' && !host ? 'wss' : 'ws';
  return `${scheme}://${host ?? location.host}/runtime?token=${encodeURIComponent(token)}`;
}
