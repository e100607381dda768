// Section 3's TFLite side, run in a module worker of the benchmark's page (bundled by
// bench/sections/tflite-inference.ts): a model's networks loaded by the runtime's own engine
// (web/runtime/engines/tflite/), as the page loads them, then each run alone on constant inputs, as the
// section times onnxruntime's session.run.
import { tfliteEngine } from '../web/runtime/engines/tflite/index.ts';
import { importLiteRt, litertThreads } from '../web/runtime/engines/tflite/loader.ts';
import { zeroFeeds } from '../web/runtime/engines/warm-up.ts';

export interface TfliteRequest { files: string[]; runs: number; warmup: number }
export interface TfliteTimes { times: Record<string, number[]>; backend: string; fallbackReason?: string; build: string; threads: number; error?: string }

self.onmessage = async ({ data: { files, runs, warmup } }: MessageEvent<TfliteRequest>) => {
  try {
    const baseUrl = `${location.origin}/`;
    const { build } = await importLiteRt(baseUrl);
    const bytes = await Promise.all(files.map(async (f): Promise<[string, Uint8Array]> => [f, new Uint8Array(await (await fetch(new URL(f, baseUrl))).arrayBuffer())]));
    // `auto`, as the page asks: WebGPU where LiteRT can put the whole network on it, else WASM.
    const loaded = await tfliteEngine.load(bytes, { prefer: 'auto', baseUrl, exclusive: (work) => work() });
    const times: Record<string, number[]> = {};
    for (const [file, network] of Object.entries(loaded.networks)) {
      const feeds = zeroFeeds(network)!;
      // 0.5 rather than zeros, as section 3 feeds onnxruntime.
      for (const t of Object.values(feeds)) if (t.data instanceof Float32Array) t.data.fill(0.5);
      for (let i = 0; i < warmup; i++) await network.run(feeds);
      times[file] = [];
      for (let i = 0; i < runs; i++) {
        const t = performance.now();
        await network.run(feeds);
        times[file].push(performance.now() - t);
      }
    }
    // Not released: the page ends this worker once it has the times (here, releasing the last network
    // run did not return on LiteRT's threaded build).
    self.postMessage({ times, backend: loaded.backend, fallbackReason: loaded.fallbackReason, build, threads: litertThreads(build, navigator.hardwareConcurrency) } satisfies TfliteTimes);
  } catch (err) {
    self.postMessage({ times: {}, backend: '', build: '', threads: 0, error: String((err as Error)?.stack ?? err) } satisfies TfliteTimes);
  }
};
