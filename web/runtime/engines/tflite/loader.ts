// The one way pagebridge loads LiteRT.js: its JavaScript API is bundled with the worker, its WebAssembly
// and the Emscripten script that starts it come from the served copy (public/litert/, copied by
// scripts/install-models.mjs), so nothing downloads at run time.
import * as LiteRt from '@litertjs/core';

export type LiteRtModule = typeof LiteRt;

/** LiteRT.js's builds, by the file names its package ships (each a .js and a .wasm under `litert/`). */
export const LITERT_BUILDS = {
  /** Threads (SharedArrayBuffer: a cross-origin isolated page) and relaxed SIMD. */
  threaded: 'litert_wasm_threaded_internal',
  /** One thread, relaxed SIMD. */
  simd: 'litert_wasm_internal',
  /** Browsers without relaxed SIMD. */
  compat: 'litert_wasm_compat_internal',
} as const;

export type LiteRtBuild = keyof typeof LITERT_BUILDS;

/** The build LiteRT.js would pick for these features (its threaded build needs relaxed SIMD too). */
export function litertBuild(features: { relaxedSimd: boolean; threads: boolean; isolated: boolean }): LiteRtBuild {
  if (!features.relaxedSimd) return 'compat';
  return features.threads && features.isolated ? 'threaded' : 'simd';
}

/** XNNPACK threads for a model (`cpuOptions.numThreads`): one per core up to 8 on the threaded build, as
 *  onnxruntime gets (web/runtime/engines/onnx/config.ts); one on the others. */
export function litertThreads(build: LiteRtBuild, cores: number | undefined): number {
  return build === 'threaded' ? Math.max(1, Math.min(cores || 1, 8)) : 1;
}

export interface LoadedLiteRt {
  litert: LiteRtModule;
  build: LiteRtBuild;
}

// What LiteRT's Emscripten script reads on the worker's global scope while it starts.
type StartScope = { ModuleFactory?: unknown; Module?: unknown; importScripts?: unknown };

/** Its C++ INFO lines (accelerators registered, delegates made; two log formats) and the warning that no
 *  NPU accelerator loads (the web builds have none) come with every start: noise in the worker's console.
 *  The other warnings and errors go on. */
const quiet = (line: string) => { if (!/^(INFO: |I\d{4} )|npu_registry/.test(line)) console.warn(line); };

let loading: Promise<LoadedLiteRt> | undefined;

/** LiteRT.js, started once per worker from `litert/` under `baseUrl` (again after a failed start). */
export function importLiteRt(baseUrl: string): Promise<LoadedLiteRt> {
  loading ??= start(baseUrl).catch((err) => {
    loading = undefined;
    throw err;
  });
  return loading;
}

async function start(baseUrl: string): Promise<LoadedLiteRt> {
  const [relaxedSimd, threads] = await Promise.all([LiteRt.supportsFeature('relaxedSimd'), LiteRt.supportsFeature('threads')]);
  const build = litertBuild({ relaxedSimd, threads, isolated: self.crossOriginIsolated });
  const dir = new URL('litert/', baseUrl);
  const script = new URL(`${LITERT_BUILDS[build]}.js`, dir).href;
  const res = await fetch(script);
  if (!res.ok) throw new Error(`LiteRT.js could not be fetched: ${script} answered ${res.status}`);
  const text = await res.text();

  // LiteRT starts its Emscripten script with importScripts, which throws in a module worker (ours:
  // web/runtime/worker-handle.ts). So the script runs here as a module from a blob, handing its factory
  // to the global scope where LiteRT looks for it, and a no-op stands in for importScripts meanwhile.
  const scope = self as unknown as StartScope;
  const blob = URL.createObjectURL(new Blob([`${text}\nglobalThis.ModuleFactory = ModuleFactory;\n`], { type: 'text/javascript' }));
  try {
    await import(/* @vite-ignore */ blob);
  } finally {
    URL.revokeObjectURL(blob);
  }
  scope.Module = {
    locateFile: (file: string) => new URL(file, dir).href,
    // Thread workers start from the script itself: as a blob they are same-origin with this worker even
    // when the runtime was loaded from the bridge's origin by another page.
    mainScriptUrlOrBlob: new Blob([text], { type: 'text/javascript' }),
    print: quiet,
    printErr: quiet,
  };
  const hadOwn = Object.prototype.hasOwnProperty.call(scope, 'importScripts');
  const before = scope.importScripts;
  scope.importScripts = () => {};
  try {
    await LiteRt.loadLiteRt(script);
  } finally {
    if (hadOwn) scope.importScripts = before;
    else delete scope.importScripts;
    scope.ModuleFactory = scope.Module = undefined;
  }
  return { litert: LiteRt, build };
}
