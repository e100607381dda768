// `npm run bench`: what pagebridge adds and how fast the page runs models, each figure beside its
// reference. Prints tables and writes bench/results/<time>.json. Not a test: nothing here fails.
//   --quick   shorter runs (a smoke check of the benchmark itself)
//   --only    a comma-separated list of sections: relay, protocols, inference, images, live, memory
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import type { Page } from 'playwright-core';
import { fixture } from '../test/helpers/page.ts';
import { identityModel } from '../test/helpers/onnx.ts';
import { closedLoop, ms, ratio, summarize, table, timeRuns } from './lib.ts';
import { httpClient, labgraphClient, oscClient, runtimeClient, socketioClient, tcpClient, type Client } from '../test/helpers/clients.ts';
import { loadBenchPackage } from './bench-packages.ts';
import { startChild } from './child-process.ts';
import { startBridgeAndPage, startHostedBridge, TINY, TINY_BODY, waitReady, type DrivenHarness, type Harness } from './harness.ts';
import { keepAlivePost, post } from './http-post.ts';

const quick = process.argv.includes('--quick');
// --only relay,protocols,inference,images,live,memory: some sections (the default is all).
const onlyArg = process.argv[process.argv.indexOf('--only') + 1];
const only = process.argv.includes('--only') && onlyArg ? new Set(onlyArg.split(',')) : undefined;
const wanted = (section: string) => !only || only.has(section);
const SECONDS = quick ? 1 : 4;
const results: Record<string, unknown> = { machine: { cpus: cpus().length, cpu: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30) } };
const out: string[] = [];
const say = (s: string) => { out.push(s); console.log(s); };

/** A plain Node server in its own process that reads the body and answers the bytes the bridge
 *  would: the floor any HTTP service on this machine stands on. */
async function rawServer(answer: string): Promise<{ url: string; close(): void }> {
  const script = `
    const answer = ${JSON.stringify(answer)};
    const server = require('node:http').createServer((req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        JSON.parse(Buffer.concat(chunks).toString());
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(answer) });
        res.end(answer);
      });
    });
    server.listen(0, '127.0.0.1', () => console.log('listening ' + server.address().port));`;
  const { child, match } = await startChild(['-e', script], /listening (\d+)/);
  return { url: `http://127.0.0.1:${match[1]}`, close: () => child.kill() };
}

async function autocannon(url: string, connections: number, body: string) {
  const { default: run } = await loadBenchPackage('autocannon');
  const r = await run({ url, connections, duration: SECONDS, method: 'POST', headers: { 'content-type': 'application/json' }, body });
  return { rps: r.requests.average as number, p50: r.latency.p50 as number, p99: r.latency.p99 as number, errors: (r.errors as number) + (r.non2xx as number) };
}

async function relayOverhead(h: Harness) {
  const bridgeUrl = `${h.url}/models/identity/query`;
  const answer = await (await fetch(bridgeUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: TINY_BODY })).text();
  const raw = await rawServer(answer);
  const rows: (string | number)[][] = [];
  const figures: unknown[] = [];
  try {
    for (const c of [1, 8, 64]) {
      const b = await autocannon(bridgeUrl, c, TINY_BODY);
      const r = await autocannon(`${raw.url}/`, c, TINY_BODY);
      figures.push({ connections: c, bridge: b, raw: r });
      rows.push([c, Math.round(b.rps), Math.round(r.rps), ratio(b.rps, r.rps), ms(b.p50), ms(r.p50), ms(b.p99), ms(r.p99), b.errors]);
    }
  } finally {
    raw.close();
  }
  results.relayOverhead = figures;
  say(table('1. Relay overhead: a tiny model over HTTP through bridge and page, against a plain Node http server (autocannon)',
    ['connections', 'bridge req/s', 'raw req/s', 'bridge/raw', 'bridge p50', 'raw p50', 'bridge p99', 'raw p99', 'errors'], rows));
  // The same at concurrency 1 from one client, to see the added milliseconds plainly.
  const raw2 = await rawServer(answer);
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

async function protocols(h: Harness) {
  const rows: (string | number)[][] = [];
  const figures: Record<string, unknown> = {};
  const l = h.listeners;
  // TCP's JSON queries go to the default model, so every protocol queries face-detection's tiny
  // sibling here: the identity model, addressed by id where the protocol allows it.
  const make: [string, () => Promise<Client>][] = [
    ['HTTP', () => httpClient(l, 'identity')],
    ['Socket.IO', () => socketioClient(l, 'identity')],
    ['OSC', () => oscClient(l, 'identity')],
    ['LabGraph', () => labgraphClient(l, 'identity')],
    ['runtime WebSocket', () => runtimeClient(l, 'identity')],
  ];
  for (const [name, open] of make) {
    const one = await open();
    const lat = summarize(await timeRuns(quick ? 100 : 400, 30, () => one.once(TINY)));
    one.close();
    const eight = await Promise.all(Array.from({ length: 8 }, open));
    let i = 0;
    const load8 = await closedLoop(8, SECONDS, () => eight[i++ % 8]!.once(TINY).then(() => {}));
    for (const c of eight) c.close();
    figures[name] = { latency: lat, throughput8: load8.rps, errors: load8.errors };
    rows.push([name, ms(lat.p50), ms(lat.p99), Math.round(load8.rps), load8.errors]);
  }
  results.protocols = figures;
  say(table('2. Per-protocol cost: the tiny model, one client back to back; throughput with 8 clients (TCP: see 4)',
    ['protocol', 'p50', 'p99', 'queries/s (8 clients)', 'errors'], rows));
}

/** Median session.run in the page and in onnxruntime-node. The page side runs as the product does:
 *  in a module worker, with the runtime's onnxruntime build, threads and session options
 *  (web/runtime/ort-config.ts); onnxruntime-node gets the same session options and one thread per core. */
async function inference(h: DrivenHarness) {
  const { ORT_BUNDLE, ortWasmThreads, sessionOptions } = await import('../web/runtime/ort-config.ts');
  const ortNode = await loadBenchPackage('onnxruntime-node');
  const threads = cpus().length;
  const models: { id: string; file: string; dims: number[] }[] = [
    { id: 'face-detection', file: 'models/face-detection/model.onnx', dims: [1, 256, 256, 3] },
    { id: 'line-segments', file: 'models/line-segments/model.onnx', dims: [1, 320, 320, 4] },
    { id: 'ocr (detection)', file: 'models/ocr/det.onnx', dims: [1, 3, 192, 384] },
    { id: 'ocr (recognition)', file: 'models/ocr/rec.onnx', dims: [1, 3, 48, 320] },
  ];
  const runs = quick ? 5 : 30;
  // Steady state, as a running bridge sees it: V8 runs a fresh WebAssembly module on baseline code
  // and optimises its hot functions in the background, so the first ~10 runs are slower (more for the
  // first model).
  const warmup = quick ? 3 : 20;
  const rows: (string | number)[][] = [];
  const figures: unknown[] = [];
  const pageEnv = await h.page.evaluate(() => ({ isolated: self.crossOriginIsolated, cores: navigator.hardwareConcurrency }));
  const pageThreads = ortWasmThreads(pageEnv.isolated, pageEnv.cores);
  for (const m of models) {
    const page = await h.page.evaluate(async (args) => {
      // A module worker of its own, as the runtime's (web/runtime/worker.ts).
      const source = `self.onmessage = async ({ data: { bundle, file, dims, runs, warmup, threads, options } }) => {
        try {
          const ort = await import(new URL(bundle, location.origin + '/').href);
          ort.env.wasm.numThreads = threads;
          ort.env.logLevel = 'error';
          const session = await ort.InferenceSession.create(new URL(file, location.origin + '/').href, options);
          const size = dims.reduce((a, b) => a * b, 1);
          const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', new Float32Array(size).fill(0.5), dims) };
          for (let i = 0; i < warmup; i++) await session.run(feeds);
          const times = [];
          for (let i = 0; i < runs; i++) {
            const t = performance.now();
            await session.run(feeds);
            times.push(performance.now() - t);
          }
          await session.release();
          self.postMessage({ times, threads: ort.env.wasm.numThreads });
        } catch (err) {
          self.postMessage({ error: String(err && err.stack || err) });
        }
      };`;
      // One worker for every model, as the runtime has: V8 optimises the WebAssembly module once.
      const g = globalThis as unknown as { inferenceWorker?: Worker };
      g.inferenceWorker ??= new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })), { type: 'module' });
      const worker = g.inferenceWorker;
      const r = await new Promise<{ times: number[]; threads: number; error?: string }>((resolve) => {
        worker.onmessage = (e) => resolve(e.data);
        worker.onerror = (e) => resolve({ times: [], threads: 0, error: e.message });
        worker.postMessage(args);
      });
      if (r.error) throw new Error(r.error);
      return r;
    }, { bundle: ORT_BUNDLE.wasm, file: m.file, dims: m.dims, runs, warmup, threads: pageThreads, options: sessionOptions('wasm') });
    const session = await ortNode.InferenceSession.create(readFileSync(new URL(`../dist/${m.file}`, import.meta.url)),
      { ...sessionOptions('wasm'), executionProviders: ['cpu'], intraOpNumThreads: threads });
    const feeds = { [session.inputNames[0]]: new ortNode.Tensor('float32', new Float32Array(m.dims.reduce((a, b) => a * b, 1)).fill(0.5), m.dims) };
    const nodeTimes = await timeRuns(runs, warmup, () => session.run(feeds));
    await session.release();
    const p = summarize(page.times), n = summarize(nodeTimes);
    figures.push({ model: m.id, page: p, node: n, pageThreads: page.threads, crossOriginIsolated: pageEnv.isolated });
    rows.push([m.id, ms(p.p50), ms(n.p50), ratio(p.p50, n.p50), `${page.threads}${pageEnv.isolated ? '' : ' (not isolated)'}`]);
  }
  await h.page.evaluate(() => {
    const g = globalThis as unknown as { inferenceWorker?: Worker };
    g.inferenceWorker?.terminate();
    delete g.inferenceWorker;
  });
  results.inference = figures;
  say(table(`3. Inference: median session.run, page (WASM, SIMD, in a worker) against onnxruntime-node (CPU, ${threads} threads)`,
    ['model', 'page', 'onnxruntime-node', 'page/node', 'page threads'], rows));
  return figures as { model: string; page: { p50: number } }[];
}

/** A 640×480 JPEG of the face fixture, made by the page's own encoder. */
async function makeJpeg(page: Page): Promise<Buffer> {
  return Buffer.from(await page.evaluate(async (png) => {
    const img = await createImageBitmap(await (await fetch(`data:image/png;base64,${png}`)).blob());
    const c = new OffscreenCanvas(640, 480);
    c.getContext('2d')!.drawImage(img, 0, 0, 640, 480);
    return [...new Uint8Array(await (await c.convertToBlob({ type: 'image/jpeg', quality: 0.85 })).arrayBuffer())];
  }, fixture('astronaut.png').toString('base64')));
}

async function imagesEndToEnd(h: Harness, jpeg: Buffer, inferenceP50: number) {
  const rows: (string | number)[][] = [];
  const figures: Record<string, unknown> = {};
  const runs = quick ? 20 : 100;
  const tcp = await tcpClient(h.listeners);
  const cases: [string, () => Promise<unknown>][] = [
    ['HTTP image/jpeg', () => post(`${h.url}/models/face-detection/query`, jpeg, 'image/jpeg')],
    ['HTTP JSON data URI', () => post(`${h.url}/models/face-detection/query`, JSON.stringify({ image: `data:image/jpeg;base64,${jpeg.toString('base64')}` }))],
    ['TCP JPEG → annotated JPEG', () => tcp.once(jpeg)],
  ];
  for (const [name, once] of cases) {
    const t = summarize(await timeRuns(runs, 5, async () => { await once(); }));
    figures[name] = t;
    rows.push([name, ms(t.p50), ms(inferenceP50), ms(t.p50 - inferenceP50), `${Math.round(((t.p50 - inferenceP50) / t.p50) * 100)}%`]);
  }
  tcp.close();
  results.imagesEndToEnd = { jpegBytes: jpeg.length, inferenceP50, cases: figures };
  say(table(`4. Images end to end: a 640×480 JPEG (${Math.round(jpeg.length / 1024)} KiB) through face-detection, against the model's own inference`,
    ['path', 'total p50', 'inference p50', 'overhead', 'overhead share'], rows));
}

/** Frames pushed at a fixed rate for a few seconds: what comes back, how late, how many are lost. */
async function live(h: Harness) {
  const frame = { image: `data:image/jpeg;base64,${fixture('astronaut-256.jpg').toString('base64')}` };
  const seconds = quick ? 2 : 6;
  const rows: (string | number)[][] = [];
  const figures: Record<string, unknown> = {};
  for (const fps of [30, 60]) {
    for (const name of ['Socket.IO', 'LabGraph']) {
      const latencies: number[] = [];
      // Frames the client saw dropped for newer ones (latest wins), and frames that failed otherwise.
      let sent = 0, answered = 0, dropped = 0, failed = 0;
      const pushedAt: number[] = [];
      let lastOutput = performance.now();
      let client: Client;
      if (name === 'Socket.IO') client = await socketioClient(h.listeners, 'face-detection');
      else {
        // LabGraph sends nothing for a dropped sample, so each output is matched to the sample the bridge
        // picks: the first output answers sample 0; each later one the newest sample pushed before the
        // previous output arrived (the one that waited), else the next one pushed after it. A sample still
        // on its way to the bridge then counts as picked: latencies may be short by up to a frame.
        const lg = await labgraphClient(h.listeners, 'face-detection');
        let last = -1;
        lg.onBatch((samples) => {
          const now = performance.now();
          for (const _ of samples) {
            let n = last + 1;
            while (n + 1 < pushedAt.length && pushedAt[n + 1]! <= lastOutput) n++;
            if (n >= pushedAt.length) break;
            latencies.push(now - pushedAt[n]!);
            answered++;
            last = n;
          }
          lastOutput = now;
        });
        client = lg;
      }
      const started = performance.now();
      lastOutput = started;
      const pushes: Promise<void>[] = [];
      for (let i = 0; performance.now() - started < seconds * 1000; i++) {
        const due = started + (i * 1000) / fps;
        await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
        sent++;
        const t = performance.now();
        pushedAt.push(t);
        const answer = client.once(frame);
        if (name === 'Socket.IO') {
          pushes.push(answer.then(() => { answered++; latencies.push(performance.now() - t); },
            (err: Error) => { if (/^dropped:/.test(err.message)) dropped++; else failed++; }));
        }
      }
      const window = (performance.now() - started) / 1000;
      if (name === 'Socket.IO') await Promise.race([Promise.all(pushes), new Promise((r) => setTimeout(r, 30_000))]);
      else {
        // The last sample pushed is always answered: wait until outputs stop coming.
        const end = performance.now() + 30_000;
        while (performance.now() - lastOutput < 1000 && performance.now() < end) await new Promise((r) => setTimeout(r, 100));
        dropped = sent - answered;
      }
      client.close();
      const lat = summarize(latencies);
      figures[`${name}@${fps}`] = { sent, answered, dropped, failed, latency: lat };
      rows.push([name, fps, (answered / window).toFixed(1), ms(lat.p50), ms(lat.p95), dropped, failed]);
    }
  }
  results.live = figures;
  say(table(`5a. Live: frames (256×256 JPEG, face-detection) pushed at a fixed rate for ${seconds} s; stale frames dropped (latest wins)`,
    ['protocol', 'pushed fps', 'answered fps', 'latency p50', 'latency p95', 'dropped', 'failed'], rows));
  say('Dropped: Socket.IO acknowledgements that said so; LabGraph sends nothing for a dropped sample, so its figure is the samples not answered, and its latencies match each output to the sample the bridge would have picked.');
}

async function memory(h: DrivenHarness) {
  const snapshot = async () => {
    // Give the bridge a moment to settle; the page measures every context it has (its workers too).
    await new Promise((r) => setTimeout(r, 500));
    const health = (await (await fetch(`${h.url}/health`)).json()) as { memory: { rssBytes: number; heapUsedBytes: number } };
    const page = await h.page.evaluate(async () => {
      const m = await (performance as unknown as { measureUserAgentSpecificMemory(): Promise<{ bytes: number }> }).measureUserAgentSpecificMemory();
      return m.bytes;
    });
    return { bridgeHeapMiB: health.memory.heapUsedBytes / 2 ** 20, bridgeRssMiB: health.memory.rssBytes / 2 ** 20, pageMiB: page / 2 ** 20 };
  };
  const run = async (n: number) => {
    let left = n;
    await Promise.all(Array.from({ length: 16 }, async () => { while (left-- > 0) await post(`${h.url}/models/identity/query`, TINY_BODY); }));
  };
  await run(100);
  const at100 = await snapshot();
  const total = quick ? 2000 : 10_000;
  await run(total - 100);
  const atN = await snapshot();
  results.memory = { after100: at100, [`after${total}`]: atN };
  const row = (k: keyof typeof at100, label: string) => [label, at100[k].toFixed(1), atN[k].toFixed(1), (atN[k] - at100[k]).toFixed(1)];
  say(table(`5b. Memory after 100 and after ${total} queries (16 clients, tiny model)`, ['MiB', 'after 100', `after ${total}`, 'growth'],
    [row('bridgeHeapMiB', 'bridge JS heap'), row('bridgeRssMiB', 'bridge RSS'), row('pageMiB', 'page and its workers (JS and WASM)')]));
}

// First what needs a driven page (inference inside it, its memory), then, with the bridge hosting its
// own page as users run it, everything measured through the relay.
say(`pagebridge benchmarks — ${JSON.stringify(results.machine)}`);
let inf: { model: string; page: { p50: number } }[] = [];
let jpeg: Buffer | undefined;
if (wanted('inference') || wanted('images') || wanted('memory')) {
  const driven = await startBridgeAndPage(['face-detection', 'line-segments', 'ocr']);
  try {
    await driven.page.setInputFiles('#onnx-input', { name: 'identity.onnx', mimeType: 'application/octet-stream', buffer: Buffer.from(identityModel(4)) });
    await waitReady(driven.url, ['identity']);
    const backend = await driven.page.locator('li[data-model="face-detection"]').innerText();
    say(`page: ${backend.split('\n')[0]}`);
    if (wanted('inference') || wanted('images')) inf = await inference(driven);
    if (wanted('images')) jpeg = await makeJpeg(driven.page);
    if (wanted('memory')) await memory(driven);
  } finally {
    await driven.close();
  }
}
if (wanted('relay') || wanted('protocols') || wanted('images') || wanted('live')) {
  const hosted = await startHostedBridge();
  try {
    if (wanted('relay')) await relayOverhead(hosted);
    if (wanted('protocols')) await protocols(hosted);
    if (jpeg) await imagesEndToEnd(hosted, jpeg, inf.find((f) => f.model === 'face-detection')!.page.p50);
    if (wanted('live')) await live(hosted);
  } finally {
    await hosted.close();
  }
}
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
const file = new URL(`./results/${new Date().toISOString().replace(/[:.]/g, '-')}.json`, import.meta.url);
writeFileSync(file, JSON.stringify(results, null, 2));
writeFileSync(new URL('./results/latest.md', import.meta.url), out.join('\n') + '\n');
console.log(`\nwritten: ${file.pathname} and bench/results/latest.md`);
