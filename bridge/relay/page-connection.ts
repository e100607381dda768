// The bridge's end of one page's relay: what the core sends a page (queries, calls) goes out here as
// frames (web/contract/frame.ts), those of one event-loop turn in one WebSocket message.
import type { WebSocket } from 'ws';
import {
  encodeFrame, FrameBatcher,
  type BridgeMessage, type CallPayload, type ModelAnnouncement, type PageCall, type QueryOptions, type Values,
} from '../../web/contract/index.ts';
import type { PageLink } from '../core/core.ts';

let pageSerial = 0;

export class PageConnection implements PageLink {
  readonly id = `page-${++pageSerial}`;
  models = new Map<string, ModelAnnouncement>();
  readonly label?: string;
  readonly address?: string;
  private readonly out: FrameBatcher;

  /** `who`: the label its pairing code carried (a headless page the bridge started), and its IP address. */
  constructor(private readonly ws: WebSocket, who: { label?: string; address?: string } = {}) {
    if (who.label !== undefined) this.label = who.label;
    if (who.address !== undefined) this.address = who.address;
    this.out = new FrameBatcher((message) => { if (ws.readyState === ws.OPEN) ws.send(message); }, setImmediate);
  }

  send(message: BridgeMessage): void {
    this.out.push(encodeFrame(message));
  }

  sendQuery(id: number, model: string, inputs: Values, options: QueryOptions): void {
    if (this.ws.readyState !== this.ws.OPEN) throw new Error('the page connection is closing');
    this.send({ type: 'query', id, model, inputs, ...options });
  }

  sendCall<K extends PageCall>(id: number, kind: K, payload: CallPayload<K>): void {
    if (this.ws.readyState !== this.ws.OPEN) throw new Error('the page connection is closing');
    this.send({ type: 'call', id, kind, payload } as BridgeMessage);
  }

  sendCancel(id: number, why: string): void {
    if (this.ws.readyState !== this.ws.OPEN) throw new Error('the page connection is closing');
    this.send({ type: 'cancel', id, why });
  }
}
