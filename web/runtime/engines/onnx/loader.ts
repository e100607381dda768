// The one way pagebridge loads onnxruntime-web: from the served copy (not bundled), so that its
// threads find their script; one build per backend (see ORT_BUNDLE).
import type * as Ort from 'onnxruntime-web';
import type { Backend } from '../../../contract/index.ts';
import { ORT_BUNDLE } from './config.ts';

export type OrtModule = typeof Ort;

export interface OrtSettings {
  /** WASM threads (`env.wasm.numThreads`); see ortWasmThreads. */
  threads: number;
  /** The WebAssembly itself, for a worker that may not fetch it (a program's). */
  wasmBinary?: ArrayBuffer;
}

/** Imports the build for `backend` from `baseUrl` and sets it up. */
export async function importOrt(baseUrl: string, backend: Backend, settings: OrtSettings): Promise<OrtModule> {
  const ort = (await import(/* @vite-ignore */ new URL(ORT_BUNDLE[backend], baseUrl).href)) as OrtModule;
  ort.env.logLevel = 'error';
  ort.env.wasm.numThreads = settings.threads;
  if (settings.wasmBinary) ort.env.wasm.wasmBinary = settings.wasmBinary;
  return ort;
}
