// The embed API: run a model in any page, with no bridge.
//   const model = await loadModel('face-detection', { baseUrl: 'http://127.0.0.1:8000/' });
//   const { faces } = await model.query({ image: blob });
import * as Comlink from 'comlink';
import type { RuntimeWorker, LoadProgress } from './worker.ts';
import type { Backend, ModelInfo, ModelManifest, Values } from './types.ts';
import { adapters } from './adapters/index.ts';

export type { LoadProgress, Backend, ModelInfo, ModelManifest, Values };

export interface LoadOptions {
  /** Where `models/` and `ort/` are served (default: this page's directory). */
  baseUrl?: string;
  /** `auto` tries WebGPU and falls back to WASM. */
  backend?: Backend | 'auto';
  onProgress?: (p: LoadProgress) => void;
}

let worker: { remote: Comlink.Remote<RuntimeWorker>; raw: Worker; users: number } | undefined;

function runtime() {
  if (!worker) {
    const raw = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'pagebridge-runtime' });
    worker = { remote: Comlink.wrap<RuntimeWorker>(raw), raw, users: 0 };
  }
  return worker;
}

export class Model {
  private disposed = false;

  constructor(readonly manifest: ModelManifest, readonly backend: Backend, readonly fallbackReason: string | undefined,
    readonly size: number, readonly loadMs: number) {}

  get id(): string { return this.manifest.id; }
  get info(): ModelInfo { return { inputs: this.manifest.inputs, outputs: this.manifest.outputs }; }

  /**
   * Runs the model. Images may be bytes, a Blob, or anything createImageBitmap takes (canvas, video,
   * bitmap). With `transfer`, byte arrays are handed to the worker (their buffers detach here) rather
   * than copied: for bytes the caller owns and needs no more, such as a relay frame.
   */
  async query(inputs: Values, options: { transfer?: boolean } = {}): Promise<Values> {
    if (this.disposed) throw new Error(`model "${this.id}" was disposed`);
    const prepared: Values = {};
    const transfer = new Set<Transferable>();
    for (const [name, value] of Object.entries(inputs)) {
      if (value instanceof Blob) {
        const bytes = new Uint8Array(await value.arrayBuffer());
        prepared[name] = bytes;
        transfer.add(bytes.buffer);
      } else if (isImageSource(value)) {
        const bitmap = await createImageBitmap(value);
        prepared[name] = bitmap;
        transfer.add(bitmap);
      } else {
        prepared[name] = value;
        if (options.transfer && value instanceof Uint8Array && value.buffer instanceof ArrayBuffer) transfer.add(value.buffer);
      }
    }
    return runtime().remote.run(this.id, Comlink.transfer(prepared, [...transfer]));
  }

  /** Draws outputs of this model over an image of width×height. */
  draw(ctx: CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D, outputs: Values, width: number, height: number): void {
    adapters[this.manifest.adapter]?.draw?.(ctx, outputs, width, height);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const w = worker;
    if (!w) return;
    await w.remote.unload(this.id);
    if (--w.users === 0) {
      w.remote[Comlink.releaseProxy]();
      w.raw.terminate();
      worker = undefined;
    }
  }
}

function isImageSource(v: unknown): v is ImageBitmapSource {
  return (typeof HTMLCanvasElement !== 'undefined' && v instanceof HTMLCanvasElement) ||
    (typeof HTMLVideoElement !== 'undefined' && v instanceof HTMLVideoElement) ||
    (typeof HTMLImageElement !== 'undefined' && v instanceof HTMLImageElement) ||
    (typeof OffscreenCanvas !== 'undefined' && v instanceof OffscreenCanvas) ||
    (typeof ImageBitmap !== 'undefined' && v instanceof ImageBitmap) ||
    (typeof ImageData !== 'undefined' && v instanceof ImageData);
}

export async function fetchManifest(id: string, baseUrl: string): Promise<ModelManifest> {
  const res = await fetch(new URL(`models/${id}/model.json`, baseUrl));
  if (!res.ok) throw new Error(`no model "${id}" at ${baseUrl} (HTTP ${res.status})`);
  return (await res.json()) as ModelManifest;
}

/** Loads a model of `baseUrl/models/<id>/` into this page's runtime worker. */
export async function loadModel(id: string, options: LoadOptions = {}): Promise<Model> {
  const baseUrl = new URL(options.baseUrl ?? './', location.href).href;
  const manifest = await fetchManifest(id, baseUrl);
  const w = runtime();
  w.users++;
  try {
    const r = await w.remote.load(manifest, baseUrl, options.backend ?? 'auto',
      options.onProgress ? Comlink.proxy(options.onProgress) : undefined);
    return new Model(manifest, r.backend, r.fallbackReason, r.size, r.loadMs);
  } catch (err) {
    w.users--;
    throw err;
  }
}
