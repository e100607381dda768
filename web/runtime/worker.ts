// The runtime worker's root: the runtime (web/runtime/runtime.ts) over comlink, for the page and the
// embed API, and the relay's page end (web/relay/link.ts), imported only when a page connects it. The
// relay runs here, beside the models: a query from the bridge never waits on the page's main thread.
import * as Comlink from 'comlink';
import type { Backend, ModelAnnouncement, ModelManifest, PageEventKind, PageEvents, QueryAnswer, QueryOptions, Values } from '../contract/index.ts';
import type { RelayPageRemote } from '../relay/client.ts';
import type { RelayLink } from '../relay/link.ts';
import { Runtime, type LoadProgress, type LoadResult } from './runtime.ts';

export type { LoadProgress, LoadResult };

const runtime = new Runtime();
let relay: Promise<RelayLink> | undefined;
const relayLink = () => (relay ??= import('../relay/link.ts').then(({ RelayLink }) => new RelayLink(runtime)));

const api = {
  load(manifest: ModelManifest, baseUrl: string, prefer: Backend | 'auto' = 'auto', onProgress?: (p: LoadProgress) => void,
    warm = true): Promise<LoadResult> {
    return runtime.load(manifest, baseUrl, prefer, onProgress, warm);
  },

  loadBytes(id: string, title: string, weights: Uint8Array, baseUrl: string, prefer: Backend | 'auto' = 'auto'): Promise<LoadResult & { manifest: ModelManifest }> {
    return runtime.loadBytes(id, title, weights, baseUrl, prefer);
  },

  /** Runs a model; an annotated picture crosses to the page without a copy. */
  async run(id: string, inputs: Values, options: QueryOptions = {}): Promise<QueryAnswer> {
    const answer = await runtime.run(id, inputs, options);
    return answer.annotated ? Comlink.transfer(answer, [answer.annotated.buffer]) : answer;
  },

  unload(id: string): Promise<void> {
    return runtime.unload(id);
  },

  async relayConnect(url: string, page: RelayPageRemote): Promise<void> {
    (await relayLink()).connect(url, page);
  },

  async relayAnnounce(list: ModelAnnouncement[]): Promise<void> {
    (await relayLink()).announce(list);
  },

  /** A program's query through the bridge; the answer or the error with its code (a thrown error would lose it). */
  async relayQuery(session: number, model: string, inputs: Values): Promise<{ outputs: Values } | { error: { code?: unknown; message: string } }> {
    try {
      return { outputs: await (await relayLink()).query(session, model, inputs) };
    } catch (err) {
      const e = err as Error & { code?: unknown };
      return { error: { code: e.code, message: e.message } };
    }
  },

  async relayPublish(model: string, outputs: Values, source: string): Promise<void> {
    (await relay)?.publish(model, outputs, source);
  },

  async relayEvent<K extends PageEventKind>(kind: K, payload: PageEvents[K]): Promise<void> {
    (await relay)?.event(kind, payload);
  },

  async relayClose(): Promise<void> {
    (await relay)?.close();
  },
};

export type RuntimeWorker = typeof api;

Comlink.expose(api);
