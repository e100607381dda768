// The bridge core: the only place that knows models, checks queries, routes them to a page, applies
// timeouts and queue limits (and drops stale live frames: latest wins), keeps each model's last output
// and error, and publishes outputs and failures as events. Protocol modules translate to and from these
// calls and events. This facade puts together the parts, one file each: model-views.ts (which models
// there are), pages.ts (which page runs a query), admission.ts (queue caps, latest wins), dispatch.ts
// (ids, answers, timeouts, page loss) and queries.ts (one query's way through them, a second page's run
// included); it keeps what queries and pages leave (last output and error, drops) and publishes it.
import { EventEmitter } from 'node:events';
import {
  DEFAULT_MEDIA_LIMITS,
  type CallPayload, type CallResult, type MediaLimits, type ModelManifest, type PageCall, type Values, type PageEventKind, type PageEvents,
  type PageSummary,
} from '../../web/contract/index.ts';
import { Admission } from './admission.ts';
import { Dispatch, type Cancellations } from './dispatch.ts';
import { BridgeError } from './errors.ts';
import { ModelViews, type ModelView } from './model-views.ts';
import { Pages, type PageLink } from './pages.ts';
import { Queries, type QueryContext } from './queries.ts';

export type { ModelView } from './model-views.ts';
export type { PageLink } from './pages.ts';
export type { Cancellations } from './dispatch.ts';
export type { QueryContext } from './queries.ts';

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
  private readonly queries: Queries;
  private readonly records = new Map<string, ModelRecord>();
  /** Errors published as a model's failure (errors.ts, isModelFailure); any other was its asker's alone. */
  private readonly published = new WeakSet<BridgeError>();
  private readonly clients: Record<string, number> = {};

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
    this.queries = new Queries({ views: this.views, pages: this.pages, admission: this.admission, dispatch: this.dispatch },
      { timeoutMs: this.timeoutMs, latestWins: this.latestWins }, {
        succeeded: (model, outputs, source, ms) => this.succeeded(model, outputs, source, ms),
        failed: (model, error, source, ms) => this.fail(model, error, source, ms),
        refused: (model, error, source, ms) => this.emit('refused', { model, error, source, ms }),
        retried: (model, source, from, to) => this.emit('retried', { model, source, from, to }),
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
    return this.queries.retries;
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
    return (await this.queries.run(id, inputs, ctx, false)).outputs;
  }

  /**
   * Runs a model on an image and returns its outputs and the image with those outputs drawn on it
   * (JPEG), drawn by the page with the model's adapter. The outputs are published as for `query`; the
   * picture is the asker's alone.
   */
  async annotate(id: string | undefined, inputs: unknown, ctx: QueryContext): Promise<{ outputs: Values; image: Uint8Array }> {
    const { outputs, annotated } = await this.queries.run(id, inputs, ctx, true);
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
    this.queries.close(why);
    this.dispatch.close(why);
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
