// Section 3's rows for the TFLite models (LiteRT.js): each network's median run in the page, in a module
// worker of the benchmark's own that loads it with the runtime's TFLite engine (bench/tflite-worker.ts,
// bundled here with esbuild, which comes with tsx), so the rows time the page's own loading and settings
// without a hook in the runtime. No Node reference: there is no TFLite runtime for Node among the
// project's packages.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Page } from 'playwright-core';
import type { TfliteRequest, TfliteTimes } from '../tflite-worker.ts';
import { summarize, type Latency } from '../lib.ts';

const MODELS = ['face-detection', 'line-segments', 'face-detection-short', 'body-pose', 'hand-pose', 'face-mesh', 'person-segmentation'];

export interface TfliteFigure { model: string; network: string; page: Latency; backend: string; fallbackReason?: string; build: string; threads: number }

/** Every .tflite network of each model, timed in the page `page` (of the bridge's origin). */
export async function tfliteInference(page: Page, runs: number, warmup: number): Promise<TfliteFigure[]> {
  const bundled = await build({
    entryPoints: [fileURLToPath(new URL('../tflite-worker.ts', import.meta.url))],
    bundle: true, format: 'esm', platform: 'browser', target: 'es2022', write: false, logLevel: 'error',
  });
  const source = bundled.outputFiles[0]!.text;
  const figures: TfliteFigure[] = [];
  for (const model of MODELS) {
    const manifest = JSON.parse(readFileSync(new URL(`../../dist/models/${model}/model.json`, import.meta.url), 'utf8')) as { file: string; assets?: { name: string; file: string }[] };
    const networks = (manifest.assets ?? [{ name: 'model', file: manifest.file }]).filter((a) => a.file.endsWith('.tflite'));
    const request: TfliteRequest = { files: networks.map((n) => `models/${model}/${n.file}`), runs, warmup };
    // A worker per model, as the runtime's worker is fresh for a model loaded alone.
    const r = await page.evaluate(async ({ source, request }) => {
      const worker = new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })), { type: 'module' });
      try {
        return await new Promise<TfliteTimes>((resolve) => {
          worker.onmessage = (e) => resolve(e.data);
          worker.onerror = (e) => resolve({ times: {}, backend: '', build: '', threads: 0, error: e.message });
          worker.postMessage(request);
        });
      } finally {
        worker.terminate();
      }
    }, { source, request });
    if (r.error) throw new Error(`${model}: ${r.error}`);
    for (const [i, n] of networks.entries()) {
      figures.push({ model, network: n.name, page: summarize(r.times[request.files[i]!]!), backend: r.backend, fallbackReason: r.fallbackReason, build: r.build, threads: r.threads });
    }
  }
  return figures;
}
