// The page's end of the relay: connects to the bridge, announces the page's models, answers each
// query exactly once, and reconnects when the bridge restarts. It runs in the runtime worker.
import { decodeFrames, encodeFrame, FrameBatcher } from './frame.ts';
import type { ActivityEntry, BridgeMessage, PageMessage } from './messages.ts';
import type { ErrorCode, ModelAnnouncement, Values } from '../runtime/types.ts';

export interface RelayHandlers {
  models(): ModelAnnouncement[];
  query(model: string, inputs: Values, annotate: boolean): Promise<Values>;
  /** A non-query call from the bridge (`program.run`, …). An error may carry an ErrorCode as `code`. */
  call?(kind: string, payload: Values): Promise<Values>;
  /** Connection state changes, and the bridge's hello (its listeners). */
  status?(state: 'connecting' | 'connected' | 'disconnected', hello?: Record<string, unknown>): void;
  /** What the bridge saw (requests from every protocol, clients connected, stale live frames dropped per
   *  model), a few times a second. */
  activity?(entries: ActivityEntry[], clients: Record<string, number>, dropped: Record<string, number>): void;
}

/** What the page's main thread handles for a relay that runs in the runtime worker. */
export interface RelayPageHandlers {
  call(kind: string, payload: Values): Promise<Values>;
  status(state: 'connecting' | 'connected' | 'disconnected', hello?: Record<string, unknown>): void;
  activity(entries: ActivityEntry[], clients: Record<string, number>, dropped: Record<string, number>): void;
}

/** A call's answer as it crosses from the page to the worker: a thrown error would lose its `code`. */
export type CallAnswer = { outputs: Values; error?: undefined } | { error: { code?: unknown; name: string; message: string } };

/** RelayPageHandlers as the worker reaches them. */
export interface RelayPageRemote extends Omit<RelayPageHandlers, 'call'> {
  call(kind: string, payload: Values): Promise<CallAnswer>;
}

export class RelayClient {
  private ws: WebSocket | undefined;
  private retryMs = 500;
  private closed = false;
  /** This connection's outgoing messages (one per connection: a new socket starts empty). Its
   *  `maxBytes` is the bridge's largest relay frame (from its hello): more would close the relay. */
  private out: FrameBatcher | undefined;

  constructor(private readonly url: string, private readonly handlers: RelayHandlers) {}

  connect(): void {
    this.handlers.status?.('connecting');
    const ws = new WebSocket(this.url);
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    ws.onopen = () => {
      this.retryMs = 500;
      this.announce();
    };
    this.out = new FrameBatcher((message) => { if (ws.readyState === WebSocket.OPEN) ws.send(message); }, nextTask);
    ws.onmessage = (ev) => {
      let messages: BridgeMessage[];
      try {
        messages = decodeFrames(new Uint8Array(ev.data as ArrayBuffer)) as BridgeMessage[];
      } catch (err) {
        console.warn('pagebridge: undecodable relay frame', err);
        return;
      }
      for (const msg of messages) {
        if (msg.type === 'hello') {
          if (typeof msg.maxFrameBytes === 'number') this.out!.maxBytes = msg.maxFrameBytes;
          this.handlers.status?.('connected', msg);
        } else if (msg.type === 'activity') this.handlers.activity?.(msg.entries, msg.clients, msg.dropped ?? {});
        else if (msg.type === 'query') void this.answer(msg.id, () => this.handlers.query(msg.model, msg.inputs, !!msg.annotate));
        else if (msg.type === 'call') void this.answer(msg.id, () => this.call(msg.kind, msg.payload));
      }
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.handlers.status?.('disconnected');
      if (this.closed) return;
      setTimeout(() => this.connect(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, 5000);
    };
  }

  /** Tells the bridge which models this page has (call again whenever that changes). */
  announce(): void {
    this.send({ type: 'models', models: this.handlers.models() });
  }

  /** Something the page reports on its own (a program ended): the bridge core emits it as a pageEvent. */
  event(kind: string, payload: Values): void {
    this.send({ type: 'event', kind, payload });
  }

  /** An output the page made on its own (its UI): the bridge passes it on like any other. */
  publish(model: string, outputs: Values, source = 'page'): void {
    this.send({ type: 'output', model, outputs, source });
  }

  close(): void {
    this.closed = true;
    this.ws?.close();
  }

  private send(msg: PageMessage): void {
    if (this.ws?.readyState !== WebSocket.OPEN) return;
    const maxBytes = this.out!.maxBytes;
    let frame = encodeFrame(msg);
    if (frame.byteLength > maxBytes && msg.type === 'result') {
      // The bridge would close the relay (and fail every other request) on an oversized frame.
      frame = encodeFrame({ type: 'result', id: msg.id, error: { code: 'too_large',
        message: `the answer is ${frame.byteLength} bytes, over the relay's limit of ${maxBytes} bytes (--max-body)` } });
    }
    if (frame.byteLength > maxBytes) {
      console.warn(`pagebridge: a ${msg.type} message of ${frame.byteLength} bytes is over the relay's limit; not sent`);
      return;
    }
    this.out!.push(frame);
  }

  private call(kind: string, payload: Values): Promise<Values> {
    if (!this.handlers.call) return Promise.reject(new Error(`this page does not handle "${kind}"`));
    return this.handlers.call(kind, payload);
  }

  /** Answers request `id` exactly once, with what `work` resolves to or the error it throws. */
  private async answer(id: number, work: () => Promise<Values>): Promise<void> {
    try {
      this.send({ type: 'result', id, outputs: await work() });
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
  }
  tasks.push(f);
  if (tasks.length === 1) channel.port2.postMessage(null);
}

const CODES: readonly ErrorCode[] = ['bad_request', 'not_found', 'unavailable', 'busy', 'timeout', 'too_large', 'model_failed'];
function isErrorCode(code: unknown): code is ErrorCode {
  return CODES.includes(code as ErrorCode);
}
