// One client per protocol for benchmarks and load tests, each reduced to `once(inputs)`: send one query, wait for
// its answer. `close()` ends it.
import { connect } from 'node:net';
import WebSocket from 'ws';
import { io } from 'socket.io-client';
import { OscClient } from './osc.ts';
import { FrameDecoder, encodeFrame } from '../../bridge/protocols/framing.ts';

export interface Client { once(inputs: unknown): Promise<unknown>; close(): void }
export type Listeners = Record<string, string>;

export async function httpClient(l: Listeners, model: string): Promise<Client> {
  return {
    async once(inputs) {
      const res = await fetch(`${l.http}/models/${model}/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(inputs) });
      if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
      return res.json();
    },
    close() {},
  };
}

export async function socketioClient(l: Listeners, model: string): Promise<Client> {
  const s = io(`${l.socketio}/models/${model}`, { forceNew: true, reconnection: false, transports: ['websocket'] });
  await new Promise<void>((r, j) => { s.once('connect', () => r()); s.once('connect_error', j); });
  return {
    async once(inputs) {
      const out = await s.timeout(30_000).emitWithAck('query', inputs);
      if (out?.error) throw new Error(out.error);
      return out;
    },
    close: () => s.close(),
  };
}

export async function tcpClient(l: Listeners): Promise<Client> {
  const u = new URL(l.tcp!.replace('tcp:', 'http:'));
  const sock = connect(Number(u.port), u.hostname);
  sock.setNoDelay(true);
  const decoder = new FrameDecoder(2 ** 26);
  const waiting: ((b: Buffer) => void)[] = [];
  sock.on('data', (d) => { for (const f of decoder.push(d)) waiting.shift()?.(f); });
  await new Promise((r) => sock.once('connect', r));
  return {
    async once(inputs) {
      const answer = new Promise<Buffer>((r) => waiting.push(r));
      sock.write(encodeFrame(inputs instanceof Uint8Array ? inputs : Buffer.from(JSON.stringify(inputs))));
      return answer;
    },
    close: () => sock.destroy(),
  };
}

export async function runtimeClient(l: Listeners, model: string): Promise<Client> {
  const ws = new WebSocket(l.runtime!);
  await new Promise((r, j) => { ws.once('open', r); ws.once('error', j); });
  const pending = new Map<number, (m: { error?: unknown; output?: unknown }) => void>();
  ws.on('message', (d) => { const m = JSON.parse(d.toString()); pending.get(m.id)?.(m); pending.delete(m.id); });
  let id = 0;
  return {
    async once(inputs) {
      const n = id++;
      const m = await new Promise<{ error?: unknown; output?: unknown }>((r) => {
        pending.set(n, r);
        ws.send(JSON.stringify({ action: 'run_model', id: n, model: { name: model, is_data: true, data: inputs } }));
      });
      if (m.error) throw new Error(JSON.stringify(m.error));
      return m.output;
    },
    close: () => ws.close(),
  };
}

export async function oscClient(l: Listeners, model: string): Promise<Client> {
  const c = await OscClient.open(l.osc!);
  return {
    async once(inputs) {
      c.send(`/models/${model}/query`, JSON.stringify(inputs));
      const m = await c.next('an OSC reply', 30_000);
      if (m.address !== `/models/${model}/data`) throw new Error(String(m.args[0]));
      return JSON.parse(m.args[0] as string);
    },
    close: () => c.close(),
  };
}

/** A LabGraph session with `<model>/query` and `<model>/data` open; answers are matched in order. */
export async function labgraphClient(l: Listeners, model: string): Promise<Client & { onBatch(cb: (samples: unknown[]) => void): void }> {
  const ws = new WebSocket(l.labgraph!);
  await new Promise((r, j) => { ws.once('open', r); ws.once('error', j); });
  const waiting: ((s: unknown) => void)[] = [];
  let listener: ((samples: unknown[]) => void) | undefined;
  ws.on('message', (d) => {
    const m = JSON.parse(d.toString());
    const batch = m.stream_batch?.[`${model}/data`];
    if (!batch) return;
    listener?.(batch.samples);
    for (const s of batch.samples) waiting.shift()?.(s);
  });
  const send = (m: unknown) => ws.send(JSON.stringify(m));
  send({ api_version: '0.1', api_request: { request_id: 1, start_stream_request: { stream_id: 'out', [`${model}/data`]: {} } } });
  send({ api_version: '0.1', api_request: { request_id: 2, start_stream_request: { stream_id: 'in', [`${model}/query`]: {} } } });
  await new Promise((r) => setTimeout(r, 100));
  let n = 0;
  return {
    async once(inputs) {
      const answer = new Promise((r) => waiting.push(r));
      send({ api_version: '0.1', stream_batch: { stream_id: 'in', [`${model}/query`]: { samples: [inputs], batch_num: n++ } } });
      return answer;
    },
    /** Sends without waiting (live input). */
    onBatch(cb) { listener = cb; },
    close: () => ws.close(),
  };
}
