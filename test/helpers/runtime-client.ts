// A client of the runtime WebSocket for tests: sends action messages and waits for their replies.
import WebSocket from 'ws';

export type Message = Record<string, any>;

export class RuntimeClient {
  readonly received: Message[] = [];
  private waiters: { match: (m: Message) => boolean; resolve: (m: Message) => void }[] = [];
  private nextId = 1;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as Message;
      this.received.push(m);
      const i = this.waiters.findIndex((w) => w.match(m));
      if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(m);
    });
  }

  static connect(url: string, headers?: Record<string, string>): Promise<RuntimeClient> {
    const ws = new WebSocket(url, { headers });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new RuntimeClient(ws)));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode} ${res.statusMessage}`)));
      ws.once('error', reject);
    });
  }

  /** The first message (already received or to come) that `match` accepts. */
  next(match: (m: Message) => boolean, ms = 20_000, what = 'a message'): Promise<Message> {
    const seen = this.received.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms (received: ${JSON.stringify(this.received.slice(-5))})`)), ms);
      this.waiters.push({ match, resolve: (m) => { clearTimeout(timer); resolve(m); } });
    });
  }

  /** Sends `message` with a fresh id and resolves with its reply. */
  request(message: Message, ms = 30_000): Promise<Message> {
    const id = `r${this.nextId++}`;
    this.ws.send(JSON.stringify({ ...message, id }));
    return this.next((m) => m.id === id && m.type !== '[state]:EXECUTION_FINISHED', ms, `reply to ${message.action}`);
  }

  /** Sends raw text (for malformed messages); resolves with the next reply that has no id. */
  sendRaw(text: string, ms = 10_000): Promise<Message> {
    const before = this.received.length;
    this.ws.send(text);
    return this.next((m) => m.id === undefined && this.received.indexOf(m) >= before, ms, 'reply to a raw message');
  }

  /** Resolves with the EXECUTION_FINISHED push for a session. */
  finished(sessionId: string, ms = 30_000): Promise<Message> {
    return this.next((m) => m.type === '[state]:EXECUTION_FINISHED' && m.sessionId === sessionId, ms, `the end of session ${sessionId}`);
  }

  close(): void {
    this.ws.close();
  }
}
