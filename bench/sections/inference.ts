// Section 3 (`--only inference`, also run for `images`): how fast the page runs each model, against
// onnxruntime-node on the same machine; the TFLite models' networks too (bench/sections/tflite-inference.ts).
import { cpus } from 'node:os';
import type { BenchRun } from '../bench-run.ts';
import { loadBenchPackage } from '../bench-packages.ts';
import type { DrivenHarness } from '../harness.ts';
import { ms, ratio, summarize, table, timeRuns } from '../lib.ts';
import { makeFeeds, networkBytes, ONNX_NETWORKS, startPageWorker } from '../onnx-networks.ts';
import { tfliteInference } from './tflite-inference.ts';

/** What the images section compares its totals with: each network's median inference in the page, the
 *  TFLite ones as `<model> (<network>)` (a model's network file when it has one: `face-detection (model)`). */
export type InferenceFigures = { model: string; page: { p50: number } }[];

/** Median session.run in the page and in onnxruntime-node. The page side runs as the product does:
 *  in a module worker, with the runtime's onnxruntime build, threads and session options
 *  (web/runtime/engines/onnx/config.ts); onnxruntime-node gets the same session options and one thread per core. */
export async function inference(h: DrivenHarness, { quick, results, say }: BenchRun): Promise<InferenceFigures> {
  const { sessionOptions } = await import('../../web/runtime/engines/onnx/config.ts');
  const ortNode = await loadBenchPackage('onnxruntime-node');
  const threads = cpus().length;
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
  const worker = await startPageWorker(h.page);
  for (const m of ONNX_NETWORKS) {
    const loaded = await worker.load(m, warmup);
    const session = await ortNode.InferenceSession.create(await networkBytes(m),
      { ...sessionOptions('wasm'), executionProviders: ['cpu'], intraOpNumThreads: threads });
    const feeds = makeFeeds(ortNode.Tensor, session.inputNames, m.inputs);
    await timeRuns(0, warmup, () => session.run(feeds));
    const pageTimes: number[] = [], nodeTimes: number[] = [], roundRatios: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const pt = await worker.run(perRound);
      const nt = await timeRuns(perRound, 0, () => session.run(feeds));
      pageTimes.push(...pt);
      nodeTimes.push(...nt);
      roundRatios.push(summarize(pt).p50 / summarize(nt).p50);
    }
    await worker.release();
    await session.release();
    const p = summarize(pageTimes), n = summarize(nodeTimes);
    const spread = `${Math.min(...roundRatios).toFixed(2)}–${Math.max(...roundRatios).toFixed(2)}×`;
    figures.push({ model: m.id, page: p, node: n, roundRatios, pageThreads: loaded.threads, crossOriginIsolated: worker.isolated });
    rows.push([m.id, 'onnx', 'wasm', ms(p.p50), ms(n.p50), ratio(p.p50, n.p50), spread, `${loaded.threads}${worker.isolated ? '' : ' (not isolated)'}`]);
  }
  await worker.terminate();
  // The TFLite networks: the backend the page's engine picks (`auto`), no Node reference.
  const tflite = await tfliteInference(h.page, runs, warmup);
  // The TFLite networks converted from, or the same as, an ONNX row above: each beside onnxruntime-node's
  // figure for that ONNX network (face-detection's converted at install; BlazeFace short range as keijiro
  // exported it to ONNX and MediaPipe to TFLite).
  const sameNetwork: Record<string, string> = {
    'face-detection (model)': 'face-detection', 'line-segments (model)': 'line-segments', 'face-detection-short (model)': 'BlazeFace short range (ONNX)',
  };
  for (const t of tflite) {
    const id = `${t.model} (${t.network})`;
    const node = (figures as { model: string; node: { p50: number } }[]).find((f) => f.model === sameNetwork[id])?.node;
    rows.push([id, 'tflite', t.backend, ms(t.page.p50), node ? ms(node.p50) : '–', node ? ratio(t.page.p50, node.p50) : '–', '–',
      `${t.threads}${worker.isolated ? '' : ' (not isolated)'}`]);
  }
  results.inference = figures;
  results.tfliteInference = tflite;
  say(table(`3. Inference: median session.run (TFLite: CompiledModel.run), page (WASM, SIMD, in a worker) against onnxruntime-node (CPU, ${threads} threads)`,
    ['model', 'engine', 'backend', 'page', 'onnxruntime-node', 'page/node', `page/node, each of ${rounds} rounds`, 'page threads'], rows));
  return [...(figures as InferenceFigures), ...tflite.map((t) => ({ model: `${t.model} (${t.network})`, page: t.page }))];
}
