// The runtime: every loaded model (its networks, its files, its adapter) and the one run queue. It
// knows neither comlink nor the relay: web/runtime/worker.ts exposes it to the page, and the relay's
// page end (web/relay/link.ts) calls it directly.
import type { Backend, MediaLimits, ModelManifest, QueryAnswer, QueryOptions, Values } from '../contract/index.ts';
import { adapters } from './adapters/index.ts';
import type { Adapter, AdapterContext } from './adapters/adapter.ts';
import { infoFromGraph } from './adapters/tensor.ts';
import { engineFor } from './engines/index.ts';
import type { Network } from './engines/engine.ts';
import { fetchFiles, type LoadProgress } from './fetch-files.ts';
import { Cancelled } from './errors.ts';
import { decodeImage } from './image.ts';
import { setMediaLimits } from './limits.ts';
import { RunQueue } from './run-queue.ts';
import { warmUpModel, type WarmUpResult } from './warm-up.ts';

export type { LoadProgress };

export interface LoadResult {
  backend: Backend;
  fallbackReason?: string;
  size: number;
  loadMs: number;
  /** The warm-up's whole queries (web/runtime/warm-up.ts), when there was one. */
  warmUp?: WarmUpResult;
}

interface LoadedModel {
  manifest: ModelManifest;
  networks: Record<string, Network>;
  files: Record<string, Uint8Array>;
  adapter: Adapter;
}

export class Runtime {
  private readonly models = new Map<string, LoadedModel>();
  private readonly queue = new RunQueue();

  /** Fetches a catalogue model's files from `baseUrl` and loads it (GPU first unless told otherwise).
   *  `warm`: run it on made-up inputs until it is fast before it is ready (web/runtime/warm-up.ts). */
  async load(manifest: ModelManifest, baseUrl: string, prefer: Backend | 'auto' = 'auto',
    onProgress?: (p: LoadProgress) => void, warm = true): Promise<LoadResult> {
    const started = performance.now();
    const adapter = adapters[manifest.adapter];
    if (!adapter) throw new Error(`model "${manifest.id}" names adapter "${manifest.adapter}", which this runtime does not have`);
    const engine = await engineFor(manifest);
    const assets = manifest.assets ?? [{ name: 'model', file: manifest.file }];
    const bytes = await fetchFiles(assets.map((a) => new URL(`models/${manifest.id}/${a.file}`, baseUrl).href), onProgress);
    onProgress?.({ stage: 'compile' });

    const networks: [string, Uint8Array][] = [];
    const files: Record<string, Uint8Array> = {};
    assets.forEach((a, i) => {
      if (engine.isNetwork(a.file)) networks.push([a.name ?? a.file, bytes[i]!]);
      else files[a.name ?? a.file] = bytes[i]!;
    });
    const loaded = await engine.load(networks, { prefer, baseUrl, exclusive: (work) => this.queue.run(work) });
    const m: LoadedModel = { manifest, networks: loaded.networks, files, adapter };
    let warmUp: WarmUpResult | undefined;
    if (warm) {
      onProgress?.({ stage: 'warm-up' });
      warmUp = await warmUpModel(manifest, adapter, contextOf(m), (work) => this.queue.run(work), loaded.ranOnZeros);
    }
    await this.install(m);
    return { backend: loaded.backend, fallbackReason: loaded.fallbackReason, size: bytes.reduce((n, b) => n + b.byteLength, 0),
      loadMs: performance.now() - started, warmUp };
  }

  /** Loads a network given as bytes (a dropped file) with the generic tensor adapter; its info comes
   *  from the graph's inputs and outputs. */
  async loadBytes(id: string, title: string, weights: Uint8Array, baseUrl: string, prefer: Backend | 'auto' = 'auto'): Promise<LoadResult & { manifest: ModelManifest }> {
    const started = performance.now();
    const manifest: ModelManifest = { id, title, file: `${id}.onnx`, adapter: 'tensor', inputs: [], outputs: [] };
    const engine = await engineFor(manifest);
    const loaded = await engine.load([['model', weights]], { prefer, baseUrl, exclusive: (work) => this.queue.run(work) });
    Object.assign(manifest, infoFromGraph(Object.values(loaded.networks)[0]!));
    await this.install({ manifest, networks: loaded.networks, files: {}, adapter: adapters.tensor! });
    return { backend: loaded.backend, fallbackReason: loaded.fallbackReason, manifest, size: weights.byteLength, loadMs: performance.now() - started };
  }

  /** Runs a model, one run at a time (also when several arrive together in one relay message). With
   *  `annotate`, the answer also holds the image input with the outputs drawn on it, as JPEG. `signal`:
   *  its asker gave up; a run not started yet never starts, one under way stops before its next
   *  inference (both reject with Cancelled). */
  run(id: string, inputs: Values, options: QueryOptions = {}, signal?: AbortSignal): Promise<QueryAnswer> {
    const m = this.models.get(id);
    if (!m) return Promise.reject(new Error(`model "${id}" is not loaded in this page`));
    return this.queue.run(() => runModel(signal ? { ...m, networks: guarded(m.networks, signal) } : m, inputs, options), signal);
  }

  /** What one query may cost to decode (the bridge's --max-pixels and --max-audio-seconds). */
  setLimits(limits: MediaLimits): void {
    setMediaLimits(limits);
  }


  async unload(id: string): Promise<void> {
    const m = this.models.get(id);
    this.models.delete(id);
    await Promise.all(Object.values(m?.networks ?? {}).map((n) => n.release()));
  }

  /** Makes a loaded model runnable under its id, replacing (and releasing) one loaded before. */
  private async install(m: LoadedModel): Promise<void> {
    await this.unload(m.manifest.id);
    this.models.set(m.manifest.id, m);
  }
}

async function runModel(m: LoadedModel, inputs: Values, { annotate, track }: QueryOptions): Promise<QueryAnswer> {
  const imagePort = annotate ? m.manifest.inputs.find((p) => p.type === 'image')?.name : undefined;
  // Decoded before the adapter runs: adapters may take the bytes' buffer or close the bitmap.
  const picture = imagePort ? await decodeImage(inputs[imagePort], imagePort) : undefined;
  const outputs = await m.adapter.run(inputs, contextOf(m, track));
  if (!picture) return { outputs };
  const canvas = new OffscreenCanvas(picture.width, picture.height);
  const ctx = canvas.getContext('2d')!;
  ctx.drawImage(picture, 0, 0);
  picture.close();
  await m.adapter.prepare?.(outputs);
  m.adapter.draw?.(ctx, outputs, canvas.width, canvas.height);
  const jpeg = new Uint8Array(await (await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.9 })).arrayBuffer());
  return { outputs, annotated: jpeg };
}

function contextOf(m: LoadedModel, track?: string): AdapterContext {
  return { network: Object.values(m.networks)[0]!, networks: m.networks, files: m.files, manifest: m.manifest, track };
}

/** A run that yields to the worker's event loop at least this often, so that a cancel can reach it. */
const YIELD_MS = 50;

/**
 * The networks of a run whose asker may give up: each inference first lets the worker's event loop turn
 * when the run has held it for a while (a cancel arrives as a relay message), then stops the run if its
 * signal aborted. So a long run (a long recording, many regions) stops at its next step.
 */
function guarded(networks: Record<string, Network>, signal: AbortSignal): Record<string, Network> {
  let turn = performance.now();
  const out: Record<string, Network> = {};
  for (const [name, network] of Object.entries(networks)) {
    out[name] = {
      inputs: network.inputs,
      outputs: network.outputs,
      release: () => network.release(),
      async run(feeds) {
        if (performance.now() - turn > YIELD_MS) {
          await new Promise((go) => setTimeout(go, 0));
          turn = performance.now();
        }
        if (signal.aborted) throw new Cancelled(signal.reason);
        return network.run(feeds);
      },
    };
  }
  return out;
}
