// What a Python program's worker is told before its program (by the pool that keeps it warm, pool.ts),
// besides the messages every program worker speaks (../messages.ts).

/** Pyodide's files, fetched by the page: a program's worker may fetch nothing itself. */
export interface PyodideFiles {
  /** pyodide.asm.mjs, the Emscripten module, as text (the worker imports it from a blob: URL). */
  module: string;
  wasm: ArrayBuffer;
  stdlib: ArrayBuffer;
  /** pyodide-lock.json, as text. */
  lock: string;
}

/** The files Pyodide is made of, under the page's public/pyodide/ (scripts/install-models.mjs copies them). */
export const PYODIDE_DIR = 'pyodide/';
export const PYODIDE_FILES = { module: 'pyodide.asm.mjs', wasm: 'pyodide.asm.wasm', stdlib: 'python_stdlib.zip', lock: 'pyodide-lock.json' } as const;

/**
 * Pool → worker, once: load Pyodide from `files` (or fail every program with `error`: the page could not
 * fetch them). `snapshot`: the interpreter's memory just after an earlier worker started it, which
 * skips Python's start (seconds); `makeSnapshot`: make one, and send it back with `loaded`.
 * `interrupt` (one Int32) lets stop raise KeyboardInterrupt in Python.
 */
export type ToPythonWorker = {
  type: 'load'; files?: PyodideFiles; error?: string; interrupt?: SharedArrayBuffer; snapshot?: ArrayBuffer; makeSnapshot?: boolean;
};

/** Worker → pool: Pyodide is ready (it waits for `start`), or it could not load. */
export type FromPythonWorker =
  | { type: 'loaded'; ms: number; fromSnapshot: boolean; snapshot?: ArrayBuffer }
  | { type: 'load-failed'; message: string };

/** A file of --data-dir for the program, under /data (read-only). */
export type DataFileBytes = { path: string; bytes: Uint8Array };

/** What Python answers when the program ended (web/programs/python/runner.py's run()). */
export interface PythonOutcome {
  status: 'finished' | 'failed' | 'interrupted';
  /** Each placeholder's value as JSON text. */
  placeholders: Record<string, string>;
  models: string[];
  error?: { name: string; message: string; file?: string; line?: number; column?: number; stack?: string };
}

/** SIGINT, as Pyodide's interrupt buffer takes it. */
export const SIGINT = 2;
