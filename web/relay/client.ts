// The page's end of the relay: connects to the bridge, announces the page's models, answers each
// query exactly once, and reconnects when the bridge restarts.
import { decodeFrame, encodeFrame } from './frame.ts';
import type { ActivityEntry, BridgeMessage, PageMessage } from './messages.ts';
import type { ErrorCode, ModelAnnouncement, Values } from '../runtime/types.ts';

export interface RelayHandlers {
  models(): ModelAnnouncement[];
  query(model: string, inputs: Values, annotate: boolean): Promise<Values>;
  /** Connection state changes, and the bridge's hello (its listeners). */
  status?(state: 'connecting' | 'connected' | 'disconnected', hello?: Record<string, unknown>): void;
  /** What the bridge saw (requests from every protocol, clients connected), a few times a second. */
  activity?(entries: ActivityEntry[], clients: Record<string, number>): void;
  /** Each query answered, for the page's activity log. */
  answered?(model: string, ms: number, error?: string): void;
}

export class RelayClient {
  private ws: WebSocket | undefined;
  private retryMs = 500;
  private closed = false;

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
    ws.onmessage = (ev) => {
      let msg: BridgeMessage;
      try {
        msg = decodeFrame(new Uint8Array(ev.data as ArrayBuffer)) as BridgeMessage;
      } catch (err) {
        console.warn('pagebridge: undecodable relay frame', err);
        return;
      }
      if (msg.type === 'hello') this.handlers.status?.('connected', msg);
      else if (msg.type === 'activity') this.handlers.activity?.(msg.entries, msg.clients);
      else if (msg.type === 'query') void this.answer(msg.id, msg.model, msg.inputs, !!msg.annotate);
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

  /** An output the page made on its own (its UI): the bridge passes it on like any other. */
  publish(model: string, outputs: Values, source = 'page'): void {
    this.send({ type: 'output', model, outputs, source });
  }

  close(): void {
    this.closed = true;
    this.ws?.close();
  }

  private send(msg: PageMessage): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(encodeFrame(msg));
  }

  private async answer(id: number, model: string, inputs: Values, annotate: boolean): Promise<void> {
    const started = performance.now();
    try {
      const outputs = await this.handlers.query(model, inputs, annotate);
      this.send({ type: 'result', id, outputs });
      this.handlers.answered?.(model, performance.now() - started);
    } catch (err) {
      const e = err as Error;
      const code: ErrorCode = e.name === 'InputError' ? 'bad_request' : 'model_failed';
      this.send({ type: 'result', id, error: { code, message: e.message } });
      this.handlers.answered?.(model, performance.now() - started, e.message);
    }
  }
}
