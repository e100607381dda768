// Finding a hardware WebGPU adapter for onnxruntime, or saying why there is none.

export interface GpuAdapterLike {
  isFallbackAdapter?: boolean;
  info?: { vendor?: string; architecture?: string; description?: string; isFallbackAdapter?: boolean };
}

export interface AdapterSearch { adapter?: GpuAdapterLike; missing?: string }

let search: Promise<AdapterSearch> | undefined;

/** A hardware WebGPU adapter, or why there is none. Asked once per worker. A fresh headless Chromium
 *  on Linux (Vulkan) has been seen answering null to its first request and the GPU to the next, so a
 *  null answer is asked again before it counts. */
export function webgpuAdapter(): Promise<AdapterSearch> {
  search ??= (async () => {
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
  return search;
}
