// One program's worker: a fresh dedicated module worker per run. It turns the program's files into
// blob-URL modules (imports rewritten to each other's URLs), evaluates them `mainfile` last, reports the
// main module's exports as placeholders and the models the program defined, and answers `predict`.
// The bridge serves this script with a Content-Security-Policy that forbids any network access (scripts
// only from blob: URLs, no fetch, no sockets) and nested workers (see bridge/protocols/http/page-files.ts),
// and the storage APIs are taken away below, so a program reaches nothing but this worker's messages.
// It runs in the program host frame (host.ts), a process of its own: a program that exhausts memory
// takes down that frame, never the page.
import type { FromProgram, OrtFiles, ProgramRequest, ToProgram } from './messages.ts';
import { batchLogs } from './log-batch.ts';
import { locateError, planProgram, programStack, ProgramError, rewriteImports, RUNTIME } from './modules.ts';
import { decodeDataUri, normalizeFilename, type ProgramErrorReport, type ProgramFile } from '../contract/index.ts';
import { errorMessage, MAX_PLACEHOLDER_CHARS, placeholderTooLarge, toPlain, toPlainWithin, TooLargeError } from './values.ts';
import type { OrtModule } from '../runtime/engines/onnx/loader.ts';
import { OnnxNetwork } from '../runtime/engines/onnx/network.ts';
import { tensorFromJson, type Tensor } from '../runtime/engines/tensor.ts';

const scope = self as unknown as DedicatedWorkerGlobalScope;
// Taken before the program runs, so that a program replacing them cannot break the runner's messages.
const post = scope.postMessage.bind(scope);
// Log lines go in batches (log-batch.ts); every other message first sends the lines before it.
const send = batchLogs<FromProgram>((message, transfer = []) => post(message, transfer));

type Predict = (data: unknown) => unknown;
const predictors = new Map<string, Predict>();
const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
const fileOfUrl = new Map<string, string>();
let nextRequest = 1;
let sessionId = 0;
/** Each placeholder's JSON size (about): the runner keeps at most MAX_PLACEHOLDER_CHARS per session. */
const placeholderSizes = new Map<string, number>();

/**
 * A placeholder's value as it is kept, or a TooLargeError naming it when it would not fit beside the
 * others: the work is bounded by the room left, whatever the value (a sparse array of length 1e9 included).
 */
function placeholderValue(name: string, value: unknown): unknown {
  let used = 0;
  for (const [n, size] of placeholderSizes) if (n !== name) used += size;
  try {
    const plain = toPlainWithin(value, MAX_PLACEHOLDER_CHARS - used);
    placeholderSizes.set(name, plain.size);
    return plain.value ?? null;
  } catch (err) {
    if (err instanceof TooLargeError) throw new TooLargeError(placeholderTooLarge(name, err));
    throw err;
  }
}

// No storage: programs would otherwise share this origin's IndexedDB, Cache Storage and origin-private
// file system, and read what an earlier program left there. Taken from the global and its prototypes
// before any program code runs; a worker has no other realm to find them in.
function removeGlobal(holder: object | null, name: string): void {
  for (let o = holder; o; o = Object.getPrototypeOf(o)) Reflect.deleteProperty(o, name);
}
for (const name of ['indexedDB', 'caches', 'BroadcastChannel', 'IDBFactory', 'CacheStorage', 'StorageManager', 'FileSystemHandle', 'FileSystemDirectoryHandle', 'FileSystemFileHandle', 'FileSystemSyncAccessHandle']) {
  removeGlobal(scope, name);
}
removeGlobal(scope.navigator, 'storage');
let started = false;

function request(r: ProgramRequest): Promise<unknown> {
  const id = nextRequest++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    send({ type: 'request', id, request: r });
  });
}

function format(args: unknown[]): string {
  return args.map((a) => {
    if (typeof a === 'string') return a;
    if (a instanceof Error) return a.stack ? programStack(a.stack, fileOfUrl) ?? a.message : `${a.name}: ${a.message}`;
    try { return JSON.stringify(toPlain(a)) ?? String(a); } catch { return String(a); }
  }).join(' ');
}

// console.* output becomes the program's log lines. It is not echoed to the browser's console: that
// one is the page's (and, with --headless, the bridge's log), not a place for every program's output.
for (const level of ['log', 'info', 'debug', 'warn', 'error'] as const) {
  console[level] = (...args: unknown[]) => {
    send({ type: 'log', line: (level === 'warn' || level === 'error' ? `${level}: ` : '') + format(args) });
  };
}

/** Image inputs given as data URIs become bytes, as the page's runtime takes them. */
function decodeDataUris(inputs: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(inputs ?? {})) {
    out[k] = (typeof v === 'string' && decodeDataUri(v)) || v;
  }
  return out;
}

// ── ONNX models a program registers ───────────────────────────────────────────────────────────
let ortPromise: Promise<OrtModule> | undefined;

function loadOrt(): Promise<OrtModule> {
  ortPromise ??= (async () => {
    // Module and WebAssembly come from the page: this worker may not fetch anything itself, nor import
    // any URL but a blob's. Threads would be nested workers, which this worker may not start.
    const files = (await request({ what: 'ort' })) as OrtFiles;
    const url = blobUrl(files.module);
    const ort = (await import(/* @vite-ignore */ url)) as OrtModule;
    URL.revokeObjectURL(url);
    ort.env.logLevel = 'error';
    ort.env.wasm.numThreads = 1;
    ort.env.wasm.wasmBinary = files.wasm;
    return ort;
  })();
  return ortPromise;
}

type TensorLike = { dims: number[]; data: ArrayLike<unknown>; dtype?: string };
const isTensorLike = (v: unknown): v is TensorLike =>
  typeof v === 'object' && v !== null && Array.isArray((v as TensorLike).dims) && typeof (v as TensorLike).data === 'object';

/** A program's input: a tensor ({dims, data, dtype?}) or a (nested) array of numbers, taken as float32. */
function toTensor(value: unknown, name: string, dtypeHint?: string): Tensor {
  if (isTensorLike(value)) return tensorFromJson(name, value, dtypeHint);
  if (Array.isArray(value)) {
    const dims: number[] = [];
    for (let v: unknown = value; Array.isArray(v); v = v[0]) dims.push(v.length);
    return tensorFromJson(name, { dtype: 'float32', dims, data: value.flat(Infinity) });
  }
  throw new TypeError(`input "${name}" must be a tensor ({"dims": […], "data": […], "dtype"?}) or a (nested) array of numbers`);
}

async function onnxPredictor(bytes: Uint8Array): Promise<Predict> {
  const network = await OnnxNetwork.create(await loadOrt(), bytes, { executionProviders: ['wasm'] });
  const names = network.inputs.map((m) => m.name);
  return async (data) => {
    const feeds: Record<string, Tensor> = {};
    const single = names.length === 1 && (isTensorLike(data) || Array.isArray(data));
    for (const m of network.inputs) {
      const value = single ? data : (data as Record<string, unknown> | null)?.[m.name];
      if (value === undefined) throw new TypeError(`missing input "${m.name}" (the model takes ${names.join(', ')})`);
      feeds[m.name] = toTensor(value, m.name, m.type);
    }
    const results = await network.run(feeds);
    const out: Record<string, unknown> = {};
    for (const [name, t] of Object.entries(results)) out[name] = { dims: t.dims, dtype: t.type, data: toPlain(t.data) };
    return out;
  };
}

// ── the in-program API (import … from 'pagebridge:runtime') ───────────────────────────────────
const api = Object.freeze({
  get sessionId() { return sessionId; },
  models: Object.freeze({
    /** The page's models: id, title, inputs, outputs, state. */
    list: () => request({ what: 'models' }),
    /** Runs a page model, as any client of the bridge would. */
    query: (model: string, inputs: Record<string, unknown>) => request({ what: 'query', model: String(model), inputs: decodeDataUris(inputs) }),
  }),
  log: (...args: unknown[]) => send({ type: 'log', line: format(args) }),
  /** Sets a placeholder now (progress while running); the main module's exports are set at the end. */
  setPlaceholder: (name: string, value: unknown) => {
    send({ type: 'placeholder', name: String(name), value: placeholderValue(String(name), value) });
  },
  /** Makes `model` (an object with predict(data), or ONNX bytes) usable by run_model under `name`. */
  registerModel: async (name: string, model: unknown): Promise<void> => {
    let predict: Predict;
    if (typeof (model as { predict?: unknown })?.predict === 'function') {
      const m = model as { predict: Predict };
      predict = (data) => m.predict(data);
    } else if (model instanceof Uint8Array || model instanceof ArrayBuffer) {
      predict = await onnxPredictor(model instanceof ArrayBuffer ? new Uint8Array(model) : model);
    } else {
      throw new TypeError('registerModel(name, model): model must be an object with a predict function, or ONNX bytes (Uint8Array or ArrayBuffer)');
    }
    predictors.set(String(name), predict);
    send({ type: 'model', name: String(name) });
  },
});
Object.defineProperty(globalThis, Symbol.for('pagebridge.runtime'), { value: api });
// The module a program imports as 'pagebridge:runtime'.
const RUNTIME_MODULE = `const api = globalThis[Symbol.for('pagebridge.runtime')];
export const { models, log, setPlaceholder, registerModel } = api;
export const sessionId = api.sessionId;
export default api;
`;

// ── running the program ───────────────────────────────────────────────────────────────────────
function report(err: unknown, file?: string): ProgramErrorReport {
  const e = err instanceof Error ? err : undefined;
  const where = err instanceof ProgramError && err.file
    ? { file: err.file, line: err.line }
    : locateError(e?.stack, fileOfUrl);
  const syntax = e?.name === 'SyntaxError' && !where;
  return {
    name: e?.name ?? 'Error',
    message: errorMessage(err).replace(/blob:[^\s'"]+/g, (url) => fileOfUrl.get(url) ?? url),
    ...(where ?? (syntax && file ? { file } : {})),
    stack: programStack(e?.stack, fileOfUrl),
    ...(syntax ? { syntax: true } : {}),
  };
}

const blobUrl = (source: string) => URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));

async function start(files: ProgramFile[], mainfile: string): Promise<void> {
  let current: string | undefined;
  try {
    const plan = planProgram(files, mainfile);
    const sources = new Map(files.map((f) => [normalizeFilename(f.filename), f.content]));
    const runtimeUrl = blobUrl(RUNTIME_MODULE);
    const urls = new Map<string, string>();
    for (const name of plan.buildOrder) {
      const source = rewriteImports(sources.get(name)!, plan.imports.get(name)!, (t) => (t === RUNTIME ? runtimeUrl : urls.get(t)!));
      const url = blobUrl(source);
      urls.set(name, url);
      fileOfUrl.set(url, name);
    }
    // Imports first, as ES modules evaluate; one at a time, so that a syntax error names its file.
    let main: Record<string, unknown> = {};
    for (const name of plan.evalOrder) {
      current = name;
      main = (await import(/* @vite-ignore */ urls.get(name)!)) as Record<string, unknown>;
    }
    const placeholders: Record<string, unknown> = {};
    const refused: Record<string, string> = {};
    for (const [name, value] of Object.entries(main)) {
      if (typeof (value as { predict?: unknown })?.predict === 'function') {
        const model = value as { predict: Predict };
        predictors.set(name, (data) => model.predict(data));
      } else if (typeof value !== 'function') {
        // An export too large to keep is refused by name (get_placeholder says why); the rest are kept.
        try {
          placeholders[name] = placeholderValue(name, value);
        } catch (err) {
          if (!(err instanceof TooLargeError)) throw err;
          refused[name] = err.message;
        }
      }
    }
    send({ type: 'finished', placeholders, models: [...predictors.keys()], refused });
  } catch (err) {
    send({ type: 'failed', error: report(err, current) });
  }
}

async function predict(id: number, name: string, data: unknown): Promise<void> {
  const model = predictors.get(name);
  try {
    if (!model) throw new Error(`the program defined no model "${name}" (models: ${[...predictors.keys()].join(', ') || 'none'})`);
    send({ type: 'prediction', id, value: toPlain(await model(data)) ?? null });
  } catch (err) {
    const where = locateError((err as Error)?.stack, fileOfUrl);
    send({ type: 'prediction', id, error: errorMessage(err) + (where ? ` (${where.file}:${where.line})` : '') });
  }
}

scope.addEventListener('message', (ev: MessageEvent<ToProgram>) => {
  const msg = ev.data;
  switch (msg?.type) {
    case 'start':
      if (started) return;
      started = true;
      sessionId = msg.sessionId;
      void start(msg.files, msg.mainfile);
      return;
    case 'predict':
      void predict(msg.id, msg.name, msg.data);
      return;
    case 'reply': {
      const p = pending.get(msg.id);
      pending.delete(msg.id);
      if (msg.error !== undefined) p?.reject(new Error(msg.error));
      else p?.resolve(msg.value);
      return;
    }
  }
});

// Errors nobody catches (a timer's, a promise nobody awaited) become log lines: the program goes on.
scope.addEventListener('error', (ev) => {
  send({ type: 'log', line: `uncaught error: ${errorMessage(ev.error ?? ev.message)}` });
});
scope.addEventListener('unhandledrejection', (ev) => {
  send({ type: 'log', line: `unhandled rejection: ${errorMessage(ev.reason)}` });
});
