// A page as the core sees it (a PageLink), in the test's hands: it keeps every query and call it is
// sent until the test answers it, so a test sees exactly what reaches the page and when.
import assert from 'node:assert/strict';
import type { BridgeCore, PageLink } from '../../bridge/core/core.ts';
import type { BridgeError } from '../../bridge/core/errors.ts';
import type { ModelAnnouncement, Values } from '../../web/contract/index.ts';

export const announce = (id: string, state: ModelAnnouncement['state'] = 'ready', extra: Partial<ModelAnnouncement> = {}): ModelAnnouncement => ({
  id, title: id, state,
  info: { inputs: [{ name: 'x', type: 'number' }], outputs: [{ name: 'y', type: 'number' }] },
  ...extra,
});

export class FakePage implements PageLink {
  readonly models = new Map<string, ModelAnnouncement>();
  readonly sent: { id: number; model: string; x: number; annotate?: boolean }[] = [];
  readonly calls: { id: number; kind: string; payload: unknown }[] = [];
  /** Set to make sending fail, as a closing WebSocket does. */
  broken = false;

  constructor(readonly id: string, models: (string | ModelAnnouncement)[]) {
    for (const m of models) {
      const a = typeof m === 'string' ? announce(m) : m;
      this.models.set(a.id, a);
    }
  }

  sendQuery(id: number, model: string, inputs: Values, options: { annotate?: boolean } = {}): void {
    if (this.broken) throw new Error('the page connection is closing');
    this.sent.push({ id, model, x: inputs.x as number, ...(options.annotate ? { annotate: true } : {}) });
  }

  sendCall(id: number, kind: string, payload: unknown): void {
    if (this.broken) throw new Error('the page connection is closing');
    this.calls.push({ id, kind, payload });
  }

  /** Answers the oldest query it holds with y = x (or an error); returns its x. */
  answer(core: BridgeCore, error?: BridgeError, annotated?: Uint8Array): number {
    const q = this.sent.shift();
    assert.ok(q, 'the page holds no query to answer');
    core.settle(this, q.id, error ? { error } : { outputs: { y: q.x }, annotated });
    return q.x;
  }
}

/** Settles a query into what its asker would see: the answer's y, or the error's code. */
export const outcome = (p: Promise<Values>) => p.then((v) => v.y as number, (e: BridgeError) => e.code);
export const tick = () => new Promise((r) => setImmediate(r));
