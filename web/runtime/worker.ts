// The runtime worker: owns onnxruntime-web and every model's session. The page drives it through comlink;
// the bridge reaches it through the relay, whose page end runs here.
import * as Comlink from 'comlink';
import type * as Ort from 'onnxruntime-web';
import { adapters } from './adapters/index.ts';
import type { Adapter } from './adapters/adapter.ts';
import { InputError } from './errors.ts';
import { infoFromGraph } from './adapters/tensor.ts';
import { type Backend, type PageEventKind, type PageEvents, type ModelAnnouncement, type ModelManifest, type Values } from '../contract/index.ts';
import { decodeImage } from './image.ts';
import { RelayClient, type QueryAnswer, type RelayPageRemote } from '../relay/client.ts';
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
/** The relay lives here, beside the sessions: a query from the bridge never waits on the page's main
 *  thread (its UI), and its bytes are used where they arrive, with no hop between threads. */
let relay: RelayClient | undefined;
/** The last run queued (see serially). */
let tail: Promise<unknown> = Promise.resolve();
let announced: ModelAnnouncement[] = [];

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

let gpuAdapter: Promise<{ adapter?: GpuAdapterLike; missing?: string }> | undefined;

/** A hardware WebGPU adapter, or why there is none. Asked once per worker. A fresh headless Chromium
 *  on Linux (Vulkan) has been seen answering null to its first request and the GPU to the next, so a
 *  null answer is asked again before it counts. */
function webgpuAdapter(): Promise<{ adapter?: GpuAdapterLike; missing?: string }> {
  gpuAdapter ??= (async () => {
    const gpu = (navigator as Navigator & { gpu?: { requestAdapter(o?: { powerPreference?: string }): Promise<GpuAdapterLike | null> } }).gpu;
    if (!gpu) return { missing: 'this browser has no WebGPU' };
    let adapter: GpuAdapterLike | null = null;
    for (let attempt = 0; attempt < 3 && !adapter; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, 50));
      try {
        adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
      } catch (err) {
        return { missing: `WebGPU adapter request failed: ${(err as Error).message}` };
      }
    }
    if (!adapter) return { missing: 'no WebGPU adapter (no GPU, or GPU access disabled)' };
    // A software adapter (SwiftShader, llvmpipe) is many times slower than onnxruntime's WASM kernels.
    const info = adapter.info ?? {};
    const name = `${info.vendor ?? ''} ${info.architecture ?? ''} ${info.description ?? ''}`;
    if (adapter.isFallbackAdapter || info.isFallbackAdapter || /swiftshader|llvmpipe|lavapipe|software/i.test(name)) {
      return { missing: `the only WebGPU adapter is a software one (${name.trim() || 'fallback adapter'})` };
    }
    return { adapter };
  })();
  return gpuAdapter;
}

/** Zeros for every input of a session whose input shapes are all fixed; undefined when some are not. */
function zeroFeeds(ort: typeof Ort, session: Ort.InferenceSession): Record<string, Ort.Tensor> | undefined {
  const feeds: Record<string, Ort.Tensor> = {};
  for (const m of session.inputMetadata) {
    if (!m.isTensor || !m.shape.every((d) => typeof d === 'number' && d > 0)) return undefined;
    const dims = m.shape as number[];
    const size = dims.reduce((a, b) => a * b, 1);
    if (m.type === 'float32') feeds[m.name] = new ort.Tensor('float32', new Float32Array(size), dims);
    else if (m.type === 'int32') feeds[m.name] = new ort.Tensor('int32', new Int32Array(size), dims);
    else if (m.type === 'int64') feeds[m.name] = new ort.Tensor('int64', new BigInt64Array(size), dims);
    else if (m.type === 'uint8') feeds[m.name] = new ort.Tensor('uint8', new Uint8Array(size), dims);
    else return undefined;
  }
  return feeds;
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
  const gpu = prefer === 'wasm' ? { missing: 'WASM was asked for' } : await webgpuAdapter();
  let fallbackReason = gpu.missing;
  let created: { ort: typeof Ort; sessions: Record<string, Ort.InferenceSession> } | undefined;
  if (gpu.adapter) {
    // onnxruntime uses the adapter checked above, not one it asks for itself. It can be set only
    // before the first WebGPU session; after that the property is onnxruntime's, read-only.
    const webgpu = (await loadOrt(baseUrl, 'webgpu')).env.webgpu as { adapter?: unknown };
    if (!webgpu.adapter) webgpu.adapter = gpu.adapter;
    try {
      created = await create('webgpu');
      backend = 'webgpu';
    } catch (err) {
      fallbackReason = `WebGPU session failed: ${(err as Error).message}`;
    }
  }
  if (created && backend === 'webgpu') {
    // A first run on zeros compiles the shaders now rather than in the first query, and catches a
    // graph that WebGPU's kernels load but cannot run (seen: a Cast in M-LSD); that model runs on WASM.
    const { ort, sessions } = created;
    const failed = await serially(() => warmUp(ort, sessions));
    if (failed) {
      await Promise.all(Object.values(sessions).map((s) => s.release()));
      created = undefined;
      backend = 'wasm';
      fallbackReason = `WebGPU could not run it: ${failed}`;
    }
  }
  created ??= await create('wasm');
  await api.unload(manifest.id);
  models.set(manifest.id, { manifest, ...created, files, adapter });
  return { backend, fallbackReason };
}

/** One first run of each session on zeros (where its input shapes are fixed); the error, if one fails. */
async function warmUp(ort: typeof Ort, sessions: Record<string, Ort.InferenceSession>): Promise<string | undefined> {
  for (const [name, session] of Object.entries(sessions)) {
    const feeds = zeroFeeds(ort, session);
    if (!feeds) continue;
    try {
      await session.run(feeds);
    } catch (err) {
      return `${name}: ${(err as Error).message.split('\n')[0]}`;
    }
  }
  return undefined;
}

/** Runs `work` after every run queued before it: onnxruntime-web keeps one run in progress per runtime
 *  (a second one that starts while the first awaits fails with "Session mismatch"). */
function serially<T>(work: () => Promise<T>): Promise<T> {
  const run = tail.then(work);
  tail = run.catch(() => {});
  return run;
}

/** Runs one query now (api.run queues it behind every earlier run). */
async function runNow(m: Loaded, inputs: Values, options: { annotate?: boolean }): Promise<QueryAnswer> {
  const session = Object.values(m.sessions)[0]!;
  const imagePort = options.annotate ? m.manifest.inputs.find((p) => p.type === 'image')?.name : undefined;
  // Decoded before the adapter runs: adapters may take the bytes' buffer or close the bitmap.
  const picture = imagePort ? await decodeImage(inputs[imagePort], imagePort) : undefined;
  const outputs = await m.adapter.run(inputs, { ort: m.ort, session, sessions: m.sessions, files: m.files, manifest: m.manifest });
  if (!picture) return { outputs };
  const canvas = new OffscreenCanvas(picture.width, picture.height);
  const ctx = canvas.getContext('2d')!;
  ctx.drawImage(picture, 0, 0);
  picture.close();
  m.adapter.draw?.(ctx, outputs, canvas.width, canvas.height);
  const jpeg = new Uint8Array(await (await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.9 })).arrayBuffer());
  return Comlink.transfer({ outputs, annotated: jpeg }, [jpeg.buffer]);
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
   *  it, as JPEG (for clients that want a picture back, such as TCP's). */
  run(id: string, inputs: Values, options: { annotate?: boolean } = {}): Promise<QueryAnswer> {
    const m = models.get(id);
    if (!m) return Promise.reject(new Error(`model "${id}" is not loaded in this page`));
    // One after another, also when several arrive together in one relay message.
    return serially(() => runNow(m, inputs, options));
  },

  /** Connects this worker to the bridge's relay; `page` answers what only the page can (programs)
   *  and hears the connection's state and the bridge's activity. */
  relayConnect(url: string, page: RelayPageRemote): void {
    relay?.close();
    relay = new RelayClient(url, {
      models: () => announced,
      query: (id, inputs, annotate) => api.run(id, inputs, { annotate }),
      call: async (kind, payload) => {
        const answer = await page.call(kind, payload as Values);
        if (answer.error) throw Object.assign(new Error(answer.error.message), { name: answer.error.name, code: answer.error.code });
        return answer.outputs as never;
      },
      status: (state, hello) => void page.status(state, hello),
      activity: (entries, clients, dropped) => void page.activity(entries, clients, dropped),
    });
    relay.connect();
  },

  /** The page's models changed: tell the bridge (and remember them for reconnects). */
  relayAnnounce(list: ModelAnnouncement[]): void {
    announced = list;
    relay?.announce();
  },

  relayPublish(model: string, outputs: Values, source: string): void {
    relay?.publish(model, outputs, source);
  },

  relayEvent<K extends PageEventKind>(kind: K, payload: PageEvents[K]): void {
    relay?.event(kind, payload);
  },

  relayClose(): void {
    relay?.close();
    relay = undefined;
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
