// Python programs' workers, kept warm: loading Pyodide takes seconds (its WebAssembly compiled, the
// interpreter started, the standard library opened), so once a Python program has run, the next one's
// worker is started and loaded ahead of time, and waits for its program. Each worker still runs one
// program only, and is ended with it. Later workers start from a snapshot of the interpreter's memory
// just after it started, which a worker of its own makes once (a worker that makes one runs in
// Pyodide's snapshot mode, where some of its JavaScript proxies behave differently: no program runs there).
import { PYODIDE_DIR, PYODIDE_FILES, type FromPythonWorker, type PyodideFiles, type ToPythonWorker } from './messages.ts';

/** One Python worker, loading or loaded. */
export interface PythonWorker {
  worker: Worker;
  /** Pyodide's interrupt buffer (stop raises KeyboardInterrupt); absent where the page is not cross-origin isolated. */
  interrupt: Int32Array | undefined;
}

interface Warm extends PythonWorker {
  failed: boolean;
  loaded: Promise<void>;
}

/** Fetches Pyodide's files from the page's own address (`baseUrl`, under public/pyodide/). */
export async function fetchPyodideFiles(baseUrl: string): Promise<PyodideFiles> {
  const get = async (name: string) => {
    const res = await fetch(new URL(PYODIDE_DIR + name, baseUrl));
    if (!res.ok) throw new Error(`Python is not installed with this page: ${PYODIDE_DIR}${name} answered HTTP ${res.status} (npm install copies Pyodide there)`);
    return res;
  };
  const [module, wasm, stdlib, lock] = await Promise.all([
    get(PYODIDE_FILES.module).then((r) => r.text()), get(PYODIDE_FILES.wasm).then((r) => r.arrayBuffer()),
    get(PYODIDE_FILES.stdlib).then((r) => r.arrayBuffer()), get(PYODIDE_FILES.lock).then((r) => r.text()),
  ]);
  return { module, wasm, stdlib, lock };
}

export class PythonPool {
  private warm: Warm | undefined;
  private files: Promise<PyodideFiles> | undefined;
  /** The interpreter's memory once started: workers start from it once it exists. */
  private snapshot: ArrayBuffer | undefined;
  private snapshotting: Promise<void> | undefined;

  /** `getFiles` brings Pyodide's files (fetched once, then copied for each worker). */
  constructor(private readonly getFiles: () => Promise<PyodideFiles>) {}

  /** A worker for one program: the warm one if there is one; the next starts loading once this one has. */
  take(): PythonWorker {
    const w = this.warm && !this.warm.failed ? this.warm : this.start();
    this.warm = undefined;
    // Once this one has loaded (not to slow it down): the snapshot if there is none yet, then the next.
    void w.loaded.then(() => this.refill(), () => {});
    return { worker: w.worker, interrupt: w.interrupt };
  }

  private refill(): void {
    if (this.snapshot) {
      this.warm ??= this.start();
      return;
    }
    this.snapshotting ??= this.makeSnapshot().then(() => { this.warm ??= this.start(); }, () => {}).finally(() => { this.snapshotting = undefined; });
  }

  /** A worker that only loads Pyodide and snapshots it, then is ended. */
  private async makeSnapshot(): Promise<void> {
    const maker = this.start(true);
    try {
      await maker.loaded;
    } finally {
      maker.worker.terminate();
    }
  }

  /** Ends the warm worker (the page is going). */
  close(): void {
    this.warm?.worker.terminate();
    this.warm = undefined;
  }

  private start(makeSnapshot = false): Warm {
    const worker = new Worker(new URL('./python-program-worker.ts', import.meta.url), { type: 'module', name: 'python-program' });
    const shared = typeof SharedArrayBuffer === 'function' && globalThis.crossOriginIsolated ? new SharedArrayBuffer(4) : undefined;
    let settle: { resolve: () => void; reject: (e: Error) => void } | undefined;
    const w: Warm = {
      worker, interrupt: shared ? new Int32Array(shared) : undefined, failed: false,
      loaded: new Promise<void>((resolve, reject) => { settle = { resolve, reject }; }),
    };
    w.loaded.catch(() => {});
    const onMessage = (ev: MessageEvent<FromPythonWorker>) => {
      if (ev.data?.type === 'loaded') {
        if (ev.data.snapshot) this.snapshot = ev.data.snapshot;
        settle?.resolve();
      }
      if (ev.data?.type === 'load-failed') {
        w.failed = true;
        settle?.reject(new Error(ev.data.message));
        if (this.warm === w) { this.warm = undefined; worker.terminate(); }
      }
    };
    // Listened to after the worker is handed out too: the next warm one starts once this one loaded.
    worker.addEventListener('message', onMessage);
    this.files ??= this.getFiles();
    this.files.then((files) => {
      const wasm = files.wasm.slice(0);
      const stdlib = files.stdlib.slice(0);
      const snapshot = this.snapshot?.slice(0);
      worker.postMessage({ type: 'load', files: { ...files, wasm, stdlib }, interrupt: shared, snapshot, makeSnapshot } satisfies ToPythonWorker,
        [wasm, stdlib, ...(snapshot ? [snapshot] : [])]);
    }, (err: Error) => {
      this.files = undefined; // tried again for the next program
      worker.postMessage({ type: 'load', error: err.message } satisfies ToPythonWorker);
    });
    return w;
  }
}
