// The runtime worker: owns onnxruntime-web and every model's session, driven through comlink.
import * as Comlink from 'comlink';
import type * as Ort from 'onnxruntime-web';
import { adapters } from './adapters/index.ts';
import type { Adapter } from './adapters/adapter.ts';
import { InputError } from './errors.ts';
import { infoFromGraph } from './adapters/tensor.ts';
import { ANNOTATED, type Backend, type ModelManifest, type Values } from './types.ts';
import { decodeImage } from './image.ts';
import { ORT_BUNDLE, ortWasmThreads, sessionOptions } from './ort-config.ts';

export interface LoadProgress {
  stage: 'download' | 'compile';
  loaded?: number;
  total?: number;
}

export interface LoadResult {
  backend: Backend;
  fallbackReason?: string;
  size: number;
  loadMs: number;
}

interface Loaded {
  manifest: ModelManifest;
  /** The onnxruntime build its sessions belong to (tensors must come from the same one). */
  ort: typeof Ort;
  sessions: Record<string, Ort.InferenceSession>;
  files: Record<string, Uint8Array>;
  adapter: Adapter;
}

const ortPromises = new Map<Backend, Promise<typeof Ort>>();
const models = new Map<string, Loaded>();

/** onnxruntime-web is loaded from the served copy (not bundled), so its threads find their script.
 *  Each backend has its own build (see ORT_BUNDLE); the WebGPU one is loaded only when WebGPU is tried. */
function loadOrt(baseUrl: string, backend: Backend): Promise<typeof Ort> {
  let p = ortPromises.get(backend);
  if (!p) {
    p = (async () => {
      const ort = (await import(/* @vite-ignore */ new URL(ORT_BUNDLE[backend], baseUrl).href)) as typeof Ort;
      ort.env.logLevel = 'error';
      ort.env.wasm.numThreads = ortWasmThreads(self.crossOriginIsolated, navigator.hardwareConcurrency);
      return ort;
    })();
    p.catch(() => ortPromises.delete(backend));
    ortPromises.set(backend, p);
  }
  return p;
}

/** Fetches every file of a model at once, reporting the bytes received over all of them. */
async function fetchFiles(urls: string[], onProgress?: (p: LoadProgress) => void): Promise<Uint8Array[]> {
  const responses = await Promise.all(urls.map(async (url) => {
    const res = await fetch(url);
    if (!res.ok || !res.body) throw new Error(`could not fetch ${url}: HTTP ${res.status}`);
    return res;
  }));
  const sizes = responses.map((r) => Number(r.headers.get('content-length')) || 0);
  const total = sizes.every((n) => n > 0) ? sizes.reduce((a, b) => a + b, 0) : undefined;
  let loaded = 0;
  let lastReport = 0;
  return Promise.all(responses.map(async (res) => {
    const reader = res.body!.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
      loaded += value.byteLength;
      if (onProgress && (loaded - lastReport > 256 * 1024 || loaded === total)) {
        lastReport = loaded;
        onProgress({ stage: 'download', loaded, total });
      }
    }
    const out = new Uint8Array(size);
    let offset = 0;
    for (const c of chunks) { out.set(c, offset); offset += c.byteLength; }
    return out;
  }));
}

interface GpuAdapterLike {
  isFallbackAdapter?: boolean;
  info?: { vendor?: string; architecture?: string; description?: string; isFallbackAdapter?: boolean };
}

/** Why WebGPU is no good here, or undefined when a hardware adapter is there. */
async function webgpuMissing(): Promise<string | undefined> {
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<GpuAdapterLike | null> } }).gpu;
  if (!gpu) return 'this browser has no WebGPU';
  let adapter: GpuAdapterLike | null;
  try {
    adapter = await gpu.requestAdapter();
  } catch (err) {
    return `WebGPU adapter request failed: ${(err as Error).message}`;
  }
  if (!adapter) return 'no WebGPU adapter (no GPU, or GPU access disabled)';
  // A software adapter (SwiftShader, llvmpipe) is many times slower than onnxruntime's WASM kernels.
  const info = adapter.info ?? {};
  const name = `${info.vendor ?? ''} ${info.architecture ?? ''} ${info.description ?? ''}`;
  if (adapter.isFallbackAdapter || info.isFallbackAdapter || /swiftshader|llvmpipe|lavapipe|software/i.test(name)) {
    return `the only WebGPU adapter is a software one (${name.trim() || 'fallback adapter'})`;
  }
  return undefined;
}

/** Creates the model's sessions (WebGPU first unless told otherwise) and makes it runnable. */
async function install(manifest: ModelManifest, adapter: Adapter, networks: [string, Uint8Array][], files: Record<string, Uint8Array>,
  prefer: Backend | 'auto', baseUrl: string): Promise<{ backend: Backend; fallbackReason?: string }> {
  const create = async (ep: Backend) => {
    const ort = await loadOrt(baseUrl, ep);
    const sessions: Record<string, Ort.InferenceSession> = {};
    try {
      for (const [name, weights] of networks) {
        sessions[name] = await ort.InferenceSession.create(weights, sessionOptions(ep));
      }
      return { ort, sessions };
    } catch (err) {
      await Promise.all(Object.values(sessions).map((s) => s.release()));
      throw err;
    }
  };
  let backend: Backend = 'wasm';
  let fallbackReason: string | undefined = prefer === 'wasm' ? 'WASM was asked for' : await webgpuMissing();
  let created: { ort: typeof Ort; sessions: Record<string, Ort.InferenceSession> } | undefined;
  if (!fallbackReason) {
    try {
      created = await create('webgpu');
      backend = 'webgpu';
    } catch (err) {
      fallbackReason = `WebGPU session failed: ${(err as Error).message}`;
    }
  }
  created ??= await create('wasm');
  await api.unload(manifest.id);
  models.set(manifest.id, { manifest, ...created, files, adapter });
  return { backend, fallbackReason };
}

const api = {
  async load(manifest: ModelManifest, baseUrl: string, prefer: Backend | 'auto' = 'auto',
    onProgress?: (p: LoadProgress) => void): Promise<LoadResult> {
    const started = performance.now();
    const adapter = adapters[manifest.adapter];
    if (!adapter) throw new Error(`model "${manifest.id}" names adapter "${manifest.adapter}", which this runtime does not have`);
    const assets = manifest.assets ?? [{ name: 'model', file: manifest.file }];
    const bytes = await fetchFiles(assets.map((a) => new URL(`models/${manifest.id}/${a.file}`, baseUrl).href), onProgress);
    onProgress?.({ stage: 'compile' });

    const networks: [string, Uint8Array][] = [];
    const files: Record<string, Uint8Array> = {};
    assets.forEach((a, i) => {
      if (a.file.endsWith('.onnx')) networks.push([a.name ?? a.file, bytes[i]!]);
      else files[a.name ?? a.file] = bytes[i]!;
    });
    const r = await install(manifest, adapter, networks, files, prefer, baseUrl);
    return { ...r, size: bytes.reduce((n, b) => n + b.byteLength, 0), loadMs: performance.now() - started };
  },

  /** Loads an ONNX graph given as bytes (a dropped file) with the generic tensor adapter; its info
   *  comes from the graph's inputs and outputs. */
  async loadBytes(id: string, title: string, weights: Uint8Array, baseUrl: string, prefer: Backend | 'auto' = 'auto'): Promise<LoadResult & { manifest: ModelManifest }> {
    const started = performance.now();
    const manifest: ModelManifest = { id, title, file: `${id}.onnx`, adapter: 'tensor', inputs: [], outputs: [] };
    const r = await install(manifest, adapters.tensor!, [['model', weights]], {}, prefer, baseUrl);
    Object.assign(manifest, infoFromGraph(Object.values(models.get(id)!.sessions)[0]!));
    return { ...r, manifest, size: weights.byteLength, loadMs: performance.now() - started };
  },

  /** Runs a model. With `annotate`, the answer also holds the image input with the output drawn on
   *  it, as JPEG, under ANNOTATED (for clients that want a picture back, such as TCP's). */
  async run(id: string, inputs: Values, options: { annotate?: boolean } = {}): Promise<Values> {
    const m = models.get(id);
    if (!m) throw new Error(`model "${id}" is not loaded in this page`);
    const session = Object.values(m.sessions)[0]!;
    const imagePort = options.annotate ? m.manifest.inputs.find((p) => p.type === 'image')?.name : undefined;
    // Decoded before the adapter runs: adapters may take the bytes' buffer or close the bitmap.
    const picture = imagePort ? await decodeImage(inputs[imagePort], imagePort) : undefined;
    const outputs = await m.adapter.run(inputs, { ort: m.ort, session, sessions: m.sessions, files: m.files, manifest: m.manifest });
    if (!picture) return outputs;
    const canvas = new OffscreenCanvas(picture.width, picture.height);
    const ctx = canvas.getContext('2d')!;
    ctx.drawImage(picture, 0, 0);
    picture.close();
    m.adapter.draw?.(ctx, outputs, canvas.width, canvas.height);
    const jpeg = new Uint8Array(await (await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.9 })).arrayBuffer());
    return Comlink.transfer({ ...outputs, [ANNOTATED]: jpeg }, [jpeg.buffer]);
  },

  async unload(id: string): Promise<void> {
    const m = models.get(id);
    models.delete(id);
    await Promise.all(Object.values(m?.sessions ?? {}).map((s) => s.release()));
  },
};

export type RuntimeWorker = typeof api;
export { InputError };

Comlink.expose(api);
