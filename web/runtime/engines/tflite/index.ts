// The TFLite engine: LiteRT.js on WebGPU when there is a hardware adapter and LiteRT puts every op of the
// model on it, on its XNNPACK WebAssembly kernels otherwise, with the reason kept. LiteRT's calls into its
// WebAssembly finish before JavaScript goes on (no JSPI build is served), so only runs need to be one at
// a time: queries take the runtime's queue, the first runs at load take it through `exclusive`.
import type { CompiledModel, Environment } from '@litertjs/core';
import type { Backend } from '../../../contract/index.ts';
import type { Engine, EngineLoadOptions, LoadedNetworks } from '../engine.ts';
import { createNetworks, releaseNetworks } from '../networks.ts';
import { warmUp } from '../warm-up.ts';
import { litertDevice } from './device.ts';
import { importLiteRt, litertThreads, type LiteRtModule } from './loader.ts';
import { TfliteNetwork } from './network.ts';

const environments = new WeakMap<GPUDevice, Promise<Environment>>();

/** LiteRT's environment on `device`, one per device. */
function environmentOn(litert: LiteRtModule, device: GPUDevice): Promise<Environment> {
  let env = environments.get(device);
  if (!env) environments.set(device, (env = litert.Environment.create({ webGpuDevice: device })));
  return env;
}

async function create(litert: LiteRtModule, networks: [string, Uint8Array][], backend: Backend, environment: Environment,
  threads: number): Promise<Record<string, TfliteNetwork>> {
  return createNetworks(networks, async (bytes) => {
    const model: CompiledModel = await litert.loadAndCompile(bytes, { accelerator: backend, environment, cpuOptions: { numThreads: threads } });
    return new TfliteNetwork(litert, model, environment);
  });
}

export const tfliteEngine: Engine = {
  isNetwork: (file) => file.endsWith('.tflite'),

  async load(networks, { prefer, baseUrl, exclusive }: EngineLoadOptions): Promise<LoadedNetworks> {
    const { litert, build } = await importLiteRt(baseUrl);
    const threads = litertThreads(build, navigator.hardwareConcurrency);
    const gpu = prefer === 'wasm' ? { missing: 'WASM was asked for' } : await litertDevice();
    let fallbackReason = gpu.missing;
    if (gpu.device) {
      try {
        const made = await create(litert, networks, 'webgpu', await environmentOn(litert, gpu.device), threads);
        // Without JSPI (not in the builds served) LiteRT runs a model it cannot put wholly on WebGPU on
        // WASM, still calling it WebGPU: it is then loaded as the WASM model it is.
        const partial = Object.entries(made).find(([, n]) => !n.fullyAccelerated)?.[0];
        const failed = partial ? undefined : await exclusive(() => warmUp(made));
        if (!partial && !failed) return { networks: made, backend: 'webgpu', ranOnZeros: true };
        await releaseNetworks(made);
        fallbackReason = partial ? `LiteRT could not put every op of ${partial} on WebGPU` : `WebGPU could not run it: ${failed}`;
      } catch (err) {
        fallbackReason = `WebGPU compile failed: ${(err as Error).message}`;
      }
    }
    const made = await create(litert, networks, 'wasm', litert.getDefaultEnvironment(), threads);
    // XNNPACK packs its weights in the first run (3–4 times a later one): done now, not in the first query.
    const failed = await exclusive(() => warmUp(made));
    if (failed) {
      await releaseNetworks(made);
      throw new Error(`LiteRT could not run it: ${failed}`);
    }
    return { networks: made, backend: 'wasm', fallbackReason, ranOnZeros: true };
  },
};
