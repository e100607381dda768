// The bridge core: the only place that knows models, checks queries, routes them to a page, applies
// timeouts and queue limits (and drops stale live frames: latest wins), keeps each model's last output
// and error, and publishes outputs and failures as events. Protocol modules translate to and from these
// calls and events. This facade puts together the parts, one file each: model-views.ts (which models
// there are), pages.ts (which page runs a query), admission.ts (queue caps, latest wins) and
// dispatch.ts (ids, answers, timeouts, page loss).
import { EventEmitter } from 'node:events';
import {
  DEFAULT_MEDIA_LIMITS,
  type CallPayload, type CallResult, type MediaLimits, type ModelManifest, type PageCall, type Values, type PageEventKind, type PageEvents, type QueryOptions,
  type PageSummary,
} from '../../web/contract/index.ts';
import { Admission } from './admission.ts';
import { Dispatch, PageGoneError, type Answer, type Cancellations } from './dispatch.ts';
import { BridgeError, isModelFailure, toBridgeError } from './errors.ts';
import { ModelViews, type ModelView } from './model-views.ts';
import { Pages, type PageLink } from './pages.ts';

export type { ModelView } from './model-views.ts';
export type { PageLink } from './pages.ts';
export type { Cancellations } from './dispatch.ts';

export interface QueryContext {
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
  /**
   * Aborts when the client goes away (its connection closed): a query still waiting fails as `dropped`
   * (no failure event, no last error) and its page is told to drop it.
   */
  signal?: AbortSignal;
}

export interface CallOptions {
  /** Which protocol asked, for logs. */
  source: string;
  /** The id of the page to call (a session lives on one page); else the least busy page. */
  page?: string;
  /** Overrides the core's timeout (--timeout) for this call. */
  timeoutMs?: number;
}

/** `ms`: from the query's arrival to its answer; absent for outputs the page made on its own. */
export interface OutputEvent { model: string; outputs: Values; source: string; ms?: number }
export interface FailureEvent { model: string; error: BridgeError; source: string; ms?: number }
/** A live frame was dropped for a newer one from the same client; `total`: the model's drops so far. */
export interface DroppedEvent { model: string; source: string; total: number }
/** Something a page reports on its own (a program ended), for the protocol that cares. */
export type PageEvent = { [K in PageEventKind]: { page: string; kind: K; payload: PageEvents[K] } }[PageEventKind];
export interface PageRemovedEvent { page: string; why: string; /** The headless page it was (PageLink.label). */ label?: string }
/** A query whose page went away mid-run went to another page (`to`) once more. */
export interface RetriedEvent { model: string; source: string; from: string; to: string }

interface CoreEvents {
  output: [OutputEvent];
  failure: [FailureEvent];
  /** A query refused before its model (errors.ts, isModelFailure): for the pages' activity view alone. */
  refused: [FailureEvent];
  dropped: [DroppedEvent];
  models: [];
  pageEvent: [PageEvent];
  pageRemoved: [PageRemovedEvent];
  retried: [RetriedEvent];
  /** Connected clients per protocol changed. */
  clients: [Record<string, number>];
}

interface ModelRecord {
  lastOutput: Values | undefined;
  lastError: string | null;
  /** Live frames dropped for newer ones (latest wins), since the bridge started. */
  dropped: number;
}

export interface CoreOptions {
  /** Models known before any page connects (the catalogue in public/models). */
  catalogue?: ModelManifest[];
  /** The model the single-model addresses serve; else the first known. */
  defaultModel?: string;
  timeoutMs?: number;
  /** Most queries waiting on one model at once; more get "busy". */
  maxQueue?: number;
  /** Most queries one client may have waiting at once; more get "busy" (live frames: see QueryContext). */
  maxClientQueue?: number;
  /** Live frames drop stale ones (latest wins); default true. False: every frame is queued and answered. */
  latestWins?: boolean;
  /** Most pixels an image input may declare (--max-pixels); more is refused before any page decodes it. */
  maxPixels?: number;
  /** Most seconds of audio a WAV input may declare (--max-audio-seconds). */
  maxAudioSeconds?: number;
}

export class BridgeCore extends EventEmitter<CoreEvents> {
  readonly timeoutMs: number;
  readonly maxQueue: number;
  readonly maxClientQueue: number;
  readonly latestWins: boolean;
  /** What one query may cost a page to decode; the pages are told it (their hello) and hold to it too. */
  readonly limits: MediaLimits;
  private readonly pages = new Pages();
  private readonly views: ModelViews;
  private readonly admission: Admission;
  private readonly dispatch: Dispatch;
  private readonly records = new Map<string, ModelRecord>();
  /** Errors published as a model's failure (errors.ts, isModelFailure); any other was its asker's alone. */
  private readonly published = new WeakSet<BridgeError>();
  /** Why the core no longer takes queries (shutdown), once it does not. */
  private closedBecause: string | undefined;
  private readonly clients: Record<string, number> = {};
  private retried = 0;

  constructor(options: CoreOptions = {}) {
    super();
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.maxQueue = options.maxQueue ?? 64;
    this.maxClientQueue = options.maxClientQueue ?? 16;
    this.latestWins = options.latestWins ?? true;
    this.limits = { maxPixels: options.maxPixels ?? DEFAULT_MEDIA_LIMITS.maxPixels, maxAudioSeconds: options.maxAudioSeconds ?? DEFAULT_MEDIA_LIMITS.maxAudioSeconds };
    this.views = new ModelViews(options.catalogue ?? [], () => this.pages.all(), this.limits, options.defaultModel);
    this.admission = new Admission({ maxQueue: this.maxQueue, maxClientQueue: this.maxClientQueue }, (model, source) => {
      const record = this.record(model);
      record.dropped++;
      this.emit('dropped', { model, source, total: record.dropped });
    });
    this.dispatch = new Dispatch({
      entered: (r) => { this.pages.busy(r.page, 1, r.model !== undefined); if (r.model !== undefined) this.admission.count(r.model, 1); },
      left: (r) => { this.pages.busy(r.page, -1, r.model !== undefined); if (r.model !== undefined) this.admission.count(r.model, -1); },
    });
    // Registered first, so that every other listener of 'models' reads fresh views.
    this.on('models', () => this.views.invalidate());
  }

  // ── pages ──────────────────────────────────────────────────────────────────────────────────────

  addPage(page: PageLink): void {
    this.pages.add(page);
    this.emit('models');
  }

  /** The page announced a new set of models. */
  pageChanged(): void {
    this.emit('models');
  }

  /** The page went away: everything it held fails now, not at its timeout. */
  removePage(page: PageLink, why: string): void {
    if (!this.pages.remove(page)) return;
    this.dispatch.pageGone(page, why);
    this.emit('pageRemoved', { page: page.id, why, ...(page.label !== undefined && { label: page.label }) });
    this.emit('models');
  }

  /** The page reported something on its own (see PageEvent). */
  pageEvent<K extends PageEventKind>(page: PageLink, kind: K, payload: PageEvents[K]): void {
    if (!this.pages.has(page)) return;
    this.emit('pageEvent', { page: page.id, kind, payload } as PageEvent);
  }

  get pageCount(): number {
    return this.pages.count;
  }

  /** Queries run once more on another page because theirs went away mid-run, since the bridge started. */
  get retries(): number {
    return this.retried;
  }

  /** Each page: its id, models and load. */
  pageSummaries(): PageSummary[] {
    return this.pages.summaries();
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

  /** Every model known: the catalogue's and every page's, merged by id. */
  models(): ModelView[] {
    return this.views.all();
  }

  /** The id the single-model addresses serve. */
  get defaultModel(): string | undefined {
    return this.views.defaultModel;
  }

  /** A model by id (or the default model), or a `not_found` error naming the ones there are. */
  model(id?: string): ModelView {
    return this.views.get(id);
  }

  lastOutput(id?: string): Values {
    return this.records.get(this.model(id).id)?.lastOutput ?? {};
  }

  lastError(id?: string): string | null {
    return this.records.get(this.model(id).id)?.lastError ?? null;
  }

  /**
   * Whether a query's error was published as its model's failure (the last error, the `failure` event
   * every listener hears). One that was not (a query refused before the model: bad input, no such
   * model, busy, dropped) reaches its asker alone, so the protocol tells the asker itself.
   */
  isPublished(err: unknown): boolean {
    return err instanceof BridgeError && this.published.has(err);
  }

  /** Live frames dropped so far (latest wins), by model. */
  droppedFrames(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [model, r] of this.records) if (r.dropped > 0) out[model] = r.dropped;
    return out;
  }

  /** Queries and calls with pages now, waiting for their answers. */
  get inFlight(): number {
    return this.dispatch.size;
  }

  /** Queries given up on (timed out, client gone) and told to their pages, and what the pages did. */
  cancellations(): Cancellations {
    return this.dispatch.cancellations();
  }

  // ── queries ────────────────────────────────────────────────────────────────────────────────────

  /**
   * Runs a query on a model (the default one when `id` is undefined). Resolves with the outputs, or
   * rejects with a BridgeError; either way the model's last output or error and the events follow.
   */
  async query(id: string | undefined, inputs: unknown, ctx: QueryContext): Promise<Values> {
    return (await this.run(id, inputs, ctx, false)).outputs;
  }

  /**
   * Runs a model on an image and returns its outputs and the image with those outputs drawn on it
   * (JPEG), drawn by the page with the model's adapter. The outputs are published as for `query`; the
   * picture is the asker's alone.
   */
  async annotate(id: string | undefined, inputs: unknown, ctx: QueryContext): Promise<{ outputs: Values; image: Uint8Array }> {
    const { outputs, annotated } = await this.run(id, inputs, ctx, true);
    if (!(annotated instanceof Uint8Array)) throw new BridgeError('model_failed', `the page drew no picture for "${this.model(id).id}"`);
    return { outputs, image: annotated };
  }

  /** Outputs the page produced on its own (its UI, a webcam) are outputs like any other. */
  publish(model: string, outputs: Values, source: string): void {
    this.succeeded(model, outputs, source);
  }

  /**
   * Makes a page call (calls.ts in the contract). Goes to the page `options.page` when given (a
   * program's session lives on one page), else to the least busy page. Settles, times out and fails
   * on page loss exactly as queries do.
   */
  async callPage<K extends PageCall>(kind: K, payload: CallPayload<K>, options: CallOptions): Promise<{ page: string; result: CallResult<K> }> {
    const page = options.page !== undefined ? this.pages.byId(options.page) : this.pages.leastBusy();
    const answer = await this.dispatch.send({ page, what: kind, source: options.source }, options.timeoutMs ?? this.timeoutMs,
      (id) => page.sendCall(id, kind, payload));
    // The page's result is checked as a Values object on arrival; its fields are the page's word.
    return { page: page.id, result: answer.outputs as CallResult<K> };
  }

  /** The page's answer to query or call `id`. */
  settle(page: PageLink, id: number, result: { outputs?: Values; annotated?: Uint8Array; error?: BridgeError }): void {
    this.dispatch.settle(page, id, result);
  }

  /** Fails everything in flight and every live frame still waiting, and every query from now on (shutdown). */
  close(why: string): void {
    this.closedBecause = why;
    this.admission.close(why);
    this.dispatch.close(why);
  }

  private async run(id: string | undefined, inputs: unknown, ctx: QueryContext, annotate: boolean): Promise<Answer> {
    // A query that arrives while the listeners close is answered at once, not left to a page that is going.
    if (this.closedBecause !== undefined) throw new BridgeError('unavailable', this.closedBecause);
    const view = this.model(id);
    const model = view.id;
    const started = performance.now();
    // Whether the query went to a page: what it fails with there is the model's failure (errors.ts).
    let reached = false;
    try {
      // A bad frame fails at once: it never takes or replaces a place in a live lane.
      const checked = this.views.checker(view)(inputs);
      const client = ctx.client === undefined ? undefined : `${ctx.source}:${ctx.client}`;
      // A live client's frames follow one another: the page may track across them, per client.
      const options: QueryOptions = { ...(annotate && { annotate }), ...(ctx.latest && client !== undefined && { track: client }) };
      // A live frame whose page went away is not run again while a newer one of its client's waits.
      const live = !!ctx.latest && this.latestWins && client !== undefined;
      const stale = () => live && this.admission.superseded(client, model, ctx.source);
      const toPage = () => {
        const page = this.pages.forModel(model);
        reached = true;
        return this.toPage(page, model, checked, ctx, options, started, stale);
      };
      if (client === undefined) return await this.admitted(model, toPage);
      if (live) return await this.admission.latest(client, model, ctx.source, () => this.admitted(model, toPage));
      return await this.admitted(model, () => this.admission.asClient(client, toPage));
    } catch (err) {
      const error = toBridgeError(err);
      // A refused query (a dropped frame too) is no failure: /error stays as it was (Runway's Processing
      // library treats a non-null error as a failed query), and nobody hears of it but its asker.
      const ms = performance.now() - started;
      if (isModelFailure(error, reached)) this.fail(model, error, ctx.source, ms);
      else if (error.code !== 'dropped') this.emit('refused', { model, error, source: ctx.source, ms });
      throw error;
    }
  }

  /** Runs `work` once the model has a ready page and room in its queue (`unavailable` or `busy` first). */
  private admitted(model: string, work: () => Promise<Answer>): Promise<Answer> {
    this.pages.forModel(model);
    this.admission.checkModel(model);
    return work();
  }

  private async toPage(page: PageLink, model: string, inputs: Values, ctx: QueryContext, options: QueryOptions, started: number,
    stale: () => boolean): Promise<Answer> {
    const send = (to: PageLink, ms: number) => this.dispatch.send({ page: to, model, what: model, source: ctx.source }, ms,
      (id) => to.sendQuery(id, model, inputs, options), ctx.signal, this.timeoutMs);
    let answer: Answer;
    try {
      answer = await send(page, this.timeoutMs);
    } catch (err) {
      // Its page went away mid-run: once more on another page that has the model, within what is left
      // of --timeout, for every protocol alike. A second loss, or no other page, is the error.
      const left = this.timeoutMs - (performance.now() - started);
      if (!(err instanceof PageGoneError) || left <= 0 || this.closedBecause !== undefined) throw err;
      let other: PageLink;
      try { other = this.pages.forModel(model, page); } catch { throw err; }
      if (stale()) throw new BridgeError('dropped', `dropped: its page went away and a newer frame from this client waits ("${model}" keeps only the latest frame)`);
      this.retried++;
      this.emit('retried', { model, source: ctx.source, from: page.id, to: other.id });
      answer = await send(other, left);
    }
    this.succeeded(model, answer.outputs, ctx.source, performance.now() - started);
    return answer;
  }

  private succeeded(model: string, outputs: Values, source: string, ms?: number): void {
    const record = this.record(model);
    record.lastOutput = outputs;
    record.lastError = null;
    this.emit('output', { model, outputs, source, ...(ms !== undefined ? { ms } : {}) });
  }

  private fail(model: string, error: BridgeError, source: string, ms?: number): void {
    this.published.add(error);
    this.record(model).lastError = error.message;
    this.emit('failure', { model, error, source, ms });
  }

  private record(model: string): ModelRecord {
    let r = this.records.get(model);
    if (!r) this.records.set(model, (r = { lastOutput: undefined, lastError: null, dropped: 0 }));
    return r;
  }
}
