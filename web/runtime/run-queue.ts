// One inference at a time per worker. onnxruntime-web keeps one run in progress per runtime (a second
// one that starts while the first awaits fails with "Session mismatch"), and stateful adapters (voice
// activity's streams) expect their queries in order.

export class RunQueue {
  private tail: Promise<unknown> = Promise.resolve();

  /** Runs `work` after everything queued before it. */
  run<T>(work: () => Promise<T>): Promise<T> {
    const next = this.tail.then(work);
    this.tail = next.catch(() => {});
    return next;
  }
}
