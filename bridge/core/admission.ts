// Who may wait for a page, and how many: a cap on queries waiting on one model (--max-queue) and on
// one client (--max-client-queue), and latest wins for live frames (one lane per client and model).
import { BridgeError } from './errors.ts';

export interface AdmissionLimits {
  /** Most queries waiting on one model at once; more get "busy". */
  maxQueue: number;
  /** Most queries one client may have waiting at once; more get "busy". Live frames (latest wins) are
   *  bounded by their lane instead: one with the page and one waiting, per client and model. */
  maxClientQueue: number;
}

/**
 * One live client's frames for one model: while one is with the page, the lane exists; `waiting` holds
 * at most one more, the newest. When the one with the page settles, the waiting one goes next.
 */
interface Lane {
  waiting?: { go: () => void; drop: (error: BridgeError) => void };
}

export class Admission {
  /** Queries with a page, by model. */
  private readonly queued = new Map<string, number>();
  /** Queries waiting or with a page, by client. */
  private readonly byClient = new Map<string, number>();
  /** Live lanes, by client and model (see Lane). */
  private readonly lanes = new Map<string, Lane>();

  /** `dropped`: a live frame of `model` from `source` was dropped for a newer one. */
  constructor(private readonly limits: AdmissionLimits, private readonly dropped: (model: string, source: string) => void) {}

  /** Throws `busy` when the model already has --max-queue queries with pages. */
  checkModel(model: string): void {
    const n = this.queued.get(model) ?? 0;
    if (n >= this.limits.maxQueue) {
      throw new BridgeError('busy', `"${model}" has ${n} queries waiting, the most allowed (--max-queue); retry shortly`, 1);
    }
  }

  /** A query of `model` went to a page (+1) or left it (-1). */
  count(model: string, delta: 1 | -1): void {
    const n = (this.queued.get(model) ?? 0) + delta;
    if (n > 0) this.queued.set(model, n);
    else this.queued.delete(model);
  }

  /** Runs `work` as one of `client`'s queries, or throws `busy` when it has --max-client-queue already. */
  async asClient<T>(client: string, work: () => Promise<T>): Promise<T> {
    const mine = this.byClient.get(client) ?? 0;
    if (mine >= this.limits.maxClientQueue) {
      throw new BridgeError('busy', `this client has ${mine} queries waiting, the most allowed for one client (--max-client-queue); wait for answers before sending more`, 1);
    }
    this.byClient.set(client, mine + 1);
    try {
      return await work();
    } finally {
      const n = (this.byClient.get(client) ?? 1) - 1;
      if (n > 0) this.byClient.set(client, n);
      else this.byClient.delete(client);
    }
  }

  /**
   * Latest wins: a live frame runs (`work`) at once when none of this client's frames of the model is with
   * the page; otherwise it waits as the newest, dropping the frame that waited before it with a `dropped`
   * error. So a client that sends faster than the model answers gets answers to recent frames, never to a
   * growing backlog.
   */
  async latest<T>(client: string, model: string, source: string, work: () => Promise<T>): Promise<T> {
    const key = `${client}\n${model}`;
    let lane = this.lanes.get(key);
    if (lane) {
      const mine = lane;
      await new Promise<void>((go, drop) => {
        const older = mine.waiting;
        mine.waiting = { go, drop };
        if (older) {
          older.drop(new BridgeError('dropped', `dropped: a newer frame from this client replaced it while "${model}" was busy (live input keeps only the latest frame; start the bridge with --no-latest-wins to have every frame answered)`));
          this.dropped(model, source);
        }
      });
      // The frame before this one settled and handed the lane over (see `finally` below).
    } else this.lanes.set(key, (lane = {}));
    try {
      return await work();
    } finally {
      const next = lane.waiting;
      lane.waiting = undefined;
      if (next) next.go();
      else this.lanes.delete(key);
    }
  }

  /**
   * True when a newer frame of `client`'s waits behind the one with the page: that one, its page gone,
   * is dropped (counted) instead of run again elsewhere.
   */
  superseded(client: string, model: string, source: string): boolean {
    if (!this.lanes.get(`${client}\n${model}`)?.waiting) return false;
    this.dropped(model, source);
    return true;
  }

  /** Fails every live frame still waiting in a lane (shutdown). */
  close(why: string): void {
    for (const lane of this.lanes.values()) {
      const waiting = lane.waiting;
      lane.waiting = undefined;
      waiting?.drop(new BridgeError('unavailable', why));
    }
  }
}
