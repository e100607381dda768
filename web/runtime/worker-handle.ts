// The page's one runtime worker, shared by every model the embed API loads and by the relay: it starts
// with its first user and ends with its last.
import * as Comlink from 'comlink';
import workerUrl from './worker.ts?worker&url';
import type { RuntimeWorker } from './worker.ts';

export interface RuntimeHandle {
  remote: Comlink.Remote<RuntimeWorker>;
  raw: Worker;
  users: number;
}

let current: RuntimeHandle | undefined;

/** The runtime worker (started if there is none), counted as used once more. */
export function acquireRuntime(): RuntimeHandle {
  if (!current) {
    const url = new URL(workerUrl, import.meta.url);
    // A page may load this runtime from another origin (the bridge's port), but a worker script must
    // be same-origin: start it from a same-origin blob that imports the real one (served with CORS).
    const script = url.origin === location.origin ? url.href
      : URL.createObjectURL(new Blob([`import ${JSON.stringify(url.href)};`], { type: 'text/javascript' }));
    const raw = new Worker(script, { type: 'module', name: 'pagebridge-runtime' });
    current = { remote: Comlink.wrap<RuntimeWorker>(raw), raw, users: 0 };
  }
  current.users++;
  return current;
}

/** One user of the worker (a model, the relay) is done with it; the last one ends it. */
export function releaseRuntime(w: RuntimeHandle): void {
  if (--w.users > 0 || current !== w) return;
  w.remote[Comlink.releaseProxy]();
  w.raw.terminate();
  current = undefined;
}
