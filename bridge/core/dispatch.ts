// Requests with pages: each gets an id, waits for the page's answer (`settle`), and fails at its
// timeout, or at once when its page goes away.
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

export class Dispatch {
  private readonly pending: PendingTable<Answer, PageRequest>;

  constructor(private readonly hooks: DispatchHooks) {
    this.pending = new PendingTable({ onSettled: hooks.left });
  }

  /** Sends `request` under a fresh id (`transmit` puts it on the wire) and waits for its answer. */
  send(request: PageRequest, timeoutMs: number, transmit: (id: number) => void): Promise<Answer> {
    const { id, answer } = this.pending.add(request, {
      ms: timeoutMs,
      error: (r) => new BridgeError('timeout', r.model !== undefined
        ? `"${r.model}" did not answer within ${timeoutMs / 1000} s (--timeout)`
        : `the page did not answer "${r.what}" within ${timeoutMs / 1000} s`),
    });
    this.hooks.entered(request);
    try {
      transmit(id);
    } catch (err) {
      this.pending.fail(id, new BridgeError('unavailable', `could not reach the page: ${(err as Error).message}`));
    }
    return answer;
  }

  /** The page's answer to request `id`; a late one (timed out) or another page's is ignored. */
  settle(page: PageLink, id: number, result: { outputs?: Values; annotated?: Uint8Array; error?: BridgeError }): void {
    if (this.pending.get(id)?.page !== page) return;
    if (result.error) this.pending.fail(id, result.error);
    else this.pending.settle(id, { outputs: result.outputs ?? {}, annotated: result.annotated });
  }

  /** The page went away: everything it held fails now, not at its timeout. */
  pageGone(page: PageLink, why: string): void {
    this.pending.failWhere((r) => new BridgeError('unavailable', r.model !== undefined
      ? `the page running "${r.model}" went away before answering (${why}); retry once a page is connected`
      : `the page went away before answering "${r.what}" (${why})`), (r) => r.page === page);
  }

  /** Fails everything in flight (shutdown). */
  close(why: string): void {
    this.pending.failWhere(() => new BridgeError('unavailable', why));
  }
}
