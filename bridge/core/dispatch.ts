// Requests with pages: each gets an id, waits for the page's answer (`settle`), and fails at its
// timeout, or at once when its page goes away or its client does. A query given up on (timed out, its
// client gone) is cancelled on its page too, so that work nobody waits for stops holding the page.
import { PendingTable, type Values } from '../../web/contract/index.ts';
import { BridgeError } from './errors.ts';
import type { PageLink } from './pages.ts';

/** A page's answer: outputs (a call's result), and for an annotated query its picture (JPEG). */
export interface Answer {
  outputs: Values;
  annotated?: Uint8Array;
}

/** A request with a page. */
export interface PageRequest {
  page: PageLink;
  /** The model a query runs; undefined for a call. */
  model?: string;
  /** What the page was asked, for error messages ("face-detection", "program.run"). */
  what: string;
  source: string;
}

export interface DispatchHooks {
  /** A request went to its page. */
  entered(request: PageRequest): void;
  /** A request left its page: answered, failed, timed out or lost with it. */
  left(request: PageRequest): void;
}

/** Queries the bridge gave up on and told their pages to drop, and what the pages answered for them. */
export interface Cancellations {
  /** Cancels sent: the query timed out or its client went away while its page held it. */
  sent: number;
  /** The page answered that it dropped the query (before running it, or between two steps). */
  droppedByPage: number;
  /** The page had finished the query before the cancel reached it. */
  finishedAnyway: number;
}

/** Cancelled queries whose late answers are still looked for; past this the oldest are forgotten. */
const REMEMBER_CANCELLED = 10_000;

export class Dispatch {
  private readonly pending: PendingTable<Answer, PageRequest>;
  /** Cancelled query ids, by the page that held them, until the page's late answer comes. */
  private readonly cancelled = new Map<number, PageLink>();
  private readonly counts: Cancellations = { sent: 0, droppedByPage: 0, finishedAnyway: 0 };

  constructor(private readonly hooks: DispatchHooks) {
    this.pending = new PendingTable({ onSettled: hooks.left });
  }

  /**
   * Sends `request` under a fresh id (`transmit` puts it on the wire) and waits for its answer. `signal`:
   * the client went away; the request fails as `dropped` and its page is told to drop it.
   */
  send(request: PageRequest, timeoutMs: number, transmit: (id: number) => void, signal?: AbortSignal, statedMs = timeoutMs): Promise<Answer> {
    if (signal?.aborted) return Promise.reject(goneError(request));
    // `statedMs`: the whole query's limit, which a query run again on another page names (it gets what is left).
    const { id, answer } = this.pending.add(request, {
      ms: timeoutMs,
      error: (r) => new BridgeError('timeout', r.model !== undefined
        ? `"${r.model}" did not answer within ${statedMs / 1000} s (--timeout)`
        : `the page did not answer "${r.what}" within ${statedMs / 1000} s`),
      expired: (id, r) => this.cancel(id, r, `it did not answer within ${statedMs / 1000} s (--timeout)`),
    });
    this.hooks.entered(request);
    try {
      transmit(id);
    } catch (err) {
      // Its connection is closing (the page is going, its close not yet heard): the page is as good as gone.
      this.pending.fail(id, new PageGoneError(`could not reach the page: ${(err as Error).message}`));
    }
    if (signal) {
      const onAbort = () => { if (this.pending.fail(id, goneError(request))) this.cancel(id, request, 'its client went away'); };
      signal.addEventListener('abort', onAbort, { once: true });
      const done = () => signal.removeEventListener('abort', onAbort);
      answer.then(done, done);
    }
    return answer;
  }

  /** The page's answer to request `id`; a late one (timed out) or another page's is ignored, but counted
   *  when it answers a cancel. */
  settle(page: PageLink, id: number, result: { outputs?: Values; annotated?: Uint8Array; error?: BridgeError }): void {
    if (this.pending.get(id)?.page !== page) {
      if (this.cancelled.get(id) !== page) return;
      this.cancelled.delete(id);
      if (result.error?.code === 'dropped') this.counts.droppedByPage++;
      else this.counts.finishedAnyway++;
      return;
    }
    // Only the bridge drops a live query; a page's "dropped" for one it was not told to drop is a failure.
    if (result.error) this.pending.fail(id, result.error.code === 'dropped' ? new BridgeError('model_failed', result.error.message) : result.error);
    else this.pending.settle(id, { outputs: result.outputs ?? {}, annotated: result.annotated });
  }

  /** Requests with pages now. */
  get size(): number {
    return this.pending.size;
  }

  cancellations(): Cancellations {
    return { ...this.counts };
  }

  /** The page went away: everything it held fails now, not at its timeout. */
  pageGone(page: PageLink, why: string): void {
    this.pending.failWhere((r) => new PageGoneError(r.model !== undefined
      ? `the page running "${r.model}" went away before answering (${why}); retry once a page is connected`
      : `the page went away before answering "${r.what}" (${why})`), (r) => r.page === page);
    for (const [id, p] of this.cancelled) if (p === page) this.cancelled.delete(id);
  }

  /** Fails everything in flight (shutdown). */
  close(why: string): void {
    this.pending.failWhere(() => new BridgeError('unavailable', why));
  }

  /** Tells the page that held query `id` to drop it (calls run to their end: programs have their own limits). */
  private cancel(id: number, request: PageRequest, why: string): void {
    if (request.model === undefined || !request.page.sendCancel) return;
    try {
      request.page.sendCancel(id, why);
    } catch {
      return; // the page is going: it drops everything anyway
    }
    this.counts.sent++;
    this.cancelled.set(id, request.page);
    if (this.cancelled.size > REMEMBER_CANCELLED) this.cancelled.delete(this.cancelled.keys().next().value!);
  }
}

/** A request whose page went away (or could not be reached) before answering: the core runs a query once
 *  more on another page. */
export class PageGoneError extends BridgeError {
  constructor(message: string) {
    super('unavailable', message);
  }
}

function goneError(r: PageRequest): BridgeError {
  return new BridgeError('dropped', `dropped: the client went away before "${r.model ?? r.what}" answered`);
}
