// One inference at a time per worker. onnxruntime-web keeps one run in progress per runtime (a second
// one that starts while the first awaits fails with "Session mismatch"), and stateful adapters (voice
// activity's streams) expect their queries in order. A run whose asker gave up (`signal`) before its
// turn never starts.
import { Cancelled } from './errors.ts';

export class RunQueue {
  private tail: Promise<unknown> = Promise.resolve();

  /** Runs `work` after everything queued before it, unless `signal` aborted by then. */
  run<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const next = this.tail.then(() => {
      if (signal?.aborted) throw new Cancelled(signal.reason);
      return work();
    });
    this.tail = next.catch(() => {});
    return next;
  }
}
