// One query's life in the core, from its arrival to its answer: its inputs checked against its model's
// info (model-views.ts), admission (queue caps, latest wins: admission.ts), the least busy page that has
// the model (pages.ts), its request there with its timeout and its cancellation when its client goes
// (dispatch.ts), and once more on another page when its page goes away mid-run. How it ended (an
// output, its model's failure, a refusal) goes to the facade (core.ts), which keeps and publishes it.
import type { QueryOptions, Values } from '../../web/contract/index.ts';
import type { Admission } from './admission.ts';
import { PageGoneError, type Answer, type Dispatch } from './dispatch.ts';
import { BridgeError, isModelFailure, toBridgeError } from './errors.ts';
import type { ModelViews } from './model-views.ts';
import type { PageLink, Pages } from './pages.ts';

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

/** The core's parts a query goes through; the facade (core.ts) makes them and shares them. */
export interface QueryParts {
  views: ModelViews;
  pages: Pages;
  admission: Admission;
  dispatch: Dispatch;
}

export interface QuerySettings {
  /** --timeout, from the query's arrival to its answer, a second page's run included. */
  timeoutMs: number;
  /** Live frames drop stale ones (QueryContext.latest). */
  latestWins: boolean;
}

/** How queries end, for the facade to keep and publish. `ms`: from the query's arrival. */
export interface QueryEnds {
  /** A page answered it. */
  succeeded(model: string, outputs: Values, source: string, ms: number): void;
  /** It failed at its model (errors.ts, isModelFailure): the model's failure, which every listener hears. */
  failed(model: string, error: BridgeError, source: string, ms: number): void;
  /** It was refused before its model (bad input, busy, no page): its asker's alone. Not a dropped frame. */
  refused(model: string, error: BridgeError, source: string, ms: number): void;
  /** It went once more to page `to`, its page `from` having gone away mid-run. */
  retried(model: string, source: string, from: string, to: string): void;
}

export class Queries {
  /** Why queries are no longer taken (shutdown), once they are not. */
  private closedBecause: string | undefined;
  private retried = 0;

  constructor(private readonly parts: QueryParts, private readonly settings: QuerySettings, private readonly ends: QueryEnds) {}

  /** Queries run once more on another page because theirs went away mid-run, since the bridge started. */
  get retries(): number {
    return this.retried;
  }

  /** Fails every live frame still waiting, and every query from now on (shutdown). */
  close(why: string): void {
    this.closedBecause = why;
    this.parts.admission.close(why);
  }

  /**
   * Runs a query on a model (the default one when `id` is undefined): resolves with the page's answer,
   * or rejects with a BridgeError; either way its end is told first (QueryEnds).
   */
  async run(id: string | undefined, inputs: unknown, ctx: QueryContext, annotate: boolean): Promise<Answer> {
    const { views, admission } = this.parts;
    // A query that arrives while the listeners close is answered at once, not left to a page that is going.
    if (this.closedBecause !== undefined) throw new BridgeError('unavailable', this.closedBecause);
    const view = views.get(id);
    const model = view.id;
    const started = performance.now();
    // Whether the query went to a page: what it fails with there is the model's failure (errors.ts).
    let reached = false;
    try {
      // A bad frame fails at once: it never takes or replaces a place in a live lane.
      const checked = views.checker(view)(inputs);
      const client = ctx.client === undefined ? undefined : `${ctx.source}:${ctx.client}`;
      // A live client's frames follow one another: the page may track across them, per client.
      const options: QueryOptions = { ...(annotate && { annotate }), ...(ctx.latest && client !== undefined && { track: client }) };
      // A live frame whose page went away is not run again while a newer one of its client's waits.
      const live = !!ctx.latest && this.settings.latestWins && client !== undefined;
      const stale = () => live && admission.superseded(client, model, ctx.source);
      const toPage = () => {
        const page = this.parts.pages.forModel(model);
        reached = true;
        return this.toPage(page, model, checked, ctx, options, started, stale);
      };
      if (client === undefined) return await this.admitted(model, toPage);
      if (live) return await admission.latest(client, model, ctx.source, () => this.admitted(model, toPage));
      return await this.admitted(model, () => admission.asClient(client, toPage));
    } catch (err) {
      const error = toBridgeError(err);
      // A refused query (a dropped frame too) is no failure: /error stays as it was (Runway's Processing
      // library treats a non-null error as a failed query), and nobody hears of it but its asker.
      const ms = performance.now() - started;
      if (isModelFailure(error, reached)) this.ends.failed(model, error, ctx.source, ms);
      else if (error.code !== 'dropped') this.ends.refused(model, error, ctx.source, ms);
      throw error;
    }
  }

  /** Runs `work` once the model has a ready page and room in its queue (`unavailable` or `busy` first). */
  private admitted(model: string, work: () => Promise<Answer>): Promise<Answer> {
    this.parts.pages.forModel(model);
    this.parts.admission.checkModel(model);
    return work();
  }

  private async toPage(page: PageLink, model: string, inputs: Values, ctx: QueryContext, options: QueryOptions, started: number,
    stale: () => boolean): Promise<Answer> {
    const { timeoutMs } = this.settings;
    const send = (to: PageLink, ms: number) => this.parts.dispatch.send({ page: to, model, what: model, source: ctx.source }, ms,
      (id) => to.sendQuery(id, model, inputs, options), ctx.signal, timeoutMs);
    let answer: Answer;
    try {
      answer = await send(page, timeoutMs);
    } catch (err) {
      // Its page went away mid-run: once more on another page that has the model, within what is left
      // of --timeout, for every protocol alike. A second loss, or no other page, is the error.
      const left = timeoutMs - (performance.now() - started);
      if (!(err instanceof PageGoneError) || left <= 0 || this.closedBecause !== undefined) throw err;
      let other: PageLink;
      try { other = this.parts.pages.forModel(model, page); } catch { throw err; }
      if (stale()) throw new BridgeError('dropped', `dropped: its page went away and a newer frame from this client waits ("${model}" keeps only the latest frame)`);
      this.retried++;
      this.ends.retried(model, ctx.source, page.id, other.id);
      answer = await send(other, left);
    }
    this.ends.succeeded(model, answer.outputs, ctx.source, performance.now() - started);
    return answer;
  }
}
