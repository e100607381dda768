// A Python program's worker: Pyodide (CPython compiled to WebAssembly, with its standard library) in a
// dedicated module worker, one per program, as JavaScript programs get one (../program-worker.ts). It
// is started ahead of its program and kept warm (pool.ts): `load` brings Pyodide's files, which the
// page fetched (this worker may fetch nothing: the bridge serves it with the program workers'
// Content-Security-Policy, bridge/protocols/http/page-files.ts); `start` then runs the program
// (runner.py does the Python side) and answers `predict` for the models it left.
import { loadPyodide, type PyodideAPI } from 'pyodide';
import RUNNER_PY from './runner.py?raw';
import type { FromProgram, ToProgram } from '../messages.ts';
import { batchLogs } from '../log-batch.ts';
import type { FromPythonWorker, PyodideFiles, PythonOutcome, ToPythonWorker } from './messages.ts';
import { PYODIDE_FILES } from './messages.ts';

const scope = self as unknown as DedicatedWorkerGlobalScope;
// Taken before any program runs, so that a program cannot replace them.
const post = scope.postMessage.bind(scope);
// Log lines go in batches (../log-batch.ts); every other message first sends the lines before it.
const send = batchLogs<FromPythonWorker>((message) => post(message));

// No storage: programs would otherwise share this origin's IndexedDB, Cache Storage and origin-private
// file system, and read what an earlier program left there.
for (const name of ['indexedDB', 'caches', 'BroadcastChannel', 'IDBFactory', 'CacheStorage', 'StorageManager']) {
  for (let o: object | null = scope; o; o = Object.getPrototypeOf(o)) Reflect.deleteProperty(o, name);
}
Reflect.deleteProperty(Object.getPrototypeOf(scope.navigator) as object, 'storage');

const SNAPSHOT_IMPORTS = 'import ast, asyncio, collections, csv, datetime, decimal, fractions, inspect, itertools, json, logging, math, random, re, statistics, traceback';

type PyCallable = ((...args: unknown[]) => unknown) & { destroy?: () => void };
let pyodide: PyodideAPI | undefined;
let runner: { start: PyCallable; run: PyCallable; predict: PyCallable } | undefined;
/** Settles once `load` has come and Pyodide loaded (or failed to): `start` may come first. */
let loaded: (p: Promise<void>) => void;
const loading = new Promise<void>((resolve) => { loaded = resolve; }).then((p) => p);
let loadAsked = false;
let started = false;

/**
 * Loads Pyodide from files in memory: the Emscripten module from a blob: URL, its WebAssembly and the
 * standard library through a stand-in for fetch that knows only these two files (put back after), the
 * lock file as text.
 */
async function load({ files, interrupt, snapshot, makeSnapshot }: ToPythonWorker & { files: PyodideFiles }): Promise<void> {
  const t0 = performance.now();
  let made: ArrayBuffer | undefined;
  let fromSnapshot = false;
  const indexURL = new URL('/pyodide/', scope.location.href).href;
  const served = new Map<string, { body: ArrayBuffer; type: string }>([
    [indexURL + PYODIDE_FILES.wasm, { body: files.wasm, type: 'application/wasm' }],
    [indexURL + PYODIDE_FILES.stdlib, { body: files.stdlib, type: 'application/zip' }],
  ]);
  const realFetch = scope.fetch;
  scope.fetch = async (input: RequestInfo | URL) => {
    const file = served.get(String(input instanceof Request ? input.url : input));
    if (!file) throw new TypeError(`a Python program's worker fetches nothing (asked for ${String(input)})`);
    return new Response(file.body, { headers: { 'Content-Type': file.type } });
  };
  const moduleUrl = URL.createObjectURL(new Blob([files.module], { type: 'text/javascript' }));
  try {
    const { default: createPyodideModule } = (await import(/* @vite-ignore */ moduleUrl)) as { default: unknown };
    const start = (from?: ArrayBuffer) => loadPyodide({
      indexURL,
      lockFileContents: files.lock,
      packageBaseUrl: indexURL,
      createPyodideModule: createPyodideModule as never,
      // The `js` module a program may import: nothing of this worker (its messages, its globals).
      jsglobals: Object.create(null) as object,
      env: { HOME: '/program' },
      stdout: (line) => send({ type: 'log', line }),
      stderr: (line) => send({ type: 'log', line }),
      ...(from ? { _loadSnapshot: from } : makeSnapshot ? { _makeSnapshot: true } : {}),
    });
    if (snapshot) {
      try {
        pyodide = await start(snapshot);
        fromSnapshot = true;
      } catch { /* started the long way below */ }
    }
    pyodide ??= await start();
    // Before anything of a program or of this runner is in it: every later worker starts from here,
    // with the modules that programs (and runner.py) import most already imported.
    if (makeSnapshot && !fromSnapshot) {
      pyodide.runPython(SNAPSHOT_IMPORTS);
      made = pyodide.makeMemorySnapshot().slice().buffer;
    }
  } finally {
    scope.fetch = realFetch;
    URL.revokeObjectURL(moduleUrl);
  }
  if (interrupt) pyodide.setInterruptBuffer(new Int32Array(interrupt));
  const ns = pyodide.globals.get('dict')() as { get(name: string): PyCallable };
  pyodide.runPython(RUNNER_PY, { globals: ns as never, filename: '/lib/pagebridge_runner.py' });
  runner = { start: ns.get('start'), run: ns.get('run'), predict: ns.get('predict') };
  post({ type: 'loaded', ms: Math.round(performance.now() - t0), fromSnapshot, ...(made ? { snapshot: made } : {}) } satisfies FromPythonWorker,
    made ? [made] : []);
}

/** JSON text from Python, parsed; a placeholder whose text does not parse (it always should) is left out. */
function parseAll(texts: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, text] of Object.entries(texts)) {
    try { out[name] = JSON.parse(text); } catch { /* left out */ }
  }
  return out;
}

async function start(msg: Extract<ToProgram, { type: 'start' }>): Promise<void> {
  try {
    await loading;
    if (!pyodide || !runner) throw new Error('Pyodide did not load');
    runner.start((kind: string, json: string) => {
      const m = JSON.parse(json) as { line?: string; name?: string; value?: unknown };
      if (kind === 'log') send({ type: 'log', line: String(m.line) });
      else if (kind === 'placeholder') send({ type: 'placeholder', name: String(m.name), value: m.value });
      else if (kind === 'model') send({ type: 'model', name: String(m.name) });
    }, msg.sessionId);
    const files = pyodide.toPy(msg.files.map((f) => [f.filename, f.content]));
    const data = pyodide.toPy((msg.data ?? []).map((f) => [f.path, f.bytes]));
    const outcome = JSON.parse(String(await runner.run(files, msg.mainfile, data))) as PythonOutcome;
    files.destroy();
    data.destroy();
    const placeholders = parseAll(outcome.placeholders);
    if (outcome.status === 'finished') send({ type: 'finished', placeholders, models: outcome.models });
    else {
      // A stopped program (KeyboardInterrupt from the interrupt buffer) leaves its placeholders too.
      for (const [name, value] of Object.entries(placeholders)) send({ type: 'placeholder', name, value });
      send({ type: 'failed', error: outcome.error ?? { name: 'Error', message: 'the program failed' } });
    }
  } catch (err) {
    send({ type: 'failed', error: { name: 'Error', message: `the Python runtime failed: ${(err as Error).message ?? String(err)}` } });
  }
}

async function predict(id: number, name: string, data: unknown): Promise<void> {
  try {
    const bytes = data instanceof Uint8Array ? data : undefined;
    const answer = JSON.parse(String(await runner!.predict(name, bytes ? 'null' : JSON.stringify(data ?? null), bytes))) as { value?: unknown; error?: string };
    send(answer.error !== undefined ? { type: 'prediction', id, error: answer.error } : { type: 'prediction', id, value: answer.value ?? null });
  } catch (err) {
    send({ type: 'prediction', id, error: (err as Error).message ?? String(err) });
  }
}

scope.addEventListener('message', (ev: MessageEvent<ToProgram | ToPythonWorker>) => {
  const msg = ev.data;
  switch (msg?.type) {
    case 'load':
      if (loadAsked) return;
      loadAsked = true;
      loaded(msg.files ? load({ ...msg, files: msg.files }) : Promise.reject(new Error(msg.error ?? 'no Pyodide files')));
      loading.catch((err: Error) => send({ type: 'load-failed', message: err.message ?? String(err) }));
      return;
    case 'start':
      if (started) return;
      started = true;
      void start(msg);
      return;
    case 'predict':
      void predict(msg.id, msg.name, msg.data);
      return;
  }
});
