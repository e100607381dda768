// What the fake page (test/helpers/fake-page.ts) answers, apart from the relay it answers over: the
// models it announces, each query answered as the query itself asks (`act` among its inputs), and fake
// runtime programs for the runtime WebSocket's page calls.
import {
  normalizeFilename, type CallPayload, type CallResult, type ModelAnnouncement, type PageCall, type PageEventKind, type PageEvents, type SessionReport,
  type Values,
} from '../../web/contract/index.ts';
import type { QueryAnswer, QueryOptions } from '../../web/contract/index.ts';
import { fixture } from './fixtures.ts';

// ── the models ──────────────────────────────────────────────────────────────────────────────

/** `echo`: y = x, and whatever `act` the query carries (see Act). The default model (announced first). */
export const ECHO: ModelAnnouncement = {
  id: 'echo', title: 'Echo', description: 'y = x', license: 'MIT', state: 'ready', backend: 'wasm', fallbackReason: 'no WebGPU adapter', size: 12,
  info: { inputs: [{ name: 'x', type: 'number' }], outputs: [{ name: 'y', type: 'number' }] },
};
/** `picture`: an image in, canned faces out (and the bytes it got); annotated with a small JPEG. */
export const PICTURE: ModelAnnouncement = {
  id: 'picture', title: 'Picture', state: 'ready', backend: 'webgpu',
  info: { inputs: [{ name: 'image', type: 'image' }], outputs: [{ name: 'faces', type: 'array' }, { name: 'received', type: 'number' }] },
};
/** `mirror`: an image in, the same bytes out as its output image. */
export const MIRROR: ModelAnnouncement = {
  id: 'mirror', title: 'Mirror', state: 'ready', backend: 'wasm',
  info: { inputs: [{ name: 'image', type: 'image' }], outputs: [{ name: 'image', type: 'image' }] },
};
/** Announced but not ready: queries get `unavailable` naming the state. */
export const LOADING: ModelAnnouncement = {
  id: 'loading', title: 'Loading', state: 'loading', info: { inputs: [{ name: 'x', type: 'number' }], outputs: [] },
};
export const BROKEN: ModelAnnouncement = {
  id: 'broken', title: 'Broken', state: 'failed', error: 'the weights did not load', info: { inputs: [{ name: 'x', type: 'number' }], outputs: [] },
};
export const FAKE_MODELS = [ECHO, PICTURE, MIRROR, LOADING, BROKEN];

export const CANNED_FACES = [{ box: [0.3, 0.1, 0.4, 0.4], score: 0.9, keypoints: Array.from({ length: 6 }, (_, i) => [0.4 + i / 100, 0.2]) }];
/** The picture `picture` answers an annotated query with. */
export const ANNOTATED = new Uint8Array(fixture('astronaut-256.jpg'));

/**
 * What a query of `echo` (or any model) may ask of the page, among its inputs (the bridge passes
 * inputs the model does not declare on as they are):
 * - `delay`: answer after `ms`; `never`: never answer; `hold`: wait in `page.held` until the test releases it;
 * - `fail`: answer with error `code` (any string: the bridge maps codes it does not know) and `message`;
 * - `throw`: throw an Error named `name` (the relay client maps an InputError to bad_request);
 * - `leave`: drop the relay mid-query (the client reconnects on its own);
 * - `big`: answer with `bytes` of padding in `pad`.
 */
export type Act =
  | { act?: undefined }
  | { act: 'delay'; ms: number }
  | { act: 'never' }
  | { act: 'hold' }
  | { act: 'fail'; code: string; message?: string }
  | { act: 'throw'; name?: string; message?: string }
  | { act: 'leave' }
  | { act: 'big'; bytes: number };

/** A query as the page got it; `track`: the live client's key (QueryOptions in the contract), if any. */
export interface ReceivedQuery { model: string; inputs: Values; annotate: boolean; track?: string }
export interface HeldQuery extends ReceivedQuery {
  answer(outputs?: Values): void;
  fail(code: string, message?: string): void;
}

// ── fake programs (runtime WebSocket calls) ─────────────────────────────────────────────────

/**
 * A fake program: its main file's content is JSON saying what it does. `placeholders`: its values;
 * `end`: how it ends at once (`finished`/`failed`), also before the run is answered (`early`), or
 * never (the default: running until stopped).
 */
export interface FakeProgram { placeholders?: Record<string, unknown>; end?: 'finished' | 'failed'; early?: boolean }

interface Session { report: SessionReport; program: FakeProgram }

// ── the answers ─────────────────────────────────────────────────────────────────────────────

/**
 * A page's answers to queries and page calls, and what it received; the page that relays them
 * (FakePage, test/helpers/fake-page.ts) supplies leaving the relay and sending events.
 */
export abstract class FakePageAnswers {
  readonly queries: ReceivedQuery[] = [];
  readonly held: HeldQuery[] = [];
  readonly calls: { kind: PageCall; payload: Values }[] = [];
  readonly sessions = new Map<number, Session>();

  /** Closes the relay's socket as a crash would (a query's `leave`). */
  abstract drop(): void;

  /** Sends the bridge something the page reports on its own (a program's end). */
  protected abstract event<K extends PageEventKind>(kind: K, payload: PageEvents[K]): void;

  /** Answers every held query (in the order given by `order`, default: as they came) with y = x. */
  release(order: (held: HeldQuery[]) => HeldQuery[] = (h) => h): void {
    for (const q of order(this.held.splice(0))) q.answer();
  }

  protected async query(model: string, inputs: Values, { annotate = false, track }: QueryOptions): Promise<QueryAnswer> {
    this.queries.push({ model, inputs, annotate, ...(track !== undefined && { track }) });
    const a = inputs as Act & Values;
    switch (a.act) {
      case 'delay': await new Promise((r) => setTimeout(r, a.ms)); break;
      case 'never': return new Promise(() => {});
      case 'hold': return new Promise((resolve, reject) => {
        this.held.push({
          model, inputs, annotate,
          answer: (outputs) => resolve({ outputs: outputs ?? this.outputs(model, inputs) }),
          fail: (code, message = `failed with ${code}`) => reject(Object.assign(new Error(message), { code })),
        });
      });
      case 'fail': throw Object.assign(new Error(a.message ?? `failed with ${a.code}`), { code: a.code });
      case 'throw': throw Object.assign(new Error(a.message ?? 'the model threw'), { name: a.name ?? 'Error' });
      case 'leave': setImmediate(() => this.drop()); return new Promise(() => {});
      case 'big': return { outputs: { y: inputs.x, pad: 'p'.repeat(a.bytes) } };
    }
    const outputs = this.outputs(model, inputs);
    return annotate && model === PICTURE.id ? { outputs, annotated: ANNOTATED } : { outputs };
  }

  private outputs(model: string, inputs: Values): Values {
    const image = inputs.image;
    switch (model) {
      case PICTURE.id: return { faces: CANNED_FACES, received: image instanceof Uint8Array ? image.byteLength : -1 };
      case MIRROR.id: return { image: image as Uint8Array };
      default: return { y: inputs.x };
    }
  }

  protected async call<K extends PageCall>(kind: K, payload: CallPayload<K>): Promise<CallResult<K>> {
    this.calls.push({ kind, payload: payload as Values });
    const p = payload as Values & { sessionId: number; name?: string; data?: { x: number } };
    if (kind === 'program.run') {
      const run = payload as CallPayload<'program.run'>;
      const main = run.files.find((f) => normalizeFilename(f.filename) === normalizeFilename(run.mainfile))!;
      const program = JSON.parse(main.content) as FakeProgram;
      const session: Session = { program, report: {
        sessionId: run.sessionId, status: 'running', startedAt: new Date().toISOString(), endedAt: null, log: [], logDropped: 0,
        placeholders: Object.keys(program.placeholders ?? {}), models: ['double'],
      } };
      this.sessions.set(run.sessionId, session);
      if (program.end) {
        const end = () => this.end(session, program.end!);
        // Early: the end is reported before the run's own answer leaves (same relay message, ahead of it).
        if (program.early) end(); else setTimeout(end, 10);
      }
      return { sessionId: run.sessionId, status: 'running' } as CallResult<K>;
    }
    const session = this.sessions.get(p.sessionId);
    if (!session) throw Object.assign(new Error(`no session ${p.sessionId} on this page`), { code: 'not_found' });
    switch (kind) {
      case 'program.status': return session.report as CallResult<K>;
      case 'program.placeholder': {
        const name = p.name!;
        const values = session.program.placeholders ?? {};
        if (!(name in values)) throw Object.assign(new Error(`no placeholder "${name}" (placeholders: ${Object.keys(values).join(', ')})`), { code: 'not_found' });
        return { value: values[name] } as CallResult<K>;
      }
      case 'program.stats': return { shape: [3], columns: { value: { mean: 2 } } } as CallResult<K>;
      case 'program.predict': return { output: { doubled: 2 * p.data!.x } } as CallResult<K>;
      case 'program.stop': {
        if (session.report.status === 'running') this.end(session, 'stopped');
        return session.report as CallResult<K>;
      }
    }
    throw new Error(`unexpected call ${kind}`);
  }

  private end(session: Session, status: 'finished' | 'failed' | 'stopped'): void {
    session.report = { ...session.report, status, endedAt: new Date().toISOString(),
      ...(status === 'failed' ? { error: { name: 'RangeError', message: 'n must be positive', file: 'main.js', line: 3 } } : {}) };
    this.event('program.ended', session.report);
  }
}
