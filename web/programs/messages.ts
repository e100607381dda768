// Messages between the page's program runner and one program's worker (postMessage, structured clone).
import type { ProgramFile } from './modules.ts';

/** An error of a program, as status reports it. */
export interface ProgramErrorReport {
  name: string;
  message: string;
  /** Where it was thrown (or the syntax error is): a file of the program, 1-based line. */
  file?: string;
  line?: number;
  column?: number;
  /** "file:line", for showing. */
  location?: string;
  /** The stack in the program's file names, frames outside the program left out. */
  stack?: string;
  /** A syntax error: the runner finds its line by parsing the file on its own. */
  syntax?: boolean;
}

/** Runner → worker. */
export type ToProgram =
  | { type: 'start'; sessionId: number; files: ProgramFile[]; mainfile: string; baseUrl: string }
  | { type: 'predict'; id: number; name: string; data: unknown }
  | { type: 'reply'; id: number; value?: unknown; error?: string };

/** What a program asks of the page: a model query, the model list, onnxruntime's WebAssembly. */
export type ProgramRequest =
  | { what: 'query'; model: string; inputs: Record<string, unknown> }
  | { what: 'models' }
  | { what: 'ort-wasm' };

/** Worker → runner. */
export type FromProgram =
  | { type: 'log'; line: string }
  | { type: 'placeholder'; name: string; value: unknown }
  | { type: 'model'; name: string }
  | { type: 'finished'; placeholders: Record<string, unknown>; models: string[] }
  | { type: 'failed'; error: ProgramErrorReport }
  | { type: 'request'; id: number; request: ProgramRequest }
  | { type: 'prediction'; id: number; value?: unknown; error?: string };
