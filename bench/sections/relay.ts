// Section 1 (`--only relay`): what the relay adds to a query, against a plain Node HTTP server that
// answers the same bytes.
import type { BenchRun } from '../bench-run.ts';
import { loadBenchPackage } from '../bench-packages.ts';
import { startChild } from '../child-process.ts';
import { TINY_BODY, type Harness } from '../harness.ts';
import { keepAlivePost, post } from '../http-post.ts';
import { ms, summarize, table } from '../lib.ts';
import { cpuPerRequest } from '../cpu.ts';

/** A plain Node server in its own process that reads the body and answers the bytes the bridge
 *  would (a POST: the query's answer; a GET: the model's info): the floor any HTTP service on this
 *  machine stands on. */
async function rawServer(answer: string, info: string): Promise<{ url: string; pid: number; close(): void }> {
  const script = `
    const answer = ${JSON.stringify(answer)}, info = ${JSON.stringify(info)};
    const server = require('node:http').createServer((req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        let body = info;
        if (req.method === 'POST') { JSON.parse(Buffer.concat(chunks).toString()); body = answer; }
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      });
    });
    server.listen(0, '127.0.0.1', () => console.log('listening ' + server.address().port));`;
  const { child, match } = await startChild(['-e', script], /listening (\d+)/);
  return { url: `http://127.0.0.1:${match[1]}`, pid: child.pid!, close: () => child.kill() };
}

type Load = Awaited<ReturnType<typeof autocannon>>;

async function autocannon(url: string, connections: number, body: string | undefined, seconds: number) {
  const { default: run } = await loadBenchPackage('autocannon');
  const r = await run({ url, connections, duration: seconds, method: body === undefined ? 'GET' : 'POST', headers: { 'content-type': 'application/json' }, body });
  return { rps: r.requests.average as number, total: r.requests.total as number, p50: r.latency.p50 as number, p99: r.latency.p99 as number, errors: (r.errors as number) + (r.non2xx as number) };
}

export async function relayOverhead(h: Harness, { quick, seconds, results, say }: BenchRun) {
  const bridgeUrl = `${h.url}/models/identity/query`;
  const infoUrl = `${h.url}/models/identity/info`;
  const answer = await (await fetch(bridgeUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: TINY_BODY })).text();
  const info = await (await fetch(infoUrl)).text();
  const raw = await rawServer(answer, info);
  const rows: (string | number)[][] = [];
  const figures: unknown[] = [];
  // CPU per request of each process on the path: the bridge, its page's Chromium processes, the bare server, the client.
  const roots = new Map([[h.bridge.pid!, 'bridge'], [raw.pid, 'bare server'], [process.pid, 'autocannon (client)']]);
  const cpu: Record<string, Record<string, number> | undefined> = {};
  // The bridge and the bare server take turns, `rounds` runs each, so that the machine's other load weighs on
  // both alike; a round's ratio compares two runs a second apart, and the table gives their median and spread.
  const rounds = quick ? 2 : 5;
  const compare = async (label: string, bridgeUrl: string, rawUrl: string, c: number, body: string | undefined) => {
    const runs = { bridge: [] as Load[], raw: [] as Load[] };
    const used: Record<'bridge' | 'raw', Record<string, number>> = { bridge: {}, raw: {} };
    const ratios: number[] = [];
    for (let i = 0; i < rounds; i++) {
      for (const [side, url] of [['bridge', bridgeUrl], ['raw', rawUrl]] as const) {
        let r: Load | undefined;
        const { usPerRequest } = await cpuPerRequest(roots, async () => (r = await autocannon(url, c, body, seconds / rounds * 2)).total);
        runs[side].push(r!);
        for (const [k, us] of Object.entries(usPerRequest ?? {})) used[side][k] = (used[side][k] ?? 0) + (us * r!.total);
      }
      ratios.push(runs.bridge[i]!.rps / runs.raw[i]!.rps);
    }
    const merge = (xs: Load[]) => {
      const total = xs.reduce((a, x) => a + x.total, 0);
      const pick = (k: 'p50' | 'p99') => summarize(xs.map((x) => x[k])).p50;
      return { rps: xs.reduce((a, x) => a + x.rps, 0) / xs.length, total, p50: pick('p50'), p99: pick('p99'), errors: xs.reduce((a, x) => a + x.errors, 0) };
    };
    const b = merge(runs.bridge), r = merge(runs.raw);
    if (c === 64) {
      for (const side of ['bridge', 'raw'] as const) {
        const total = (side === 'bridge' ? b : r).total;
        cpu[`${label}, ${side === 'bridge' ? 'bridge' : 'bare server'}`] = Object.fromEntries(Object.entries(used[side]).map(([k, v]) => [k, v / total]));
      }
    }
    const sorted = [...ratios].sort((x, y) => x - y);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    figures.push({ label, connections: c, bridge: b, raw: r, roundRatios: ratios });
    rows.push([`${label}, ${c}`, Math.round(b.rps), Math.round(r.rps), `${median.toFixed(2)}×`, `${sorted[0]!.toFixed(2)}–${sorted.at(-1)!.toFixed(2)}×`,
      ms(b.p50), ms(r.p50), ms(b.p99), ms(r.p99), b.errors]);
  };
  try {
    for (const c of [1, 8, 64]) await compare('POST query', bridgeUrl, `${raw.url}/`, c, TINY_BODY);
    // GET /info never reaches the page: what the bridge's HTTP stack costs by itself.
    await compare('GET /info', infoUrl, `${raw.url}/info`, 64, undefined);
  } finally {
    raw.close();
  }
  results.relayOverhead = figures;
  results.relayCpu = cpu;
  say(table('1. Relay overhead: a tiny model over HTTP through bridge and page, against a plain Node http server (autocannon)',
    ['request, connections', 'bridge req/s', 'raw req/s', `bridge/raw (median of ${rounds} rounds)`, 'rounds', 'bridge p50', 'raw p50', 'bridge p99', 'raw p99', 'errors'], rows));
  const kinds = [...new Set(Object.values(cpu).flatMap((c) => Object.keys(c ?? {})))].sort();
  if (kinds.length) {
    say(table('1b. CPU per request by process at 64 connections (µs of user and system time, from /proc)',
      ['run', ...kinds, 'total'], Object.entries(cpu).map(([label, c]) =>
        [label, ...kinds.map((k) => (c?.[k] ? Math.round(c[k]) : '–')), Math.round(Object.values(c ?? {}).reduce((a, v) => a + v, 0))])));
  }
  // The same at concurrency 1 from one client, to see the added milliseconds plainly.
  const raw2 = await rawServer(answer, info);
  try {
    // One request to each server in turn, so that whatever else the machine does weighs on both alike;
    // with two clients: Node's http module (keep-alive) and fetch (undici), which costs more per request.
    const n = quick ? 200 : 2000;
    const added: Record<string, unknown> = {};
    for (const [client, once] of [['node:http', keepAlivePost()], ['fetch', post]] as const) {
      const bridge: number[] = [], raw: number[] = [];
      for (let i = 0; i < n + 200; i++) {
        let t = performance.now();
        await once(`${raw2.url}/`, TINY_BODY);
        if (i >= 200) raw.push(performance.now() - t);
        t = performance.now();
        await once(bridgeUrl, TINY_BODY);
        if (i >= 200) bridge.push(performance.now() - t);
      }
      const b = summarize(bridge), r = summarize(raw);
      added[client] = { bridge: b, raw: r, addedP50Ms: b.p50 - r.p50 };
      say(`${client === 'node:http' ? '\n' : ''}One client, back to back, alternating (${client}): bridge p50 ${ms(b.p50)} p99 ${ms(b.p99)}; raw p50 ${ms(r.p50)} p99 ${ms(r.p99)}; the relay adds ${ms(b.p50 - r.p50)} at p50.`);
    }
    results.relayAdded = added;
  } finally {
    raw2.close();
  }
}
