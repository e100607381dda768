// The bridge core: the only place that knows models, checks queries, routes them to a page, applies
// timeouts and queue limits (and drops stale live frames: latest wins), keeps each model's last output
// and error, and publishes outputs and failures as events. Protocol modules translate to and from these
// calls and events.
import { EventEmitter } from 'node:events';
import { ANNOTATED, type ModelAnnouncement, type ModelInfo, type ModelManifest, type Values } from '../../web/runtime/types.ts';
import { BridgeError, toBridgeError } from './errors.ts';
import { compileInputChecker, type InputChecker } from './validate.ts';

/** A connected page, as the core sees it (the relay implements it). */
export interface PageLink {
  readonly id: string;
  /** The models this page announced, by id. */
  readonly models: ReadonlyMap<string, ModelAnnouncement>;
  /** Sends a query; the page answers through `core.settle(id, …)`. */
  sendQuery(id: number, model: string, inputs: Values, options: QueryOptions): void;
  /** Sends a non-query call (`kind`, e.g. "program.run"); the page answers through `core.settle` too. */
  sendCall(id: number, kind: string, payload: Values): void;
}

export interface QueryOptions {
  /** Also return the input image with the output drawn on it (`annotated`, JPEG bytes). */
  annotate?: boolean;
}

export interface QueryContext extends QueryOptions {
  /** Which protocol asked, for logs and activity ("http", "osc", …). */
  source: string;
  /** Who asked (a connection, a socket, a sender), so that one client cannot fill a model's queue. */
  client?: string;
  /**
   * A live frame (Socket.IO `query`, a LabGraph `<model>/query` sample, OSC `/query`): latest wins. While
   * one of this client's queries of the model is with the page, the newest frame waits in a one-slot
   * holder; a newer one replaces it, and the replaced one rejects with a `dropped` BridgeError (not a
   * failure: no `failure` event, no last error). Needs `client`. Ignored when the core's `latestWins`
   * is off: then it is an ordinary query, under the per-client cap.
   */
  latest?: boolean;
}

export interface CallOptions {
  /** Which protocol asked, for logs. */
  source: string;
  /** The id of the page to call (a session lives on one page); else the least busy page. */
  page?: string;
  /** Overrides the core's timeout (--timeout) for this call. */
  timeoutMs?: number;
}

export interface CallResult {
  /** The page that answered, so that later calls about the same thing can go to it. */
  page: string;
  result: Values;
}

/** `ms`: from the query's arrival to its answer; absent for outputs the page made on its own. */
export interface OutputEvent { model: string; outputs: Values; source: string; ms?: number }
export interface FailureEvent { model: string; error: BridgeError; source: string; ms?: number }
/** A live frame was dropped for a newer one from the same client; `total`: the model's drops so far. */
export interface DroppedEvent { model: string; source: string; total: number }
/** Something a page reports on its own (a program ended), for the protocol that cares. */
export interface PageEvent { page: string; kind: string; payload: Values }
export interface PageRemovedEvent { page: string; why: string }

interface CoreEvents {
  output: [OutputEvent];
  failure: [FailureEvent];
  dropped: [DroppedEvent];
  models: [];
  pageEvent: [PageEvent];
  pageRemoved: [PageRemovedEvent];
  /** Connected clients per protocol changed. */
  clients: [Record<string, number>];
}

export interface ModelView {
  id: string;
  title: string;
  description?: string;
  license?: string;
  info: ModelInfo;
  backend?: string;
  fallbackReason?: string;
  /** `ready` when some page can run it; otherwise the best state any page reports, or `not loaded`. */
  state: string;
  error?: string;
  pages: number;
  size?: number;
}

interface Pending {
  page: PageLink;
  /** The model a query runs; undefined for a call. */
  model?: string;
  /** What the page was asked, for error messages ("face-detection", "program.run"). */
  what: string;
  source: string;
  timer: NodeJS.Timeout;
  resolve: (v: Values) => void;
  reject: (e: BridgeError) => void;
}

interface ModelRecord {
  lastOutput: Values | undefined;
  lastError: string | null;
  queued: number;
  /** Live frames dropped for newer ones (latest wins), since the bridge started. */
  dropped: number;
}

/**
 * One live client's frames for one model: while one is with the page, the lane exists; `waiting` holds
 * at most one more, the newest. When the one with the page settles, the waiting one goes next.
 */
interface Lane {
  waiting?: { go: () => void; drop: (error: BridgeError) => void };
}

export interface CoreOptions {
  /** Models known before any page connects (the catalogue in public/models). */
  catalogue?: ModelManifest[];
  /** The model the single-model addresses serve; else the first known. */
  defaultModel?: string;
  timeoutMs?: number;
  /** Most queries waiting on one model at once; more get "busy". */
  maxQueue?: number;
  /** Most queries one client may have waiting at once; more get "busy". Live frames (latest wins) are
   *  bounded by their lane instead: one with the page and one waiting, per client and model. */
  maxClientQueue?: number;
  /** Live frames drop stale ones (latest wins); default true. False: every frame is queued and answered. */
  latestWins?: boolean;
}

export class BridgeCore extends EventEmitter<CoreEvents> {
  readonly timeoutMs: number;
  readonly maxQueue: number;
  readonly maxClientQueue: number;
  readonly latestWins: boolean;
  private readonly clientQueued = new Map<string, number>();
  /** Live lanes, by client and model (see Lane). */
  private readonly lanes = new Map<string, Lane>();
  private readonly catalogue = new Map<string, { manifest: ModelManifest; info: ModelInfo }>();
  private readonly pages = new Set<PageLink>();
  private readonly pending = new Map<number, Pending>();
  private readonly records = new Map<string, ModelRecord>();
  private readonly checkers = new Map<string, { info: ModelInfo; check: InputChecker }>();
  private readonly inFlight = new Map<PageLink, number>();
  private nextId = 1;
  private configuredDefault: string | undefined;
  private readonly clients: Record<string, number> = {};
  /** models(), merged; cleared whenever the set of models or their states change. */
  private views: Map<string, ModelView> | undefined;

  constructor(options: CoreOptions = {}) {
    super();
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.maxQueue = options.maxQueue ?? 64;
    this.maxClientQueue = options.maxClientQueue ?? 16;
    this.latestWins = options.latestWins ?? true;
    for (const m of options.catalogue ?? []) this.catalogue.set(m.id, { manifest: m, info: { inputs: m.inputs, outputs: m.outputs } });
    this.configuredDefault = options.defaultModel;
    // Registered first, so that every other listener of 'models' reads fresh views.
    this.on('models', () => { this.views = undefined; });
  }

  // ── pages ──────────────────────────────────────────────────────────────────────────────────────

  addPage(page: PageLink): void {
    this.pages.add(page);
    this.inFlight.set(page, 0);
    this.emit('models');
  }

  /** The page announced a new set of models. */
  pageChanged(): void {
    this.emit('models');
  }

  /** The page went away: everything it held fails now, not at its timeout. */
  removePage(page: PageLink, why: string): void {
    if (!this.pages.delete(page)) return;
    this.inFlight.delete(page);
    for (const [id, p] of this.pending) {
      if (p.page !== page) continue;
      const message = p.model !== undefined
        ? `the page running "${p.model}" went away before answering (${why}); retry once a page is connected`
        : `the page went away before answering "${p.what}" (${why})`;
      this.finish(id, p, new BridgeError('unavailable', message));
    }
    this.emit('pageRemoved', { page: page.id, why });
    this.emit('models');
  }

  /** The page reported something on its own (see PageEvent). */
  pageEvent(page: PageLink, kind: string, payload: Values): void {
    if (!this.pages.has(page)) return;
    this.emit('pageEvent', { page: page.id, kind, payload });
  }

  get pageCount(): number {
    return this.pages.size;
  }

  // ── clients ────────────────────────────────────────────────────────────────────────────────────

  /** A protocol's client connected (+1) or went away (-1); for the page's activity view and /health. */
  clientChange(protocol: string, delta: 1 | -1): void {
    this.clients[protocol] = Math.max(0, (this.clients[protocol] ?? 0) + delta);
    this.emit('clients', { ...this.clients });
  }

  clientCounts(): Record<string, number> {
    return { ...this.clients };
  }

  // ── models ─────────────────────────────────────────────────────────────────────────────────────

  /** Every model known: the catalogue's and every page's, merged by id. Cached until pages change:
   *  every query looks its model up here. */
  models(): ModelView[] {
    return [...this.viewsById().values()];
  }

  private viewsById(): Map<string, ModelView> {
    this.views ??= this.mergeViews();
    return this.views;
  }

  private mergeViews(): Map<string, ModelView> {
    const views = new Map<string, ModelView>();
    for (const { manifest: m, info } of this.catalogue.values()) {
      views.set(m.id, {
        id: m.id, title: m.title ?? m.id, description: m.description, license: m.license,
        info, state: 'not loaded', pages: 0,
      });
    }
    const rank = { ready: 4, loading: 3, failed: 2, unloaded: 1 } as Record<string, number>;
    for (const page of this.pages) {
      for (const a of page.models.values()) {
        const v = views.get(a.id);
        const mine: ModelView = {
          id: a.id, title: a.title, description: a.description, license: a.license, info: a.info,
          backend: a.backend, fallbackReason: a.fallbackReason, state: a.state, error: a.error,
          pages: a.state === 'ready' ? 1 : 0, size: a.size,
        };
        if (!v) views.set(a.id, mine);
        else {
          const pages = v.pages + mine.pages;
          if ((rank[a.state] ?? 0) > (rank[v.state] ?? 0)) views.set(a.id, { ...v, ...mine, pages });
          else v.pages = pages;
        }
      }
    }
    return views;
  }

  /** The id the single-model addresses serve. */
  get defaultModel(): string | undefined {
    if (this.configuredDefault) return this.configuredDefault;
    return this.viewsById().keys().next().value;
  }

  /** A model by id (or the default model), or a `not_found` error naming the ones there are. */
  model(id?: string): ModelView {
    const want = id ?? this.defaultModel;
    const found = want === undefined ? undefined : this.viewsById().get(want);
    if (found) return found;
    const known = [...this.viewsById().keys()].join(', ') || 'none yet';
    if (want === undefined) throw new BridgeError('not_found', 'no model is loaded yet, and no --model was given');
    throw new BridgeError('not_found', `no model "${want}" (models: ${known})`);
  }

  lastOutput(id?: string): Values {
    return this.records.get(this.model(id).id)?.lastOutput ?? {};
  }

  lastError(id?: string): string | null {
    return this.records.get(this.model(id).id)?.lastError ?? null;
  }

  // ── queries ────────────────────────────────────────────────────────────────────────────────────

  /**
   * Runs a query on a model (the default one when `id` is undefined). Resolves with the outputs, or
   * rejects with a BridgeError; either way the model's last output or error and the events follow.
   */
  async query(id: string | undefined, inputs: unknown, ctx: QueryContext): Promise<Values> {
    const view = this.model(id);
    const model = view.id;
    const started = performance.now();
    try {
      // A bad frame fails at once: it never takes or replaces a place in a live lane.
      const checked = this.checker(view)(inputs);
      const client = ctx.client === undefined ? undefined : `${ctx.source}:${ctx.client}`;
      if (client !== undefined && ctx.latest && this.latestWins) return await this.latest(client, model, checked, ctx, started);
      const page = this.admit(model);
      const mine = client === undefined ? 0 : this.clientQueued.get(client) ?? 0;
      if (mine >= this.maxClientQueue) {
        throw new BridgeError('busy', `this client has ${mine} queries waiting, the most allowed for one client (--max-client-queue); wait for answers before sending more`, 1);
      }
      if (client === undefined) return await this.dispatch(page, model, checked, ctx, started);
      this.clientQueued.set(client, mine + 1);
      try {
        return await this.dispatch(page, model, checked, ctx, started);
      } finally {
        const n = (this.clientQueued.get(client) ?? 1) - 1;
        if (n > 0) this.clientQueued.set(client, n);
        else this.clientQueued.delete(client);
      }
    } catch (err) {
      const error = toBridgeError(err);
      // A dropped frame is no failure: /error stays as it was (Runway's Processing library treats a
      // non-null error as a failed query), and nobody hears of it but its asker.
      if (error.code !== 'dropped') this.fail(model, error, ctx.source, performance.now() - started);
      throw error;
    }
  }

  /** Live frames dropped so far (latest wins), by model. */
  droppedFrames(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [model, r] of this.records) if (r.dropped > 0) out[model] = r.dropped;
    return out;
  }

  /**
   * Latest wins: a live frame goes to the page at once when none of this client's frames of the model is
   * there; otherwise it waits as the newest, dropping the frame that waited before it. So a client that
   * sends faster than the model answers gets answers to recent frames, never to a growing backlog.
   */
  private async latest(client: string, model: string, inputs: Values, ctx: QueryContext, started: number): Promise<Values> {
    const key = `${client}\n${model}`;
    let lane = this.lanes.get(key);
    if (lane) {
      const mine = lane;
      await new Promise<void>((go, drop) => {
        const older = mine.waiting;
        mine.waiting = { go, drop };
        if (older) {
          const record = this.record(model);
          record.dropped++;
          older.drop(new BridgeError('dropped', `dropped: a newer frame from this client replaced it while "${model}" was busy (live input keeps only the latest frame; start the bridge with --no-latest-wins to have every frame answered)`));
          this.emit('dropped', { model, source: ctx.source, total: record.dropped });
        }
      });
      // The frame before this one settled and handed the lane over (see `finally` below).
    } else this.lanes.set(key, (lane = {}));
    try {
      return await this.dispatch(this.admit(model), model, inputs, ctx, started);
    } finally {
      const next = lane.waiting;
      lane.waiting = undefined;
      if (next) next.go();
      else this.lanes.delete(key);
    }
  }

  /** The page that runs the model's next query, or a `busy` or `unavailable` error. */
  private admit(model: string): PageLink {
    const page = this.pickPage(model);
    const record = this.record(model);
    if (record.queued >= this.maxQueue) {
      throw new BridgeError('busy', `"${model}" has ${record.queued} queries waiting, the most allowed (--max-queue); retry shortly`, 1);
    }
    return page;
  }

  /**
   * Runs a model on an image and returns its outputs and the image with those outputs drawn on it
   * (JPEG), drawn by the page with the model's adapter. The outputs are published as for `query`.
   */
  async annotate(id: string | undefined, inputs: unknown, ctx: QueryContext): Promise<{ outputs: Values; image: Uint8Array }> {
    const { [ANNOTATED]: image, ...outputs } = await this.query(id, inputs, { ...ctx, annotate: true });
    if (!(image instanceof Uint8Array)) throw new BridgeError('model_failed', `the page drew no picture for "${this.model(id).id}"`);
    return { outputs, image };
  }

  /** Outputs the page produced on its own (its UI, a webcam) are outputs like any other. */
  publish(model: string, outputs: Values, source: string): void {
    const record = this.record(model);
    record.lastOutput = outputs;
    record.lastError = null;
    this.emit('output', { model, outputs, source });
  }

  /**
   * Makes a non-query call to a page: `kind` names what the page should do, `payload` its arguments.
   * Goes to the page `options.page` when given (a program's session lives on one page), else to the
   * least busy page. Settles, times out and fails on page loss exactly as queries do.
   */
  async callPage(kind: string, payload: Values, options: CallOptions): Promise<CallResult> {
    const page = options.page !== undefined ? this.pageById(options.page) : this.leastBusyPage();
    const result = await this.send(page, { what: kind, source: options.source, timeoutMs: options.timeoutMs ?? this.timeoutMs },
      (id) => page.sendCall(id, kind, payload));
    return { page: page.id, result };
  }

  /** The page's answer to query or call `id`. */
  settle(page: PageLink, id: number, result: { outputs?: Values; error?: BridgeError }): void {
    const p = this.pending.get(id);
    if (!p || p.page !== page) return; // late (timed out) or not this page's: ignore
    this.finish(id, p, result.error ?? result.outputs ?? {});
  }

  private dispatch(page: PageLink, model: string, inputs: Values, ctx: QueryContext, started: number): Promise<Values> {
    return this.send(page, { model, what: model, source: ctx.source, timeoutMs: this.timeoutMs },
      (id) => page.sendQuery(id, model, inputs, { annotate: ctx.annotate })).then((answer) => {
      // An annotated image is the asker's alone: never in /data or anyone's broadcast.
      const { [ANNOTATED]: _picture, ...outputs } = answer;
      const record = this.record(model);
      record.lastOutput = outputs;
      record.lastError = null;
      this.emit('output', { model, outputs, source: ctx.source, ms: performance.now() - started });
      return answer;
    });
  }

  /** Sends one request to a page under a fresh id, and waits for `settle`, the timeout or page loss. */
  private send(page: PageLink, what: { model?: string; what: string; source: string; timeoutMs: number },
    transmit: (id: number) => void): Promise<Values> {
    const id = this.nextId++;
    return new Promise<Values>((resolve, reject) => {
      const timer = setTimeout(() => {
        const p = this.pending.get(id);
        const message = what.model !== undefined
          ? `"${what.model}" did not answer within ${what.timeoutMs / 1000} s (--timeout)`
          : `the page did not answer "${what.what}" within ${what.timeoutMs / 1000} s`;
        if (p) this.finish(id, p, new BridgeError('timeout', message));
      }, what.timeoutMs);
      this.pending.set(id, { page, model: what.model, what: what.what, source: what.source, timer, resolve, reject });
      if (what.model !== undefined) this.record(what.model).queued++;
      this.inFlight.set(page, (this.inFlight.get(page) ?? 0) + 1);
      try {
        transmit(id);
      } catch (err) {
        this.finish(id, this.pending.get(id)!, new BridgeError('unavailable', `could not reach the page: ${(err as Error).message}`));
      }
    });
  }

  private finish(id: number, p: Pending, result: Values | BridgeError): void {
    this.pending.delete(id);
    clearTimeout(p.timer);
    if (p.model !== undefined) this.record(p.model).queued--;
    const n = this.inFlight.get(p.page);
    if (n !== undefined) this.inFlight.set(p.page, n - 1);
    if (result instanceof BridgeError) p.reject(result);
    else p.resolve(result);
  }

  private fail(model: string, error: BridgeError, source: string, ms?: number): void {
    this.record(model).lastError = error.message;
    this.emit('failure', { model, error, source, ms });
  }


  /** The least busy page that has the model ready. */
  private pickPage(model: string): PageLink {
    let best: PageLink | undefined;
    let states: string[] = [];
    for (const page of this.pages) {
      const a = page.models.get(model);
      if (!a) continue;
      if (a.state !== 'ready') { states.push(a.error ? `${a.state}: ${a.error}` : a.state); continue; }
      if (!best || (this.inFlight.get(page) ?? 0) < (this.inFlight.get(best) ?? 0)) best = page;
    }
    if (best) return best;
    if (this.pages.size === 0) throw new BridgeError('unavailable', `no page is connected to run "${model}": open the page or start the bridge with --headless`, 2);
    if (states.length) throw new BridgeError('unavailable', `"${model}" is not ready on any page (${states.join('; ')})`, 2);
    throw new BridgeError('unavailable', `no connected page has loaded "${model}"`, 2);
  }

  private pageById(id: string): PageLink {
    for (const page of this.pages) if (page.id === id) return page;
    throw new BridgeError('unavailable', `page ${id} is no longer connected`);
  }

  private leastBusyPage(): PageLink {
    let best: PageLink | undefined;
    for (const page of this.pages) {
      if (!best || (this.inFlight.get(page) ?? 0) < (this.inFlight.get(best) ?? 0)) best = page;
    }
    if (!best) throw new BridgeError('unavailable', 'no page is connected: open the page or start the bridge with --headless', 2);
    return best;
  }

  private checker(view: ModelView): InputChecker {
    const cached = this.checkers.get(view.id);
    if (cached && cached.info === view.info) return cached.check;
    const check = compileInputChecker(view.info);
    this.checkers.set(view.id, { info: view.info, check });
    return check;
  }

  private record(model: string): ModelRecord {
    let r = this.records.get(model);
    if (!r) this.records.set(model, (r = { lastOutput: undefined, lastError: null, queued: 0, dropped: 0 }));
    return r;
  }

  /** Fails everything in flight and every live frame still waiting (shutdown). */
  close(why: string): void {
    for (const lane of this.lanes.values()) {
      const waiting = lane.waiting;
      lane.waiting = undefined;
      waiting?.drop(new BridgeError('unavailable', why));
    }
    for (const [id, p] of this.pending) this.finish(id, p, new BridgeError('unavailable', why));
  }
}
