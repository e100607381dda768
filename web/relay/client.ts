// The page's end of the relay: connects to the bridge, announces the page's models, answers each
// query exactly once, and reconnects when the bridge restarts. It runs in the runtime worker (and, in
// tests, in Node with the `ws` package's WebSocket).
import {
  decodeFrames, encodeFrame, FrameBatcher, isErrorCode, PendingTable,
  type ActivityEntry, type BridgeMessage, type PageSummary, type CallPayload, type CallResult, type ErrorCode, type Hello, type ModelAnnouncement,
  type PageCall, type PageEventKind, type QueryAnswer, type QueryOptions, type PageEvents, type PageMessage, type Values,
} from '../contract/index.ts';

export type RelayState = 'connecting' | 'connected' | 'disconnected';

export interface RelayHandlers {
  models(): ModelAnnouncement[];
  /** Runs a query of the bridge's; `signal` aborts when the bridge cancels it (nobody waits for it). */
  query(model: string, inputs: Values, options: QueryOptions, signal: AbortSignal): Promise<QueryAnswer>;
  /** A page call from the bridge (`program.run`, …). An error may carry an ErrorCode as `code`. */
  call?<K extends PageCall>(kind: K, payload: CallPayload<K>): Promise<CallResult<K>>;
  /** Connection state changes, and the bridge's hello (its listeners). */
  status?(state: RelayState, hello?: Hello): void;
  /** The bridge traded this page's one-time pairing code for a session secret: keep it for a reload. */
  paired?(secret: string): void;
  /** What the bridge saw (requests from every protocol, clients connected, stale live frames dropped per
   *  model, and its pages with their load), a few times a second. */
  activity?(entries: ActivityEntry[], clients: Record<string, number>, dropped: Record<string, number>, pages?: PageSummary[]): void;
}

/** The little of a WebSocket the client uses: the browser's, or a compatible one (the `ws` package). */
interface SocketLike {
  binaryType: string;
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  send(data: Uint8Array<ArrayBuffer>): void;
  close(): void;
}
export type SocketConstructor = new (url: string) => SocketLike;

const OPEN = 1;

/** What the page's main thread handles for a relay that runs in the runtime worker. */
export interface RelayPageHandlers {
  call<K extends PageCall>(kind: K, payload: CallPayload<K>): Promise<CallResult<K>>;
  status(state: RelayState, hello?: Hello): void;
  paired(secret: string): void;
  activity(entries: ActivityEntry[], clients: Record<string, number>, dropped: Record<string, number>, pages?: PageSummary[]): void;
}

/** A call's answer as it crosses from the page to the worker: a thrown error would lose its `code`. */
export type CallAnswer = { outputs: Values; error?: undefined } | { error: { code?: unknown; name: string; message: string } };

/** RelayPageHandlers as the worker reaches them. */
export interface RelayPageRemote extends Omit<RelayPageHandlers, 'call'> {
  call(kind: PageCall, payload: Values): Promise<CallAnswer>;
}

export class RelayClient {
  private ws: SocketLike | undefined;
  private retryMs = 500;
  private closed = false;
  /** This connection's outgoing messages (one per connection: a new socket starts empty). Its
   *  `maxBytes` is the bridge's largest relay frame (from its hello): more would close the relay. */
  private out: FrameBatcher | undefined;
  /** The bridge's queries this page holds, by id, until answered: a cancel aborts one. */
  private readonly held = new Map<number, AbortController>();
  /** This page's own queries (its programs') waiting for the bridge's answers. */
  private readonly asked = new PendingTable<Values>();

  /** `url` carries the page's credential (`?token=`, `?code=` or `?secret=`): bridge/relay/pairing.ts. */
  constructor(private url: string, private readonly handlers: RelayHandlers,
    private readonly Socket: SocketConstructor = WebSocket as unknown as SocketConstructor) {}

  connect(): void {
    this.handlers.status?.('connecting');
    const ws = new this.Socket(this.url);
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    ws.onopen = () => {
      this.retryMs = 500;
      this.announce();
    };
    this.out = new FrameBatcher((message) => { if (ws.readyState === OPEN) ws.send(message); }, nextTask);
    ws.onmessage = (ev) => {
      let messages: BridgeMessage[];
      try {
        // The bridge is this page's own (it paired with it): its messages are its word.
        messages = decodeFrames(new Uint8Array(ev.data as ArrayBuffer)) as BridgeMessage[];
      } catch (err) {
        console.warn('pagebridge: undecodable relay frame', err);
        return;
      }
      for (const msg of messages) this.receive(msg);
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      // Nobody will answer or wait for these any more.
      this.asked.failWhere(() => Object.assign(new Error('the connection to the bridge closed before it answered'), { code: 'unavailable' }));
      for (const held of this.held.values()) held.abort('the connection to the bridge closed');
      this.held.clear();
      this.handlers.status?.('disconnected');
      if (this.closed) return;
      // close() may come while this waits: then it stays closed.
      setTimeout(() => { if (!this.closed) this.connect(); }, this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, 5000);
    };
  }

  /** Tells the bridge which models this page has (call again whenever that changes). */
  announce(): void {
    this.send({ type: 'models', models: this.handlers.models() });
  }

  /** Something the page reports on its own (a program ended): the bridge core emits it as a pageEvent. */
  event<K extends PageEventKind>(kind: K, payload: PageEvents[K]): void {
    this.send({ type: 'event', kind, payload } as PageMessage);
  }

  /** An output the page made on its own (its UI): the bridge passes it on like any other. */
  publish(model: string, outputs: Values, source = 'page'): void {
    this.send({ type: 'output', model, outputs, source });
  }

  /**
   * Runs `model` through the bridge, as one of the queries of the page's program `session`: the bridge
   * admits it like any client's (--max-queue, --max-client-queue) and runs it on a page that has the
   * model. Rejects with an Error carrying the contract's `code` ("busy", …).
   */
  query(session: number, model: string, inputs: Values): Promise<Values> {
    if (this.ws?.readyState !== OPEN) return Promise.reject(Object.assign(new Error('the page is not connected to the bridge'), { code: 'unavailable' }));
    const { id, answer } = this.asked.add(undefined);
    this.send({ type: 'query', id, session, model, inputs });
    return answer;
  }

  close(): void {
    this.closed = true;
    this.ws?.close();
  }

  private receive(msg: BridgeMessage): void {
    switch (msg.type) {
      case 'hello':
        if (typeof msg.maxFrameBytes === 'number') this.out!.maxBytes = msg.maxFrameBytes;
        this.handlers.status?.('connected', msg);
        return;
      case 'paired': {
        // The code is spent: reconnects (a bridge restart, a dropped socket) present the secret.
        const url = new URL(this.url);
        url.searchParams.delete('code');
        url.searchParams.set('secret', msg.secret);
        this.url = url.href;
        this.handlers.paired?.(msg.secret);
        return;
      }
      case 'activity':
        this.handlers.activity?.(msg.entries, msg.clients, msg.dropped ?? {}, msg.pages);
        return;
      case 'query': {
        const held = new AbortController();
        this.held.set(msg.id, held);
        void this.answer(msg.id, async () => {
          try {
            const { outputs, annotated } = await this.handlers.query(msg.model, msg.inputs, { annotate: !!msg.annotate, ...(msg.track !== undefined && { track: msg.track }) }, held.signal);
            return annotated ? { outputs, annotated } : { outputs };
          } finally {
            this.held.delete(msg.id);
          }
        });
        return;
      }
      case 'cancel':
        this.held.get(msg.id)?.abort(msg.why);
        return;
      case 'answer':
        if (msg.error) this.asked.fail(msg.id, Object.assign(new Error(msg.error.message), { code: msg.error.code }));
        else this.asked.settle(msg.id, msg.outputs ?? {});
        return;
      case 'call':
        void this.answer(msg.id, async () => ({ outputs: await this.call(msg.kind, msg.payload) as Values }));
        return;
      case 'rejected':
        console.warn(`pagebridge: the bridge refused a message of this page: ${msg.why}`);
        return;
    }
  }

  private send(msg: PageMessage): void {
    if (this.ws?.readyState !== OPEN) return;
    const maxBytes = this.out!.maxBytes;
    let frame = encodeFrame(msg);
    if (frame.byteLength > maxBytes && msg.type === 'result') {
      // The bridge would close the relay (and fail every other request) on an oversized frame.
      frame = encodeFrame({ type: 'result', id: msg.id, error: { code: 'too_large',
        message: `the answer is ${frame.byteLength} bytes, over the relay's limit of ${maxBytes} bytes (--max-body)` } } satisfies PageMessage);
    }
    if (frame.byteLength > maxBytes) {
      console.warn(`pagebridge: a ${msg.type} message of ${frame.byteLength} bytes is over the relay's limit; not sent`);
      return;
    }
    this.out!.push(frame);
  }

  private call<K extends PageCall>(kind: K, payload: CallPayload<K>): Promise<CallResult<K>> {
    if (!this.handlers.call) return Promise.reject(new Error(`this page does not handle "${kind}"`));
    return this.handlers.call(kind, payload);
  }

  /** Answers request `id` exactly once, with what `work` resolves to or the error it throws. */
  private async answer(id: number, work: () => Promise<QueryAnswer>): Promise<void> {
    try {
      this.send({ type: 'result', id, ...(await work()) });
    } catch (err) {
      const e = err as Error & { code?: unknown };
      const code: ErrorCode = isErrorCode(e.code) ? e.code : e.name === 'InputError' ? 'bad_request' : 'model_failed';
      this.send({ type: 'result', id, error: { code, message: e.message } });
    }
  }
}

/** Runs `f` once the current task is over: answers finished in one task leave in one message. */
const tasks: (() => void)[] = [];
let channel: MessageChannel | undefined;
function nextTask(f: () => void): void {
  if (!channel) {
    channel = new MessageChannel();
    channel.port1.onmessage = () => { for (const t of tasks.splice(0)) t(); };
    // In Node (tests, tools) a port with a listener would keep the process alive after close();
    // while the relay is open, its socket does that.
    (channel.port1 as { unref?: () => void }).unref?.();
  }
  tasks.push(f);
  if (tasks.length === 1) channel.port2.postMessage(null);
}
