// A page without a browser: the real relay client (web/relay/client.ts) running in Node over the `ws`
// package, connected to a real bridge (every listener on a free port, a stub page and no catalogue). It
// announces a few small models and answers each query as the query itself asks (`act` among its inputs:
// at once, after a delay, never, when the test releases it, with an error, or by leaving mid-query), so
// every protocol's translation, error and limit can be checked without Chromium.
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
  decodeFrames, encodeFrame, normalizeFilename, type ActivityEntry, type CallPayload, type CallResult, type Hello, type ModelAnnouncement, type ModelManifest, type PageCall, type QueryAnswer,
  type SessionReport, type Values,
} from '../../web/contract/index.ts';
import { fixture } from './fixtures.ts';
import { until } from './wait.ts';

// ── the models ──────────────────────────────────────────────────────────────────────────────

/** `echo`: y = x, and whatever `act` the query carries (see Act). The default model (announced first). */
export const ECHO: ModelAnnouncement = {
  id: 'echo', title: 'Echo', description: 'y = x', license: 'MIT', state: 'ready', backend: 'wasm', fallbackReason: 'no WebGPU adapter', size: 12,
  info: { inputs: [{ name: 'x', type: 'number' }], outputs: [{ name: 'y', type: 'number' }] },
};
/** `picture`: an image in, canned faces out (and the bytes it got); annotated with a small JPEG. */
export const PICTURE: ModelAnnouncement = {
  id: 'picture', title: 'Picture', state: 'ready', backend: 'webgpu',
  info: { inputs: [{ name: 'image', type: 'image' }], outputs: [{ name: 'faces', type: 'array' }, { name: 'received', type: 'number' }] },
};
/** `mirror`: an image in, the same bytes out as its output image. */
export const MIRROR: ModelAnnouncement = {
  id: 'mirror', title: 'Mirror', state: 'ready', backend: 'wasm',
  info: { inputs: [{ name: 'image', type: 'image' }], outputs: [{ name: 'image', type: 'image' }] },
};
/** Announced but not ready: queries get `unavailable` naming the state. */
export const LOADING: ModelAnnouncement = {
  id: 'loading', title: 'Loading', state: 'loading', info: { inputs: [{ name: 'x', type: 'number' }], outputs: [] },
};
export const BROKEN: ModelAnnouncement = {
  id: 'broken', title: 'Broken', state: 'failed', error: 'the weights did not load', info: { inputs: [{ name: 'x', type: 'number' }], outputs: [] },
};
export const FAKE_MODELS = [ECHO, PICTURE, MIRROR, LOADING, BROKEN];

export const CANNED_FACES = [{ box: [0.3, 0.1, 0.4, 0.4], score: 0.9, keypoints: Array.from({ length: 6 }, (_, i) => [0.4 + i / 100, 0.2]) }];
/** The picture `picture` answers an annotated query with. */
export const ANNOTATED = new Uint8Array(fixture('astronaut-256.jpg'));

/**
 * What a query of `echo` (or any model) may ask of the page, among its inputs (the bridge passes
 * inputs the model does not declare on as they are):
 * - `delay`: answer after `ms`; `never`: never answer; `hold`: wait in `page.held` until the test releases it;
 * - `fail`: answer with error `code` (any string: the bridge maps codes it does not know) and `message`;
 * - `throw`: throw an Error named `name` (the relay client maps an InputError to bad_request);
 * - `leave`: drop the relay mid-query (the client reconnects on its own);
 * - `big`: answer with `bytes` of padding in `pad`.
 */
export type Act =
  | { act?: undefined }
  | { act: 'delay'; ms: number }
  | { act: 'never' }
  | { act: 'hold' }
  | { act: 'fail'; code: string; message?: string }
  | { act: 'throw'; name?: string; message?: string }
  | { act: 'leave' }
  | { act: 'big'; bytes: number };

export interface ReceivedQuery { model: string; inputs: Values; annotate: boolean }
export interface HeldQuery extends ReceivedQuery {
  answer(outputs?: Values): void;
  fail(code: string, message?: string): void;
}

// ── fake programs (runtime WebSocket calls) ─────────────────────────────────────────────────

/**
 * A fake program: its main file's content is JSON saying what it does. `placeholders`: its values;
 * `end`: how it ends at once (`finished`/`failed`), also before the run is answered (`early`), or
 * never (the default: running until stopped).
 */
export interface FakeProgram { placeholders?: Record<string, unknown>; end?: 'finished' | 'failed'; early?: boolean }

interface Session { report: SessionReport; program: FakeProgram }

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

/** The `ws` WebSocket, keeping a copy of every message each way in `wire`. */
function spyingSocket(wire: Wire): SocketConstructor {
  class Spy extends WebSocket {
    constructor(url: string) {
      super(url);
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
}

export class FakePage {
  readonly client: RelayClient;
  readonly wire = new Wire();
  readonly queries: ReceivedQuery[] = [];
  readonly held: HeldQuery[] = [];
  readonly calls: { kind: PageCall; payload: Values }[] = [];
  readonly states: RelayState[] = [];
  readonly hellos: Hello[] = [];
  readonly activity: { entries: ActivityEntry[]; clients: Record<string, number>; dropped: Record<string, number> }[] = [];
  readonly sessions = new Map<number, Session>();
  models: ModelAnnouncement[];

  constructor(readonly relayUrl: string, options: FakePageOptions = {}) {
    this.models = options.models ?? FAKE_MODELS;
    this.client = new RelayClient(relayUrl, {
      models: () => this.models,
      query: (model, inputs, annotate) => this.query(model, inputs, annotate),
      call: (kind, payload) => this.call(kind, payload),
      status: (state, hello) => { this.states.push(state); if (hello) this.hellos.push(hello); },
      activity: (entries, clients, dropped) => { this.activity.push({ entries, clients, dropped }); },
    }, spyingSocket(this.wire));
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
  drop(): void {
    this.wire.sockets.at(-1)?.terminate();
  }

  /** Closes the relay for good. */
  close(): void {
    this.client.close();
  }

  /** Answers every held query (in the order given by `order`, default: as they came) with y = x. */
  release(order: (held: HeldQuery[]) => HeldQuery[] = (h) => h): void {
    for (const q of order(this.held.splice(0))) q.answer();
  }

  private async query(model: string, inputs: Values, annotate: boolean): Promise<QueryAnswer> {
    this.queries.push({ model, inputs, annotate });
    const a = inputs as Act & Values;
    switch (a.act) {
      case 'delay': await new Promise((r) => setTimeout(r, a.ms)); break;
      case 'never': return new Promise(() => {});
      case 'hold': return new Promise((resolve, reject) => {
        this.held.push({
          model, inputs, annotate,
          answer: (outputs) => resolve({ outputs: outputs ?? this.outputs(model, inputs) }),
          fail: (code, message = `failed with ${code}`) => reject(Object.assign(new Error(message), { code })),
        });
      });
      case 'fail': throw Object.assign(new Error(a.message ?? `failed with ${a.code}`), { code: a.code });
      case 'throw': throw Object.assign(new Error(a.message ?? 'the model threw'), { name: a.name ?? 'Error' });
      case 'leave': setImmediate(() => this.drop()); return new Promise(() => {});
      case 'big': return { outputs: { y: inputs.x, pad: 'p'.repeat(a.bytes) } };
    }
    const outputs = this.outputs(model, inputs);
    return annotate && model === PICTURE.id ? { outputs, annotated: ANNOTATED } : { outputs };
  }

  private outputs(model: string, inputs: Values): Values {
    const image = inputs.image;
    switch (model) {
      case PICTURE.id: return { faces: CANNED_FACES, received: image instanceof Uint8Array ? image.byteLength : -1 };
      case MIRROR.id: return { image: image as Uint8Array };
      default: return { y: inputs.x };
    }
  }

  private async call<K extends PageCall>(kind: K, payload: CallPayload<K>): Promise<CallResult<K>> {
    this.calls.push({ kind, payload: payload as Values });
    const p = payload as Values & { sessionId: number; name?: string; data?: { x: number } };
    if (kind === 'program.run') {
      const run = payload as CallPayload<'program.run'>;
      const main = run.files.find((f) => normalizeFilename(f.filename) === normalizeFilename(run.mainfile))!;
      const program = JSON.parse(main.content) as FakeProgram;
      const session: Session = { program, report: {
        sessionId: run.sessionId, status: 'running', startedAt: new Date().toISOString(), endedAt: null, log: [], logDropped: 0,
        placeholders: Object.keys(program.placeholders ?? {}), models: ['double'],
      } };
      this.sessions.set(run.sessionId, session);
      if (program.end) {
        const end = () => this.end(session, program.end!);
        // Early: the end is reported before the run's own answer leaves (same relay message, ahead of it).
        if (program.early) end(); else setTimeout(end, 10);
      }
      return { sessionId: run.sessionId, status: 'running' } as CallResult<K>;
    }
    const session = this.sessions.get(p.sessionId);
    if (!session) throw Object.assign(new Error(`no session ${p.sessionId} on this page`), { code: 'not_found' });
    switch (kind) {
      case 'program.status': return session.report as CallResult<K>;
      case 'program.placeholder': {
        const name = p.name!;
        const values = session.program.placeholders ?? {};
        if (!(name in values)) throw Object.assign(new Error(`no placeholder "${name}" (placeholders: ${Object.keys(values).join(', ')})`), { code: 'not_found' });
        return { value: values[name] } as CallResult<K>;
      }
      case 'program.stats': return { shape: [3], columns: { value: { mean: 2 } } } as CallResult<K>;
      case 'program.predict': return { output: { doubled: 2 * p.data!.x } } as CallResult<K>;
      case 'program.stop': {
        if (session.report.status === 'running') this.end(session, 'stopped');
        return session.report as CallResult<K>;
      }
    }
    throw new Error(`unexpected call ${kind}`);
  }

  private end(session: Session, status: 'finished' | 'failed' | 'stopped'): void {
    session.report = { ...session.report, status, endedAt: new Date().toISOString(),
      ...(status === 'failed' ? { error: { name: 'RangeError', message: 'n must be positive', file: 'main.js', line: 3 } } : {}) };
    this.client.event('program.ended', session.report);
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
  const bridge = await startBridge({
    host: '127.0.0.1', httpPort: 0, socketioPort: 0, oscPort: 0, labgraphPort: 0, tcpPort: 0, runtimePort: 0,
    headless: false, staticDir, token: 'fake-page-token', ...options,
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
