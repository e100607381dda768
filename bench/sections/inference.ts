// Section 3 (`--only inference`, also run for `images`): how fast the page runs each model, against
// onnxruntime-node on the same machine; the TFLite models' networks too (bench/sections/tflite-inference.ts).
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import type { BenchRun } from '../bench-run.ts';
import { loadBenchPackage } from '../bench-packages.ts';
import type { DrivenHarness } from '../harness.ts';
import { ms, ratio, summarize, table, timeRuns } from '../lib.ts';
import { tfliteInference } from './tflite-inference.ts';

/** What the images section compares its totals with: each model's median inference in the page. */
export type InferenceFigures = { model: string; page: { p50: number } }[];

/** Median session.run in the page and in onnxruntime-node. The page side runs as the product does:
 *  in a module worker, with the runtime's onnxruntime build, threads and session options
 *  (web/runtime/engines/onnx/config.ts); onnxruntime-node gets the same session options and one thread per core. */
export async function inference(h: DrivenHarness, { quick, results, say }: BenchRun): Promise<InferenceFigures> {
  const { ORT_BUNDLE, ortWasmThreads, sessionOptions } = await import('../../web/runtime/engines/onnx/config.ts');
  const ortNode = await loadBenchPackage('onnxruntime-node');
  const threads = cpus().length;
  const models: { id: string; file: string; dims: number[] }[] = [
    { id: 'face-detection', file: 'models/face-detection/model.onnx', dims: [1, 256, 256, 3] },
    // BlazeFace's short-range network, which face-mesh's detector runs on LiteRT.js as TFLite (its row below).
    { id: 'face-detection-short', file: 'models/face-detection-short/model.onnx', dims: [1, 128, 128, 3] },
    { id: 'line-segments', file: 'models/line-segments/model.onnx', dims: [1, 320, 320, 4] },
    { id: 'ocr (detection)', file: 'models/ocr/det.onnx', dims: [1, 3, 192, 384] },
    { id: 'ocr (recognition)', file: 'models/ocr/rec.onnx', dims: [1, 3, 48, 320] },
  ];
  const runs = quick ? 5 : 30;
  // Steady state, as a running bridge sees it: V8 runs a fresh WebAssembly module on baseline code
  // and optimises its hot functions in the background, so the first ~10 runs are slower (more for the
  // first model).
  const warmup = quick ? 3 : 20;
  // The page and Node take turns, a few runs each, so that the machine's other load weighs on both alike;
  // each round's ratio is kept, and the table gives their spread.
  const rounds = quick ? 2 : 6;
  const perRound = Math.ceil(runs / rounds);
  const rows: (string | number)[][] = [];
  const figures: unknown[] = [];
  const pageEnv = await h.page.evaluate(() => ({ isolated: self.crossOriginIsolated, cores: navigator.hardwareConcurrency }));
  const pageThreads = ortWasmThreads(pageEnv.isolated, pageEnv.cores);
  // A module worker of its own, as the runtime's (web/runtime/worker.ts), holding one session at a time:
  // `load` makes it and runs it `warmup` times, `run` times `n` runs, `release` ends it.
  await h.page.evaluate(() => {
    const source = `let ort, session, feeds;
      self.onmessage = async ({ data: m }) => {
        try {
          if (m.op === 'load') {
            ort ??= await import(new URL(m.bundle, location.origin + '/').href);
            ort.env.wasm.numThreads = m.threads;
            ort.env.logLevel = 'error';
            session = await ort.InferenceSession.create(new URL(m.file, location.origin + '/').href, m.options);
            const size = m.dims.reduce((a, b) => a * b, 1);
            feeds = { [session.inputNames[0]]: new ort.Tensor('float32', new Float32Array(size).fill(0.5), m.dims) };
            for (let i = 0; i < m.warmup; i++) await session.run(feeds);
            self.postMessage({ threads: ort.env.wasm.numThreads });
          } else if (m.op === 'run') {
            const times = [];
            for (let i = 0; i < m.n; i++) {
              const t = performance.now();
              await session.run(feeds);
              times.push(performance.now() - t);
            }
            self.postMessage({ times });
          } else {
            await session.release();
            self.postMessage({});
          }
        } catch (err) {
          self.postMessage({ error: String(err && err.stack || err) });
        }
      };`;
    // One worker for every model, as the runtime has: V8 optimises the WebAssembly module once.
    const g = globalThis as unknown as { inferenceWorker?: Worker; ask?: (m: unknown) => Promise<unknown> };
    const worker = (g.inferenceWorker = new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })), { type: 'module' }));
    g.ask = (m) => new Promise((resolve, reject) => {
      worker.onmessage = (e) => (e.data.error ? reject(new Error(e.data.error)) : resolve(e.data));
      worker.onerror = (e) => reject(new Error(e.message));
      worker.postMessage(m);
    });
  });
  const ask = <T>(m: unknown) => h.page.evaluate((msg) => (globalThis as unknown as { ask(m: unknown): Promise<unknown> }).ask(msg), m) as Promise<T>;
  for (const m of models) {
    const loaded = await ask<{ threads: number }>({ op: 'load', bundle: ORT_BUNDLE.wasm, file: m.file, dims: m.dims, warmup, threads: pageThreads, options: sessionOptions('wasm') });
    const session = await ortNode.InferenceSession.create(readFileSync(new URL(`../../dist/${m.file}`, import.meta.url)),
      { ...sessionOptions('wasm'), executionProviders: ['cpu'], intraOpNumThreads: threads });
    const feeds = { [session.inputNames[0]]: new ortNode.Tensor('float32', new Float32Array(m.dims.reduce((a, b) => a * b, 1)).fill(0.5), m.dims) };
    await timeRuns(0, warmup, () => session.run(feeds));
    const pageTimes: number[] = [], nodeTimes: number[] = [], roundRatios: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const pt = (await ask<{ times: number[] }>({ op: 'run', n: perRound })).times;
      const nt = await timeRuns(perRound, 0, () => session.run(feeds));
      pageTimes.push(...pt);
      nodeTimes.push(...nt);
      roundRatios.push(summarize(pt).p50 / summarize(nt).p50);
    }
    await ask({ op: 'release' });
    await session.release();
    const p = summarize(pageTimes), n = summarize(nodeTimes);
    const spread = `${Math.min(...roundRatios).toFixed(2)}–${Math.max(...roundRatios).toFixed(2)}×`;
    figures.push({ model: m.id, page: p, node: n, roundRatios, pageThreads: loaded.threads, crossOriginIsolated: pageEnv.isolated });
    rows.push([m.id, 'onnx', 'wasm', ms(p.p50), ms(n.p50), ratio(p.p50, n.p50), spread, `${loaded.threads}${pageEnv.isolated ? '' : ' (not isolated)'}`]);
  }
  await h.page.evaluate(() => {
    const g = globalThis as unknown as { inferenceWorker?: Worker; ask?: unknown };
    g.inferenceWorker?.terminate();
    delete g.inferenceWorker;
    delete g.ask;
  });
  // The TFLite networks: the backend the page's engine picks (`auto`), no Node reference.
  const tflite = await tfliteInference(h.page, runs, warmup);
  for (const t of tflite) rows.push([`${t.model} (${t.network})`, 'tflite', t.backend, ms(t.page.p50), '–', '–', '–', `${t.threads}${pageEnv.isolated ? '' : ' (not isolated)'}`]);
  results.inference = figures;
  results.tfliteInference = tflite;
  say(table(`3. Inference: median session.run (TFLite: CompiledModel.run), page (WASM, SIMD, in a worker) against onnxruntime-node (CPU, ${threads} threads)`,
    ['model', 'engine', 'backend', 'page', 'onnxruntime-node', 'page/node', `page/node, each of ${rounds} rounds`, 'page threads'], rows));
  return figures as InferenceFigures;
}
