// Requests waiting for their answers, by id: the bridge's core (queries and calls sent to pages), the
// page's program runner (a program's predictions) and a program's worker (its requests to the page).

// Timers exist on both sides (browsers, workers, Node); this module is typed without DOM or Node types.
interface Timers {
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(timer: unknown): void;
}
const timers = globalThis as unknown as Timers;

interface Entry<T, M> {
  meta: M;
  timer: unknown;
  resolve: (value: T) => void;
  reject: (error: Error) => void;
}

export interface PendingOptions<M> {
  /** Runs once for every request that leaves the table, however it leaves (answer, failure, timeout). */
  onSettled?: (meta: M) => void;
}

export class PendingTable<T, M = undefined> {
  private nextId = 1;
  private readonly entries = new Map<number, Entry<T, M>>();

  constructor(private readonly options: PendingOptions<M> = {}) {}

  /**
   * A new request under a fresh id, carrying `meta`. With `timeout`, it fails with `timeout.error()` after
   * `timeout.ms` unless it was answered first (and then `timeout.expired()` runs).
   */
  add(meta: M, timeout?: { ms: number; error: (meta: M) => Error; expired?: (id: number, meta: M) => void }): { id: number; answer: Promise<T> } {
    const id = this.nextId++;
    const answer = new Promise<T>((resolve, reject) => {
      // `expired` hears of it after the request has left, so that whoever ran it may stop.
      const timer = timeout && timers.setTimeout(() => { if (this.fail(id, timeout.error(meta))) timeout.expired?.(id, meta); }, timeout.ms);
      this.entries.set(id, { meta, timer, resolve, reject });
    });
    return { id, answer };
  }

  /** The request's meta while it waits; undefined once it has left (answered, failed, timed out). */
  get(id: number): M | undefined {
    return this.entries.get(id)?.meta;
  }

  /** Answers request `id`; false when it is no longer waiting (late, or never was). */
  settle(id: number, value: T): boolean {
    const e = this.take(id);
    e?.resolve(value);
    return e !== undefined;
  }

  fail(id: number, error: Error): boolean {
    const e = this.take(id);
    e?.reject(error);
    return e !== undefined;
  }

  /** Fails every waiting request whose meta matches (all of them without `which`). */
  failWhere(error: (meta: M) => Error, which: (meta: M) => boolean = () => true): void {
    for (const [id, e] of [...this.entries]) if (which(e.meta)) this.fail(id, error(e.meta));
  }

  get size(): number {
    return this.entries.size;
  }

  private take(id: number): Entry<T, M> | undefined {
    const e = this.entries.get(id);
    if (!e) return undefined;
    this.entries.delete(id);
    if (e.timer !== undefined) timers.clearTimeout(e.timer);
    this.options.onSettled?.(e.meta);
    return e;
  }
}
