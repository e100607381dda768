// Load, bounded and on loopback only: 50 clients over six protocols for LOAD_SECONDS (30) against one
// page. Every request carries a unique x for a y = 2x + 1 model, so each answer can be checked against
// its own request: nothing lost, nothing duplicated, nothing crossed. Prints the figures.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import WebSocket from 'ws';
import { io } from 'socket.io-client';
import { startHarness, until, type Harness } from './helpers/page.ts';
import { affineModel } from './helpers/onnx.ts';
import { OscClient } from './helpers/osc.ts';
import { FrameDecoder, encodeFrame } from '../bridge/protocols/framing.ts';
import { summarize } from '../bench/lib.ts';

const SECONDS = Number(process.env.LOAD_SECONDS ?? 30);
const MODEL = 'affine';

/** A request's input, unique per client and sequence number, and the only right answer to it. */
const input = (client: number, seq: number) => ({ x: { dtype: 'float32', dims: [1, 4], data: [client, seq, client + 0.5, -seq] } });
const expected = (client: number, seq: number) => [client, seq, client + 0.5, -seq].map((v) => 2 * v + 1);

interface Tally { sent: number; answered: number; wrong: number; errors: number; latencies: number[] }

describe('load: 50 clients over mixed protocols', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ model: MODEL, maxQueue: 1024 });
    await h.page.setInputFiles('#onnx-input', { name: `${MODEL}.onnx`, mimeType: 'application/octet-stream', buffer: Buffer.from(affineModel()) });
    await until(async () => (await fetch(`${h.url}/models/${MODEL}/info`)).status === 200, 20_000, 'the affine model');
  });
  after(async () => { await h?.close(); });

  it(`answers every request exactly once, correctly, for ${SECONDS} s`, async () => {
    const tallies: Record<string, Tally> = {};
    const tally = (p: string) => (tallies[p] ??= { sent: 0, answered: 0, wrong: 0, errors: 0, latencies: [] });
    const end = Date.now() + SECONDS * 1000;
    const rssBefore = process.memoryUsage().rss;
    let clientId = 0;
    const check = (p: string, client: number, seq: number, y: unknown, started: number) => {
      const t = tally(p);
      const data = (y as { data?: number[] } | undefined)?.data;
      if (JSON.stringify(data) === JSON.stringify(expected(client, seq))) { t.answered++; t.latencies.push(performance.now() - started); } else t.wrong++;
    };

    const http = async () => {
      const c = clientId++;
      for (let seq = 0; Date.now() < end; seq++) {
        const started = performance.now();
        tally('http').sent++;
        const res = await fetch(`${h.url}/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(input(c, seq)) });
        if (res.status !== 200) { tally('http').errors++; await res.arrayBuffer(); continue; }
        check('http', c, seq, ((await res.json()) as { y: unknown }).y, started);
      }
    };
    const socketio = async () => {
      const c = clientId++;
      const s = io(h.bridge.listeners.socketio!, { forceNew: true, reconnection: false, transports: ['websocket'] });
      await new Promise<void>((r) => s.once('connect', () => r()));
      for (let seq = 0; Date.now() < end; seq++) {
        const started = performance.now();
        tally('socketio').sent++;
        const out = await s.timeout(30_000).emitWithAck('query', input(c, seq)).catch(() => ({ error: 'no ack' }));
        if (out.error) tally('socketio').errors++;
        else check('socketio', c, seq, out.y, started);
      }
      s.close();
    };
    const tcp = async () => {
      const c = clientId++;
      const u = new URL(h.bridge.listeners.tcp!.replace('tcp:', 'http:'));
      const sock = connect(Number(u.port), u.hostname);
      const decoder = new FrameDecoder(2 ** 24);
      const waiting: ((b: Buffer) => void)[] = [];
      sock.on('data', (d) => { for (const f of decoder.push(d)) waiting.shift()?.(f); });
      await new Promise((r) => sock.once('connect', r));
      for (let seq = 0; Date.now() < end; seq++) {
        const started = performance.now();
        tally('tcp').sent++;
        const answer = new Promise<Buffer>((r) => waiting.push(r));
        sock.write(encodeFrame(Buffer.from(JSON.stringify(input(c, seq)))));
        const out = JSON.parse((await answer).toString());
        if (out.error) tally('tcp').errors++;
        else check('tcp', c, seq, out.y, started);
      }
      sock.destroy();
    };
    const runtime = async () => {
      const c = clientId++;
      const ws = new WebSocket(h.bridge.listeners.runtime!);
      await new Promise((r) => ws.once('open', r));
      const pending = new Map<number, (m: any) => void>();
      ws.on('message', (d) => { const m = JSON.parse(d.toString()); pending.get(m.id)?.(m); pending.delete(m.id); });
      for (let seq = 0; Date.now() < end; seq++) {
        const started = performance.now();
        tally('runtime').sent++;
        const reply = await new Promise<any>((r) => {
          pending.set(seq, r);
          ws.send(JSON.stringify({ action: 'run_model', id: seq, model: { name: MODEL, is_data: true, data: input(c, seq) } }));
        });
        if (reply.error) tally('runtime').errors++;
        else check('runtime', c, seq, reply.output?.y, started);
      }
      ws.close();
    };
    const oscClient = async () => {
      const c = clientId++;
      const client = await OscClient.open(h.bridge.listeners.osc!);
      for (let seq = 0; Date.now() < end; seq++) {
        const started = performance.now();
        tally('osc').sent++;
        // Not connected with /server/connect: the reply comes to the asker alone.
        client.send(`/models/${MODEL}/query`, JSON.stringify(input(c, seq)));
        const m = await client.next('an OSC reply', 30_000).catch(() => undefined);
        if (!m || m.address !== `/models/${MODEL}/data`) { tally('osc').errors++; continue; }
        check('osc', c, seq, JSON.parse(m.args[0] as string).y, started);
      }
      client.close();
    };
    const labgraph = async () => {
      const c = clientId++;
      const ws = new WebSocket(h.bridge.listeners.labgraph!);
      await new Promise((r) => ws.once('open', r));
      // The data stream carries every output of the model; this session looks for its own answers.
      const mine = new Map<string, (y: unknown) => void>();
      ws.on('message', (d) => {
        const m = JSON.parse(d.toString());
        const y = m.stream_batch?.[`${MODEL}/data`]?.samples?.[0]?.data?.y;
        if (y && y.data[0] === 2 * c + 1) {
          const key = String(y.data[1]);
          const resolve = mine.get(key);
          if (resolve) { mine.delete(key); resolve(y); } else tally('labgraph').wrong++; // a duplicate
        }
      });
      const send = (m: unknown) => ws.send(JSON.stringify(m));
      send({ api_version: '0.1', api_request: { request_id: 1, start_stream_request: { stream_id: 'out', [`${MODEL}/data`]: {} } } });
      send({ api_version: '0.1', api_request: { request_id: 2, start_stream_request: { stream_id: 'in', [`${MODEL}/query`]: {} } } });
      await new Promise((r) => setTimeout(r, 100));
      for (let seq = 0; Date.now() < end; seq++) {
        const started = performance.now();
        tally('labgraph').sent++;
        const y = await new Promise<unknown>((r) => {
          mine.set(String(2 * seq + 1), r);
          send({ api_version: '0.1', stream_batch: { stream_id: 'in', [`${MODEL}/query`]: { samples: [input(c, seq)], batch_num: seq } } });
          setTimeout(() => r(undefined), 30_000);
        });
        if (y === undefined) tally('labgraph').errors++;
        else check('labgraph', c, seq, y, started);
      }
      ws.close();
    };

    const clients = [
      ...Array.from({ length: 15 }, http), ...Array.from({ length: 10 }, socketio), ...Array.from({ length: 10 }, tcp),
      ...Array.from({ length: 5 }, runtime), ...Array.from({ length: 5 }, oscClient), ...Array.from({ length: 5 }, labgraph),
    ];
    assert.equal(clients.length, 50);
    await Promise.all(clients);
    const rssAfter = process.memoryUsage().rss;

    let total = 0;
    console.log(`# load: 50 clients, ${SECONDS} s, one page (WASM), tiny model`);
    console.log('# protocol   clients  sent  answered  wrong  errors  p50 ms  p99 ms');
    const clientsOf: Record<string, number> = { http: 15, socketio: 10, tcp: 10, runtime: 5, osc: 5, labgraph: 5 };
    for (const [p, t] of Object.entries(tallies)) {
      const l = summarize(t.latencies);
      total += t.answered;
      console.log(`# ${p.padEnd(10)} ${String(clientsOf[p]).padStart(7)} ${String(t.sent).padStart(5)} ${String(t.answered).padStart(9)} ${String(t.wrong).padStart(6)} ${String(t.errors).padStart(7)} ${l.p50.toFixed(1).padStart(7)} ${l.p99.toFixed(1).padStart(7)}`);
    }
    console.log(`# total answered ${total} (${Math.round(total / SECONDS)}/s); bridge process RSS ${Math.round(rssBefore / 2 ** 20)} → ${Math.round(rssAfter / 2 ** 20)} MiB`);
    for (const [p, t] of Object.entries(tallies)) {
      assert.equal(t.wrong, 0, `${p}: wrong or duplicated answers`);
      assert.equal(t.errors, 0, `${p}: errors`);
      assert.equal(t.answered, t.sent, `${p}: every request answered`);
      assert.ok(t.sent > 0, `${p}: sent something`);
    }
    // Bounded: the bridge (and this test's clients, in the same process) grow by far less than the work done.
    assert.ok(rssAfter - rssBefore < 300 * 2 ** 20, `RSS grew by ${Math.round((rssAfter - rssBefore) / 2 ** 20)} MiB`);
  });
});
