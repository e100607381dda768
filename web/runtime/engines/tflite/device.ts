// The WebGPU device LiteRT.js runs on: made from a checked hardware adapter (web/runtime/engines/webgpu.ts),
// never from whatever adapter the browser offers first, and asked for once per worker.
import { requestHardwareAdapter } from '../webgpu.ts';

export interface DeviceSearch { device?: GPUDevice; missing?: string }

/** Features LiteRT.js's WebGPU kernels use when the adapter has them (as its own default device asks). */
const WANTED_FEATURES: GPUFeatureName[] = ['shader-f16', 'subgroups' as GPUFeatureName];

let search: Promise<DeviceSearch> | undefined;

/** A device on a hardware adapter, with the adapter's largest buffers, or why there is none. */
export function litertDevice(): Promise<DeviceSearch> {
  search ??= (async () => {
    const { adapter, missing } = await requestHardwareAdapter();
    if (!adapter) return { missing };
    try {
      const device = await adapter.requestDevice({
        requiredFeatures: WANTED_FEATURES.filter((f) => adapter.features.has(f)),
        requiredLimits: {
          maxBufferSize: adapter.limits.maxBufferSize,
          maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
          maxStorageBuffersPerShaderStage: adapter.limits.maxStorageBuffersPerShaderStage,
          maxTextureDimension2D: adapter.limits.maxTextureDimension2D,
        },
      });
      // A lost device (driver reset, GPU process crash) is asked for again by the next load.
      void device.lost.then(() => { search = undefined; });
      return { device };
    } catch (err) {
      return { missing: `WebGPU device request failed: ${(err as Error).message}` };
    }
  })();
  return search;
}
