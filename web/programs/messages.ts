// Messages between the page's program runner and one program's worker (postMessage, structured clone).
import type { ErrorCode, ProgramDataFile, ProgramErrorReport, ProgramFile, ProgramLanguage, Values } from '../contract/index.ts';
import type { ProgramHost } from './runner.ts';
import type { PyodideFiles } from './python/messages.ts';

/** Runner → worker. */
export type ToProgram =
  | { type: 'start'; sessionId: number; files: ProgramFile[]; mainfile: string; data?: ProgramDataFile[] }
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
  /** Lines in order, after `dropped` older ones that did not fit the log (log-batch.ts). */
  | { type: 'logs'; lines: string[]; dropped: number }
  | { type: 'placeholder'; name: string; value: unknown }
  | { type: 'model'; name: string }
  | { type: 'finished'; placeholders: Record<string, unknown>; models: string[]; refused?: Record<string, string> }
  | { type: 'failed'; error: ProgramErrorReport }
  | { type: 'request'; id: number; request: ProgramRequest }
  | { type: 'prediction'; id: number; value?: unknown; error?: string };

/** An error for the bridge, with the code it maps to every protocol's error. */
export class CallError extends Error {
  constructor(readonly code: ErrorCode, message: string) {
    super(message);
  }
}

// ── the page ⇄ the program host frame (frames.ts ⇄ host.ts), over a MessagePort with comlink ──
/** What a call answers across the frame boundary: comlink keeps an error's message, not its code. */
export type HostOutcome = { value: Values } | { error: { code: ErrorCode | undefined; name: string; message: string } };

/** What the page calls in the frame. */
export interface ProgramHostApi {
  /** Gives the frame the page's side; once. */
  start(page: ProgramHost): void;
  /** One of the bridge's `program.*` calls. */
  call(kind: string, payload: Values): Promise<HostOutcome>;
  /** The page's heartbeat: answered while this frame's process lives. */
  ping(): true;
}

/** The message that hands the frame its port to the page. */
export const HOST_HELLO = 'pagebridge.program-host';

// ── the program host ⇄ the program workers' frame (host.ts in both roles), over a MessagePort ──
/** What the program host calls in the workers' frame. */
export interface WorkerHostApi {
  /** Gives the workers' frame the host's side; once. */
  start(host: WorkersHostSide): void;
  /** Starts a program worker; its messages go both ways over `port` (a worker that cannot start: WorkerFailure). */
  spawn(id: number, name: string, port: MessagePort, language?: ProgramLanguage): void;
  /** Raises KeyboardInterrupt in a Python program (its interrupt buffer); false where it cannot. */
  interrupt(id: number): boolean;
  terminate(id: number): void;
  ping(): true;
}

/** What the workers' frame asks of the program host: Pyodide's files (the page fetches them). */
export interface WorkersHostSide {
  pyodideFiles(): Promise<PyodideFiles>;
}

/** Sent on a program worker's port instead of its messages when the worker could not start. */
export interface WorkerFailure { workerFailed: string }

/** The message that hands the workers' frame its port to the program host. */
export const WORKERS_HELLO = 'pagebridge.program-workers';
