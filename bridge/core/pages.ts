// The connected pages and how busy each is: which page runs a model's next query (the least busy one
// that has it ready), or why none can.
import type { Values, QueryOptions, PageCall, CallPayload } from '../../web/contract/index.ts';
import { BridgeError } from './errors.ts';
import type { ModelAnnouncement } from '../../web/contract/index.ts';

/** A connected page, as the core sees it (the relay implements it). */
export interface PageLink {
  readonly id: string;
  /** The models this page announced, by id. */
  readonly models: ReadonlyMap<string, ModelAnnouncement>;
  /** Sends a query; the page answers through `core.settle(id, …)`. */
  sendQuery(id: number, model: string, inputs: Values, options: QueryOptions): void;
  /** Sends a page call (calls.ts in the contract); the page answers through `core.settle` too. */
  sendCall<K extends PageCall>(id: number, kind: K, payload: CallPayload<K>): void;
  /** Tells the page that nobody waits for query `id` any more: it drops it, answering `dropped`. */
  sendCancel?(id: number, why: string): void;
}

export class Pages {
  /** Each page and the requests it holds. */
  private readonly inFlight = new Map<PageLink, number>();

  add(page: PageLink): void {
    this.inFlight.set(page, 0);
  }

  /** False when the page was not here. */
  remove(page: PageLink): boolean {
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
  busy(page: PageLink, delta: 1 | -1): void {
    const n = this.inFlight.get(page);
    if (n !== undefined) this.inFlight.set(page, n + delta);
  }

  /** The least busy page that has the model ready, or an `unavailable` error saying why there is none. */
  forModel(model: string): PageLink {
    let best: PageLink | undefined;
    const states: string[] = [];
    for (const [page, n] of this.inFlight) {
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
