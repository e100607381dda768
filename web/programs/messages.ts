// Messages between the page's program runner and one program's worker (postMessage, structured clone).
import type { ProgramErrorReport, ProgramFile } from '../contract/index.ts';

/** Runner → worker. */
export type ToProgram =
  | { type: 'start'; sessionId: number; files: ProgramFile[]; mainfile: string }
  | { type: 'predict'; id: number; name: string; data: unknown }
  | { type: 'reply'; id: number; value?: unknown; error?: string };

/** What a program asks of the page: a model query, the model list, onnxruntime (its module and WebAssembly). */
export type ProgramRequest =
  | { what: 'query'; model: string; inputs: Record<string, unknown> }
  | { what: 'models' }
  | { what: 'ort' };

/** onnxruntime's WASM build, fetched by the page: a program's worker may fetch nothing itself. */
export interface OrtFiles { module: string; wasm: ArrayBuffer }

/** Worker → runner. */
export type FromProgram =
  | { type: 'log'; line: string }
  | { type: 'placeholder'; name: string; value: unknown }
  | { type: 'model'; name: string }
  | { type: 'finished'; placeholders: Record<string, unknown>; models: string[]; refused?: Record<string, string> }
  | { type: 'failed'; error: ProgramErrorReport }
  | { type: 'request'; id: number; request: ProgramRequest }
  | { type: 'prediction'; id: number; value?: unknown; error?: string };
