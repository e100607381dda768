// Finding a hardware WebGPU adapter, or saying why there is none: the check every engine makes before it
// tries the GPU (onnx/, tflite/).

export interface AdapterSearch { adapter?: GPUAdapter; missing?: string }

/** What older and newer Chromiums say of a software adapter (`isFallbackAdapter` moved to `info`). */
type MaybeFallback = { isFallbackAdapter?: boolean };

/** A fresh hardware WebGPU adapter, or why there is none. A fresh headless Chromium on Linux (Vulkan) has
 *  been seen answering null to its first request and the GPU to the next, so a null answer is asked
 *  again before it counts. Fresh each call: an adapter gives one device only, so each engine that makes
 *  its own device needs its own adapter. */
export async function requestHardwareAdapter(): Promise<AdapterSearch> {
  const gpu = (navigator as { gpu?: GPU }).gpu;
  if (!gpu) return { missing: 'this browser has no WebGPU' };
  let adapter: GPUAdapter | null = null;
  for (let attempt = 0; attempt < 3 && !adapter; attempt++) {
    if (attempt > 0) await new Promise((r) => setTimeout(r, 50));
    try {
      adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    } catch (err) {
      return { missing: `WebGPU adapter request failed: ${(err as Error).message}` };
    }
  }
  if (!adapter) return { missing: 'no WebGPU adapter (no GPU, or GPU access disabled)' };
  // A software adapter (SwiftShader, llvmpipe) is many times slower than the engines' WASM kernels.
  const info: Partial<GPUAdapterInfo> & MaybeFallback = adapter.info ?? {};
  const name = `${info.vendor ?? ''} ${info.architecture ?? ''} ${info.description ?? ''}`;
  if ((adapter as MaybeFallback).isFallbackAdapter || info.isFallbackAdapter || /swiftshader|llvmpipe|lavapipe|software/i.test(name)) {
    return { missing: `the only WebGPU adapter is a software one (${name.trim() || 'fallback adapter'})` };
  }
  return { adapter };
}

let search: Promise<AdapterSearch> | undefined;

/** The hardware adapter onnxruntime is given (web/runtime/engines/onnx/index.ts), asked once per worker. */
export function webgpuAdapter(): Promise<AdapterSearch> {
  search ??= requestHardwareAdapter();
  return search;
}
