// The connected pages and how busy each is: which page runs a model's next query (the least busy one
// that has it ready), or why none can.
import type { Values, QueryOptions, PageCall, CallPayload, PageSummary } from '../../web/contract/index.ts';
import { BridgeError } from './errors.ts';
import type { ModelAnnouncement } from '../../web/contract/index.ts';

/** A connected page, as the core sees it (the relay implements it). */
export interface PageLink {
  readonly id: string;
  /** The models this page announced, by id. */
  readonly models: ReadonlyMap<string, ModelAnnouncement>;
  /** Which page this is to a person: the headless page the bridge started ("headless 2"), if it is one. */
  readonly label?: string;
  /** Where its connection comes from (an IP address): this machine's loopback, or another machine. */
  readonly address?: string;
  /** Sends a query; the page answers through `core.settle(id, …)`. */
  sendQuery(id: number, model: string, inputs: Values, options: QueryOptions): void;
  /** Sends a page call (calls.ts in the contract); the page answers through `core.settle` too. */
  sendCall<K extends PageCall>(id: number, kind: K, payload: CallPayload<K>): void;
  /** Tells the page that nobody waits for query `id` any more: it drops it, answering `dropped`. */
  sendCancel?(id: number, why: string): void;
}

/** What a page holds: requests (queries and calls), and of them the queries (which it runs one at a time). */
interface Load { requests: number; queries: number }

export class Pages {
  /** Each page and the requests it holds. */
  private readonly inFlight = new Map<PageLink, number>();
  private readonly queries = new Map<PageLink, number>();

  add(page: PageLink): void {
    this.inFlight.set(page, 0);
    this.queries.set(page, 0);
  }

  /** False when the page was not here. */
  remove(page: PageLink): boolean {
    this.queries.delete(page);
    return this.inFlight.delete(page);
  }

  has(page: PageLink): boolean {
    return this.inFlight.has(page);
  }

  get count(): number {
    return this.inFlight.size;
  }

  all(): IterableIterator<PageLink> {
    return this.inFlight.keys();
  }

  /** A request went to the page (+1) or left it (-1); a page that is gone counts nothing. */
  busy(page: PageLink, delta: 1 | -1, query = false): void {
    const n = this.inFlight.get(page);
    if (n !== undefined) this.inFlight.set(page, n + delta);
    const q = this.queries.get(page);
    if (query && q !== undefined) this.queries.set(page, q + delta);
  }

  /** Each page: its models and how busy it is (/health, the page's Network panel). */
  summaries(): PageSummary[] {
    return [...this.inFlight.keys()].map((page) => {
      const load: Load = { requests: this.inFlight.get(page) ?? 0, queries: this.queries.get(page) ?? 0 };
      return {
        id: page.id, ...(page.label !== undefined && { label: page.label }), ...(page.address !== undefined && { address: page.address }),
        models: [...page.models.values()].map((m) => ({ id: m.id, state: m.state, backend: m.backend ?? null })),
        // The page runs one inference at a time (web/runtime/run-queue.ts): the rest of its queries wait there.
        inFlight: load.requests, queued: Math.max(0, load.queries - 1),
      };
    });
  }

  /**
   * The least busy page that has the model ready (other than `except`), or an `unavailable` error saying
   * why there is none.
   */
  forModel(model: string, except?: PageLink): PageLink {
    let best: PageLink | undefined;
    const states: string[] = [];
    for (const [page, n] of this.inFlight) {
      if (page === except) continue;
      const a = page.models.get(model);
      if (!a) continue;
      if (a.state !== 'ready') { states.push(a.error ? `${a.state}: ${a.error}` : a.state); continue; }
      if (!best || n < this.inFlight.get(best)!) best = page;
    }
    if (best) return best;
    if (this.count === 0) throw new BridgeError('unavailable', `no page is connected to run "${model}": open the page or start the bridge with --headless`, 2);
    if (states.length) throw new BridgeError('unavailable', `"${model}" is not ready on any page (${states.join('; ')})`, 2);
    throw new BridgeError('unavailable', `no connected page has loaded "${model}"`, 2);
  }

  byId(id: string): PageLink {
    for (const page of this.inFlight.keys()) if (page.id === id) return page;
    throw new BridgeError('unavailable', `page ${id} is no longer connected`);
  }

  leastBusy(): PageLink {
    let best: PageLink | undefined;
    for (const [page, n] of this.inFlight) if (!best || n < this.inFlight.get(best)!) best = page;
    if (!best) throw new BridgeError('unavailable', 'no page is connected: open the page or start the bridge with --headless', 2);
    return best;
  }
}
