// A page without a browser: the real relay client (web/relay/client.ts) running in Node over the `ws`
// package, connected to a real bridge (every listener on a free port, a stub page and no catalogue). It
// announces a few small models and answers each query as the query itself asks (`act` among its inputs:
// at once, after a delay, never, when the test releases it, with an error, or by leaving mid-query), so
// every protocol's translation, error and limit can be checked without Chromium. The models and the
// answers are in test/helpers/fake-page-answers.ts; this file is the relay side and the bridge.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { startBridge, type Bridge } from '../../bridge/bridge.ts';
import type { Log } from '../../bridge/log.ts';
import type { BridgeOptions } from '../../bridge/options.ts';
import type { BridgeCore } from '../../bridge/core/core.ts';
import { RelayClient, type RelayState, type SocketConstructor } from '../../web/relay/client.ts';
import {
  decodeFrames, encodeFrame, type ActivityEntry, type PageSummary, type Hello, type ModelAnnouncement, type ModelManifest, type PageEventKind, type PageEvents,
} from '../../web/contract/index.ts';
import { FAKE_MODELS, FakePageAnswers } from './fake-page-answers.ts';
import { until } from './wait.ts';

// ── the page ────────────────────────────────────────────────────────────────────────────────

/** Every relay message (WebSocket message) each way, as bytes, and the frames of each. */
export class Wire {
  readonly in: Uint8Array[] = [];
  readonly out: Uint8Array[] = [];
  readonly sockets: WebSocket[] = [];
  readonly errors: Error[] = [];
  framesIn(): unknown[][] { return this.in.map((m) => decodeFrames(m)); }
  framesOut(): unknown[][] { return this.out.map((m) => decodeFrames(m)); }
  clear(): void { this.in.length = 0; this.out.length = 0; }
}

/** Where a page's relay connects from: another loopback address, and the Origin and Host a browser there sends. */
export interface ConnectFrom { localAddress: string; origin?: string; host?: string }

/** The `ws` WebSocket, keeping a copy of every message each way in `wire`. */
function spyingSocket(wire: Wire, from?: ConnectFrom): SocketConstructor {
  const headers = { ...(from?.origin !== undefined && { origin: from.origin }), ...(from?.host !== undefined && { host: from.host }) };
  class Spy extends WebSocket {
    constructor(url: string) {
      super(url, from ? { localAddress: from.localAddress, headers } : undefined);
      wire.sockets.push(this);
      // A browser's WebSocket reports a failed connection by closing; `ws` also emits 'error', which
      // would crash the process without a listener (the client retries on the close that follows).
      this.on('error', (err) => wire.errors.push(err));
      this.on('message', (data) => wire.in.push(new Uint8Array(data as ArrayBuffer).slice()));
      const send = this.send.bind(this);
      this.send = ((data: Uint8Array) => {
        wire.out.push(new Uint8Array(data).slice());
        send(data);
      }) as typeof this.send;
    }
  }
  return Spy as unknown as SocketConstructor;
}

export interface FakePageOptions {
  models?: ModelAnnouncement[];
  /** The pairing token (default: the bridge's). */
  token?: string;
  /** Connect as a page on another machine would (test/pages.test.ts). */
  from?: ConnectFrom;
}

export class FakePage extends FakePageAnswers {
  readonly client: RelayClient;
  readonly wire = new Wire();
  readonly states: RelayState[] = [];
  readonly hellos: Hello[] = [];
  readonly activity: { entries: ActivityEntry[]; clients: Record<string, number>; dropped: Record<string, number>; pages?: PageSummary[] }[] = [];
  models: ModelAnnouncement[];

  constructor(readonly relayUrl: string, options: FakePageOptions = {}) {
    super();
    this.models = options.models ?? FAKE_MODELS;
    this.client = new RelayClient(relayUrl, {
      models: () => this.models,
      query: (model, inputs, options) => this.query(model, inputs, options),
      call: (kind, payload) => this.call(kind, payload),
      status: (state, hello) => { this.states.push(state); if (hello) this.hellos.push(hello); },
      activity: (entries, clients, dropped, pages) => { this.activity.push({ entries, clients, dropped, ...(pages && { pages }) }); },
    }, spyingSocket(this.wire, options.from));
  }

  /** Connects a page to `bridge` and waits until the bridge's core counts it among the pages of each of its ready models. */
  static async open(bridge: Bridge, options: FakePageOptions = {}): Promise<FakePage> {
    const page = new FakePage(relayUrl(bridge.httpUrl, options.token ?? bridge.token), options);
    const served = (id: string) => bridge.core.models().find((m) => m.id === id)?.pages ?? 0;
    const expected = new Map(page.readyModels().map((id) => [id, served(id) + 1]));
    page.client.connect();
    await page.ready(bridge.core, expected);
    return page;
  }

  /**
   * Waits (bounded) until this page is connected and `core` has each of its ready models on at least
   * `pages` pages (by model id; default one each).
   */
  async ready(core: BridgeCore, pages: Map<string, number> = new Map(), ms = 10_000): Promise<void> {
    const ids = this.readyModels();
    await until(() => this.connected && ids.every((id) => (core.models().find((m) => m.id === id)?.pages ?? 0) >= (pages.get(id) ?? 1)),
      ms, `the fake page's models (${ids.join(', ')}) ready in the bridge`);
  }

  private readyModels(): string[] {
    return this.models.filter((m) => m.state === 'ready').map((m) => m.id);
  }

  get connected(): boolean {
    return this.states.at(-1) === 'connected';
  }

  /** Closes the relay's socket as a crash would; the client connects again on its own. */
  override drop(): void {
    this.wire.sockets.at(-1)?.terminate();
  }

  /** Closes the relay for good. */
  close(): void {
    this.client.close();
  }

  protected override event<K extends PageEventKind>(kind: K, payload: PageEvents[K]): void {
    this.client.event(kind, payload);
  }
}

export const relayUrl = (httpUrl: string, token: string) => `${httpUrl.replace(/^http/, 'ws')}/runtime?token=${token}`;

// ── the bridge ──────────────────────────────────────────────────────────────────────────────

/** A log that keeps its lines, so that tests can check what the bridge logged. */
export interface RecordingLog extends Log { infos: string[]; warnings: string[] }
export function recordingLog(): RecordingLog {
  const infos: string[] = [];
  const warnings: string[] = [];
  return { infos, warnings, info: (m) => { infos.push(m); }, warn: (m) => { warnings.push(m); } };
}

export interface FakeBridgeOptions extends Partial<BridgeOptions> {
  /** Models in the stub page's catalogue (known before any page connects, `not loaded` until one does). */
  catalogue?: ModelAnnouncement[];
  /** The models the first page announces (default FAKE_MODELS); `false`: open no page. */
  pageModels?: ModelAnnouncement[] | false;
}

export interface FakeBridge {
  bridge: Bridge;
  /** The bridge's HTTP base URL. */
  url: string;
  listeners: Record<string, string>;
  /** The page opened at start (undefined with `pageModels: false`). */
  page: FakePage;
  log: RecordingLog;
  openPage(options?: FakePageOptions): Promise<FakePage>;
  close(): Promise<void>;
}

/** A stub of the built page: an index.html and a catalogue of `catalogue` (default none: models come from pages only). */
export function stubStaticDir(catalogue: ModelAnnouncement[] = []): string {
  const dir = mkdtempSync(join(tmpdir(), 'pagebridge-stub-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>stub</title>');
  mkdirSync(join(dir, 'models'));
  writeFileSync(join(dir, 'models', 'index.json'), JSON.stringify({ models: catalogue.map((m) => m.id) }));
  for (const m of catalogue) {
    mkdirSync(join(dir, 'models', m.id));
    const manifest: ModelManifest = { id: m.id, title: m.title, ...m.info, file: 'model.onnx', adapter: 'none' };
    writeFileSync(join(dir, 'models', m.id, 'model.json'), JSON.stringify(manifest));
  }
  return dir;
}

export async function startFakeBridge({ pageModels = FAKE_MODELS, catalogue, ...options }: FakeBridgeOptions = {}): Promise<FakeBridge> {
  const staticDir = options.staticDir ?? stubStaticDir(catalogue);
  const log = recordingLog();
  // No mDNS unless asked for: tests send nothing but to loopback addresses (test/oscquery.test.ts
  // advertises inside a network namespace of its own).
  const bridge = await startBridge({
    host: '127.0.0.1', httpPort: 0, socketioPort: 0, oscPort: 0, oscqueryPort: 0, labgraphPort: 0, tcpPort: 0, runtimePort: 0,
    // No Runway reply port unless a test names one: tests never send to a real 57200 on this machine.
    oscReplyPort: 0, mdns: false, headless: false, staticDir, token: 'fake-page-token', ...options,
  }, log);
  const pages: FakePage[] = [];
  const openPage = async (o?: FakePageOptions) => {
    const p = await FakePage.open(bridge, o);
    pages.push(p);
    return p;
  };
  const fake: FakeBridge = {
    bridge, url: bridge.httpUrl, listeners: bridge.listeners, log, page: undefined as unknown as FakePage, openPage,
    async close() {
      for (const p of pages) p.close();
      await bridge.close();
      if (!options.staticDir) rmSync(staticDir, { recursive: true, force: true });
    },
  };
  if (pageModels) fake.page = await openPage({ models: pageModels });
  return fake;
}

// ── a raw page ──────────────────────────────────────────────────────────────────────────────

/** A page that speaks the relay by hand (`ws` with the token): for messages the relay client never sends. */
export class RawPage {
  readonly received: any[] = [];
  closed: { code: number; reason: string } | undefined;
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => { for (const m of decodeFrames(new Uint8Array(data as Buffer))) this.received.push(m); });
    ws.on('close', (code, reason) => { this.closed = { code, reason: reason.toString() }; });
    ws.on('error', () => {});
  }

  static open(bridge: Bridge, token = bridge.token): Promise<RawPage> {
    const ws = new WebSocket(relayUrl(bridge.httpUrl, token));
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new RawPage(ws)));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  /** Sends each message as a frame, all in one WebSocket message. */
  send(...messages: unknown[]): void {
    this.ws.send(Buffer.concat(messages.map((m) => encodeFrame(m))));
  }

  sendRaw(data: Buffer | string): void {
    this.ws.send(data);
  }

  /** The first message received (or to come) that `match` accepts. */
  next(match: (m: any) => boolean, what = 'a relay message', ms = 10_000): Promise<any> {
    return until(() => this.received.find(match), ms, what);
  }

  close(): void {
    this.ws.close();
  }
}
