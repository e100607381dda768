// How pagebridge sets up onnxruntime-web: which build it loads, how many threads, which session
// options. The ONNX engine reads these, and so do program workers and the benchmark, so that it
// measures what the product runs. Plain data and pure functions only (the benchmark passes them into a page).
import type * as Ort from 'onnxruntime-web';
import type { Backend } from '../../../contract/index.ts';

/**
 * The onnxruntime-web bundle (under the served `ort/` folder) for each backend.
 *
 * The default bundle's WebAssembly (`ort-wasm-simd-threaded.jsep.wasm`, 28 MB) carries the WebGPU
 * execution provider through JSEP, built with Emscripten's Asyncify so that a run can await the
 * GPU. Its CPU kernels are the same, but the Asyncify instrumentation makes them slower (BlazeFace:
 * 16–17 ms a run against 12 ms once warm), and V8 takes far longer to optimise a module twice the
 * size: its first ~50 runs take 3–6 times as long, against ~10 runs for the CPU-only build. So WASM
 * sessions use the CPU-only build (`ort-wasm-simd-threaded.wasm`, 14 MB) and the JSEP one is loaded
 * only for WebGPU sessions.
 */
export const ORT_BUNDLE: Record<Backend, string> = {
  wasm: 'ort/ort.wasm.bundle.min.mjs',
  webgpu: 'ort/ort.bundle.min.mjs',
};

/** The WebAssembly each bundle loads, for code that fetches it itself (program workers). */
export const ORT_WASM: Record<Backend, string> = {
  wasm: 'ort/ort-wasm-simd-threaded.wasm',
  webgpu: 'ort/ort-wasm-simd-threaded.jsep.wasm',
};

/**
 * Threads for onnxruntime's WASM backend (`env.wasm.numThreads`): its default is half the cores, so
 * it is set on purpose. Threads need a cross-origin isolated page (SharedArrayBuffer). The calling
 * thread is one of them, and the page's main thread and the browser's other processes need little
 * while a model runs, so one per core pays off (2 cores: a run of line-segments or OCR takes 30–40%
 * less time with 2 threads than with 1; face-detection about the same), up to 8. The pool is
 * onnxruntime's global one in this build, so per-session thread options (intra-op threads,
 * `session.intra_op.allow_spinning`) have no effect here.
 */
export function ortWasmThreads(crossOriginIsolated: boolean, cores: number | undefined): number {
  return crossOriginIsolated ? Math.max(1, Math.min(cores || 1, 8)) : 1;
}

/** Session options for every model the runtime loads. */
export function sessionOptions(backend: Backend): Ort.InferenceSession.SessionOptions {
  return {
    executionProviders: [backend],
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
  };
}
