// The ONNX engine: onnxruntime-web on WebGPU when there is a hardware adapter and the graph runs on it,
// on WASM otherwise, with the reason kept.
import type { Backend } from '../../../contract/index.ts';
import type { Engine, EngineLoadOptions, LoadedNetworks } from '../engine.ts';
import { ortWasmThreads, sessionOptions } from './config.ts';
import { importOrt, type OrtModule } from './loader.ts';
import { OnnxNetwork } from './network.ts';
import { createNetworks, releaseNetworks } from '../networks.ts';
import { warmUp } from '../warm-up.ts';
import { webgpuAdapter } from '../webgpu.ts';

const builds = new Map<Backend, Promise<OrtModule>>();

/** The onnxruntime build for `backend`, imported once per worker (again after a failed import). */
function ortFor(baseUrl: string, backend: Backend): Promise<OrtModule> {
  let p = builds.get(backend);
  if (!p) {
    p = importOrt(baseUrl, backend, { threads: ortWasmThreads(self.crossOriginIsolated, navigator.hardwareConcurrency) });
    p.catch(() => builds.delete(backend));
    builds.set(backend, p);
  }
  return p;
}

async function create(networks: [string, Uint8Array][], backend: Backend, baseUrl: string): Promise<Record<string, OnnxNetwork>> {
  const ort = await ortFor(baseUrl, backend);
  return createNetworks(networks, (bytes) => OnnxNetwork.create(ort, bytes, sessionOptions(backend)));
}

export const onnxEngine: Engine = {
  isNetwork: (file) => file.endsWith('.onnx'),

  async load(networks, { prefer, baseUrl, exclusive }: EngineLoadOptions): Promise<LoadedNetworks> {
    const gpu = prefer === 'wasm' ? { missing: 'WASM was asked for' } : await webgpuAdapter();
    let fallbackReason = gpu.missing;
    if (gpu.adapter) {
      // onnxruntime uses the adapter checked above, not one it asks for itself. It can be set only
      // before the first WebGPU session; after that the property is onnxruntime's, read-only.
      const webgpu = (await ortFor(baseUrl, 'webgpu')).env.webgpu as { adapter?: unknown };
      if (!webgpu.adapter) webgpu.adapter = gpu.adapter;
      try {
        const made = await create(networks, 'webgpu', baseUrl);
        // A first run on zeros compiles the shaders now rather than in the first query, and catches a
        // graph that WebGPU's kernels load but cannot run (seen: a Cast in M-LSD); that model runs on WASM.
        const failed = await exclusive(() => warmUp(made));
        if (!failed) return { networks: made, backend: 'webgpu', ranOnZeros: true };
        await releaseNetworks(made);
        fallbackReason = `WebGPU could not run it: ${failed}`;
      } catch (err) {
        fallbackReason = `WebGPU session failed: ${(err as Error).message}`;
      }
    }
    return { networks: await create(networks, 'wasm', baseUrl), backend: 'wasm', fallbackReason, ranOnZeros: false };
  },
};
