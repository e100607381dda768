// The page's end of the bridge's relay as the page's main thread sees it: the relay itself runs in the
// runtime worker (web/relay/link.ts); the page answers page calls and hears state and activity.
import * as Comlink from 'comlink';
import type { ModelAnnouncement, PageEventKind, PageEvents, Values } from '../contract/index.ts';
import { acquireRuntime, releaseRuntime } from '../runtime/worker-handle.ts';
import type { RelayPageHandlers, RelayPageRemote } from './client.ts';

/** The page's end of the bridge's relay, running in the runtime worker (see RelayClient). */
export interface PageRelay {
  /** Tells the bridge which models this page has (call again whenever that changes). */
  announce(): void;
  /** An output the page made on its own (its UI): the bridge passes it on like any other. */
  publish(model: string, outputs: Values, source?: string): void;
  /** Something the page reports on its own (a program ended). */
  event<K extends PageEventKind>(kind: K, payload: PageEvents[K]): void;
  /**
   * A query of the page's program `session`, run through the bridge: admitted like any client's there
   * (--max-queue, and --max-client-queue for each program). Past them it fails with a "busy: …" Error.
   */
  query(session: number, model: string, inputs: Values): Promise<Values>;
  close(): void;
}

/**
 * Connects the runtime worker to a bridge's relay: queries from the bridge run in the worker and are
 * answered from there. `page` handles what needs the page (programs) and hears state and activity;
 * `models` says what to announce.
 */
export function connectRelay(url: string, models: () => ModelAnnouncement[], page: RelayPageHandlers): PageRelay {
  const w = acquireRuntime(); // the worker lives while the relay does
  const remote: RelayPageRemote = {
    status: (state, hello) => page.status(state, hello),
    paired: (secret) => page.paired(secret),
    activity: (entries, clients, dropped, pages) => page.activity(entries, clients, dropped, pages),
    call: async (kind, payload) => {
      try {
        return { outputs: await page.call(kind, payload as never) as Values };
      } catch (err) {
        const e = err as Error & { code?: unknown };
        return { error: { code: e.code, name: e.name, message: e.message } };
      }
    },
  };
  void w.remote.relayConnect(url, Comlink.proxy(remote));
  let closed = false;
  return {
    announce: () => void w.remote.relayAnnounce(models()),
    publish: (model, outputs, source = 'page') => void w.remote.relayPublish(model, outputs, source),
    event: (kind, payload) => void w.remote.relayEvent(kind, payload),
    query: async (session, model, inputs) => {
      const answer = await w.remote.relayQuery(session, model, inputs);
      if ('outputs' in answer) return answer.outputs;
      const { code, message } = answer.error;
      throw Object.assign(new Error(code === 'busy' ? `busy: ${message}` : message), { code });
    },
    close: () => {
      if (closed) return;
      closed = true;
      void w.remote.relayClose();
      releaseRuntime(w);
    },
  };
}
