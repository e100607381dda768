// The embed API: run a model in any page, with no bridge.
//   const model = await loadModel('face-detection', { baseUrl: 'http://127.0.0.1:8000/' });
//   const { faces } = await model.query({ image: blob });
import * as Comlink from 'comlink';
import type { LoadProgress } from './worker.ts';
import type { WarmUpResult } from './warm-up.ts';
import type { Backend, ModelInfo, ModelManifest, Values } from '../contract/index.ts';
import { acquireRuntime, releaseRuntime, type RuntimeHandle } from './worker-handle.ts';
import { adapters } from './adapters/index.ts';

export type { LoadProgress, Backend, ModelInfo, ModelManifest, Values, WarmUpResult };

export interface LoadOptions {
  /** Where `models/` and `ort/` are served (default: where this runtime was loaded from). */
  baseUrl?: string;
  /** `auto` tries WebGPU and falls back to WASM. */
  backend?: Backend | 'auto';
  onProgress?: (p: LoadProgress) => void;
  /** Run the model on made-up inputs while it loads, until it runs as fast as it will, so that a first
   *  query is not slower than the rest (default true; false loads sooner). */
  warmUp?: boolean;
}

let defaultBaseUrl: string | undefined;

/** Sets where models and onnxruntime are fetched from when `loadModel` is given no `baseUrl`. */
export function setDefaultBaseUrl(url: string): void {
  defaultBaseUrl = new URL(url, location.href).href;
}

export interface StreamOptions {
  /** Most frames a second sent to the model (default 30); fewer when the model is slower. */
  fps?: number;
  /** The image input to feed (default: the model's first image input). */
  input?: string;
  /** Other inputs sent with every frame. */
  inputs?: Values;
  onError?: (err: Error) => void;
  /** Image outputs as `ImageData` (the default) or as their encoded `bytes`, as for `query`. */
  images?: 'imagedata' | 'bytes';
}

export interface StreamStats {
  /** Frames answered per second, over the last second or so. */
  fps: number;
  /** Time from grabbing a frame to its output. */
  latencyMs: number;
  /** Frames skipped because the model was still busy with an older one. */
  dropped: number;
}

export interface Stream {
  stop(): void;
  pause(): void;
  resume(): void;
  setFps(fps: number): void;
  readonly stats: StreamStats;
}

export interface QueryOptions {
  /** Hand byte arrays of the inputs to the worker instead of copying them (their buffers detach here). */
  transfer?: boolean;
  /** A sequence of frames whose state a model may carry from one to the next (see `query`). */
  track?: string;
  /** Image outputs as `ImageData` (the default) or as their encoded `bytes` (PNG). */
  images?: 'imagedata' | 'bytes';
}

/** Streams started in this page, for their tracking keys. */
let streams = 0;

export class Model {
  private disposed = false;

  constructor(readonly manifest: ModelManifest, readonly backend: Backend, readonly fallbackReason: string | undefined,
    readonly size: number, readonly loadMs: number, private readonly runtime: RuntimeHandle,
    /** The warm-up's whole queries while it loaded (LoadOptions.warmUp). */
    readonly warmUp?: WarmUpResult) {}

  get id(): string { return this.manifest.id; }
  get info(): ModelInfo { return { inputs: this.manifest.inputs, outputs: this.manifest.outputs }; }

  /**
   * Runs the model. Image outputs come as `ImageData` (a person mask: grey pixels, white where a person
   * is), or as the PNG bytes the protocols carry with `images: 'bytes'`. Images may be bytes, a Blob, or anything createImageBitmap takes (canvas, video,
   * bitmap). With `transfer`, byte arrays are handed to the worker (their buffers detach here) rather
   * than copied: for bytes the caller owns and needs no more (a file just read, a network message).
   * `track` names a sequence of frames (a video) whose state a model may carry from one to the next
   * (pose tracking); `stream()` gives each stream its own.
   */
  async query(inputs: Values, options: QueryOptions = {}): Promise<Values> {
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
    const { outputs } = await this.runtime.remote.run(this.id, Comlink.transfer(prepared, [...transfer]), options.track !== undefined ? { track: options.track } : {});
    // Image outputs (a person mask) as pixels, ready for a canvas or a loop over them; protocols carry them as PNG.
    for (const port of this.manifest.outputs) {
      const value = outputs[port.name];
      if (port.type === 'image' && value instanceof Uint8Array && options.images !== 'bytes') outputs[port.name] = await imageDataOf(value);
    }
    // So that `draw` can draw these outputs at once.
    await adapters[this.manifest.adapter]?.prepare?.(outputs);
    return outputs;
  }

  /**
   * Runs the model on a live source (a playing video, a canvas) frame after frame. Latest wins: a
   * frame that arrives while the model is busy is skipped, never queued, so outputs stay current.
   */
  stream(source: HTMLVideoElement | HTMLCanvasElement | OffscreenCanvas, onOutput: (outputs: Values, stats: StreamStats) => void,
    options: StreamOptions = {}): Stream {
    const input = options.input ?? this.manifest.inputs.find((p) => p.type === 'image')?.name;
    if (!input) throw new Error(`model "${this.id}" takes no image input to stream into`);
    let interval = 1000 / (options.fps ?? 30);
    let running = true, paused = false, busy = false, last = 0;
    // This stream's frames follow one another: a model may track across them, apart from other streams.
    const track = `stream-${++streams}`;
    const stats: StreamStats = { fps: 0, latencyMs: 0, dropped: 0 };
    const answered: number[] = [];
    const tick = async () => {
      if (!running) return;
      schedule();
      const now = performance.now();
      if (paused || now - last < interval) return;
      if (busy) { stats.dropped++; return; }
      if (source instanceof HTMLVideoElement && source.readyState < 2) return;
      busy = true;
      last = now;
      try {
        const outputs = await this.query({ ...options.inputs, [input]: await createImageBitmap(source) }, { track, ...(options.images ? { images: options.images } : {}) });
        const done = performance.now();
        answered.push(done);
        while (answered[0]! < done - 1000) answered.shift();
        stats.fps = answered.length;
        stats.latencyMs = done - now;
        if (running) onOutput(outputs, { ...stats });
      } catch (err) {
        if (running) options.onError?.(err as Error);
      } finally {
        busy = false;
      }
    };
    const schedule = () => {
      if (!running) return;
      if (source instanceof HTMLVideoElement && 'requestVideoFrameCallback' in source) source.requestVideoFrameCallback(() => void tick());
      else if (typeof requestAnimationFrame === 'function') requestAnimationFrame(() => void tick());
      else setTimeout(() => void tick(), interval);
    };
    schedule();
    return {
      stop: () => { running = false; },
      pause: () => { paused = true; },
      resume: () => { paused = false; },
      setFps: (fps: number) => { interval = 1000 / fps; },
      get stats() { return { ...stats }; },
    };
  }

  /** Draws outputs of this model over an image of width×height. */
  draw(ctx: CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D, outputs: Values, width: number, height: number): void {
    adapters[this.manifest.adapter]?.draw?.(ctx, outputs, width, height);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.runtime.remote.unload(this.id);
    releaseRuntime(this.runtime);
  }
}

/** Encoded image bytes → their RGBA pixels. */
async function imageDataOf(bytes: Uint8Array): Promise<ImageData> {
  const bitmap = await createImageBitmap(new Blob([bytes as Uint8Array<ArrayBuffer>]));
  const ctx = new OffscreenCanvas(bitmap.width, bitmap.height).getContext('2d', { willReadFrequently: true })!;
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  return ctx.getImageData(0, 0, ctx.canvas.width, ctx.canvas.height);
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

/**
 * Loads an ONNX graph from bytes (a file the user dropped) with the generic tensor adapter: its info
 * is derived from the graph's inputs and outputs, each a `tensor` ({dtype, dims, data}).
 */
export async function loadOnnx(bytes: Uint8Array, options: { id: string; title?: string; baseUrl?: string; backend?: Backend | 'auto' }): Promise<Model> {
  const baseUrl = new URL(options.baseUrl ?? defaultBaseUrl ?? './', location.href).href;
  return withRuntime(async (w) => {
    const r = await w.remote.loadBytes(options.id, options.title ?? options.id, bytes, baseUrl, options.backend ?? 'auto');
    return new Model(r.manifest, r.backend, r.fallbackReason, r.size, r.loadMs, w);
  });
}

/** Counts a model as a user of the worker (it ends with its last user), unless loading fails. */
async function withRuntime(load: (w: RuntimeHandle) => Promise<Model>): Promise<Model> {
  const w = acquireRuntime();
  try {
    return await load(w);
  } catch (err) {
    releaseRuntime(w);
    throw err;
  }
}

/** Loads a model of `baseUrl/models/<id>/` into this page's runtime worker. */
export async function loadModel(id: string, options: LoadOptions = {}): Promise<Model> {
  const baseUrl = new URL(options.baseUrl ?? defaultBaseUrl ?? './', location.href).href;
  const manifest = await fetchManifest(id, baseUrl);
  return withRuntime(async (w) => {
    const r = await w.remote.load(manifest, baseUrl, options.backend ?? 'auto',
      options.onProgress ? Comlink.proxy(options.onProgress) : undefined, options.warmUp ?? true);
    return new Model(manifest, r.backend, r.fallbackReason, r.size, r.loadMs, w, r.warmUp);
  });
}
