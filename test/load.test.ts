// Load, bounded and on loopback only: 50 clients over six protocols for LOAD_SECONDS (30) against one
// page. Every request carries a unique x for a y = 2x + 1 model, so each answer can be checked against
// its own request: nothing lost, nothing duplicated, nothing crossed. Prints the figures.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startHarness, until, type Harness } from './helpers/page.ts';
import { affineModel } from './helpers/onnx.ts';
import { httpClient, oscClient, runtimeClient, socketioClient, tcpClient, type Client } from './helpers/clients.ts';
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

    const l = h.bridge.listeners;
    /** One client of a protocol, querying back to back until the end, each answer checked. */
    const drive = async (protocol: string, open: () => Promise<Client>, answerOf: (out: unknown) => unknown = (o) => (o as { y?: unknown }).y) => {
      const c = clientId++;
      const client = await open();
      for (let seq = 0; Date.now() < end; seq++) {
        const started = performance.now();
        tally(protocol).sent++;
        try {
          check(protocol, c, seq, answerOf(await client.once(input(c, seq))), started);
        } catch {
          tally(protocol).errors++;
        }
      }
      client.close();
    };
    const tcpAnswer = (frame: unknown) => (JSON.parse((frame as Buffer).toString()) as { y?: unknown }).y;
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

    // OSC clients send /query without /server/connect, so each reply comes to its asker alone.
    const clients = [
      ...Array.from({ length: 15 }, () => drive('http', () => httpClient(l, MODEL))),
      ...Array.from({ length: 10 }, () => drive('socketio', () => socketioClient(l, MODEL))),
      ...Array.from({ length: 10 }, () => drive('tcp', () => tcpClient(l), tcpAnswer)),
      ...Array.from({ length: 5 }, () => drive('runtime', () => runtimeClient(l, MODEL))),
      ...Array.from({ length: 5 }, () => drive('osc', () => oscClient(l, MODEL))),
      ...Array.from({ length: 5 }, labgraph),
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
