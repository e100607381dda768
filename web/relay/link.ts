// The relay's page end as the runtime worker holds it: one RelayClient at a time, fed by the runtime
// for queries and by the page (over comlink) for page calls, state and activity. Loaded by
// web/runtime/worker.ts only when a page connects to a bridge, so the embed API carries none of it.
import type { MediaLimits, ModelAnnouncement, PageEventKind, PageEvents, QueryAnswer, QueryOptions, Values } from '../contract/index.ts';
import { RelayClient, type RelayPageRemote } from './client.ts';

/** What the link needs of the runtime: running a model (`signal`: the bridge cancelled it), and the
 *  bridge's limits on what one query may cost to decode. */
export interface ModelRunner {
  run(id: string, inputs: Values, options: QueryOptions, signal?: AbortSignal): Promise<QueryAnswer>;
  setLimits(limits: MediaLimits): void;
}

export class RelayLink {
  private client: RelayClient | undefined;
  /** The page's models, kept for reconnects. */
  private announced: ModelAnnouncement[] = [];

  constructor(private readonly runtime: ModelRunner) {}

  /** Connects to the bridge's relay at `url`; `page` answers what only the page can (programs) and
   *  hears the connection's state and the bridge's activity. */
  connect(url: string, page: RelayPageRemote): void {
    this.client?.close();
    this.client = new RelayClient(url, {
      models: () => this.announced,
      query: (id, inputs, options, signal) => this.runtime.run(id, inputs, options, signal),
      call: async (kind, payload) => {
        const answer = await page.call(kind, payload as Values);
        if (answer.error) throw Object.assign(new Error(answer.error.message), { name: answer.error.name, code: answer.error.code });
        return answer.outputs as never;
      },
      status: (state, hello) => {
        if (hello?.limits) this.runtime.setLimits(hello.limits);
        void page.status(state, hello);
      },
      paired: (secret) => void page.paired(secret),
      activity: (entries, clients, dropped, pages) => void page.activity(entries, clients, dropped, pages),
    });
    this.client.connect();
  }

  /** The page's models changed: tell the bridge. */
  announce(list: ModelAnnouncement[]): void {
    this.announced = list;
    this.client?.announce();
  }

  /** A query of the page's program `session`, run by the bridge under its admission (RelayClient.query). */
  query(session: number, model: string, inputs: Values): Promise<Values> {
    if (!this.client) return Promise.reject(Object.assign(new Error('the page is not connected to a bridge'), { code: 'unavailable' }));
    return this.client.query(session, model, inputs);
  }

  publish(model: string, outputs: Values, source: string): void {
    this.client?.publish(model, outputs, source);
  }

  event<K extends PageEventKind>(kind: K, payload: PageEvents[K]): void {
    this.client?.event(kind, payload);
  }

  close(): void {
    this.client?.close();
    this.client = undefined;
  }
}
