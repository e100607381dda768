// One program's session in the program runner (runner.ts), from its start to its end and after: its
// worker (started by `spawn`, wherever it runs), its wall-clock limit, what its worker says (log lines,
// placeholders, models, its end) and asks (model queries, the model list, onnxruntime's files), stop,
// and the models it leaves, which answer predictions until it is released. Its status, log and
// placeholders are kept here, not in the worker (record.ts).
import {
  normalizeFilename, type ProgramDataFile, type ProgramErrorReport, type ProgramFile, type ProgramLanguage, type SessionReport,
  type SessionState, type Values,
} from '../contract/index.ts';
import type { PyodideFiles } from './python/messages.ts';
import { CallError, type FromProgram, type OrtFiles, type ProgramRequest, type ToProgram } from './messages.ts';
import { parseOnlyScript } from './modules.ts';
import { ProgramRecord } from './record.ts';

/** A program's worker, wherever it runs. */
export interface ProgramWorker {
  postMessage(message: ToProgram, transfer?: Transferable[]): void;
  /** Raises KeyboardInterrupt in a Python program; resolves false where it cannot. */
  interrupt(): Promise<boolean>;
  terminate(): void;
}

/** Starts a program's worker (a Python one: with Pyodide); `error` is for a worker that could not start at all. */
export type SpawnWorker = (name: string, events: { message(data: FromProgram): void; error(message: string): void }, language: ProgramLanguage) => ProgramWorker;

/** What the runner needs of the page. */
export interface ProgramHost {
  /** Runs one of the page's models for program `session` (through the bridge, under its queue caps). */
  query(model: string, inputs: Values, session: number): Promise<Values>;
  /** The page's models, for a program's `models.list()`. */
  models(): unknown[] | Promise<unknown[]>;
  /** A program ended (finished, failed or stopped). */
  ended(report: SessionReport): void;
  /** onnxruntime's module and WebAssembly, for programs that register ONNX models. */
  ortFiles(): Promise<OrtFiles>;
  /** Pyodide's files, for Python programs' workers (web/programs/python/). */
  pyodideFiles(): Promise<PyodideFiles>;
}

/** How long a stopped Python program's KeyboardInterrupt may take before its worker is ended. */
const INTERRUPT_WITHIN_MS = 1000;

/** How a session starts (program.run's payload, checked by the runner). */
export interface SessionStart {
  mainfile: string;
  language: ProgramLanguage;
  data?: ProgramDataFile[];
  /** Its wall-clock limit (--program-timeout). */
  timeoutMs: number;
}

export class ProgramSession {
  status: SessionState = 'running';
  readonly startedAt = new Date();
  endedAt: Date | undefined;
  /** Its log and placeholders (record.ts). */
  readonly record = new ProgramRecord();
  error: ProgramErrorReport | undefined;
  readonly models = new Set<string>();
  private worker: ProgramWorker | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly predictions = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  /** Set by stop while a Python program's KeyboardInterrupt is on its way: its end is then "stopped". */
  private stopping?: () => void;

  constructor(readonly id: number, private readonly files: ProgramFile[], private readonly host: ProgramHost) {}

  /** Starts its worker and its wall-clock limit. */
  start(spawn: SpawnWorker, { mainfile, language, data, timeoutMs }: SessionStart): void {
    this.timer = setTimeout(() => {
      this.end('failed', { name: 'TimeoutError',
        message: `the program ran past its wall-clock limit of ${timeoutMs / 1000} s (--program-timeout) and was stopped` });
    }, timeoutMs);
    const worker = spawn(`program-${this.id}`, {
      message: (data) => void this.onMessage(data),
      // Only a worker that could not start at all gets here: the program's own errors are caught inside.
      error: (message) => {
        if (this.status === 'running') this.end('failed', { name: 'Error', message: `the program's worker failed: ${message}` });
      },
    }, language);
    this.worker = worker;
    worker.postMessage({ type: 'start', sessionId: this.id, files: this.files, mainfile, ...(data ? { data } : {}) } satisfies ToProgram);
  }

  private async onMessage(msg: FromProgram): Promise<void> {
    switch (msg?.type) {
      case 'log':
        this.record.addLog(String(msg.line));
        return;
      case 'logs':
        this.record.addLogBatch(msg.lines, msg.dropped);
        return;
      case 'placeholder':
        this.record.keep(String(msg.name), msg.value);
        return;
      case 'model':
        this.models.add(String(msg.name));
        return;
      case 'finished':
        if (this.status !== 'running') return;
        for (const [name, value] of Object.entries(msg.placeholders ?? {})) this.record.keep(name, value);
        for (const [name, why] of Object.entries(msg.refused ?? {})) this.record.refuse(name, String(why));
        for (const name of msg.models ?? []) this.models.add(name);
        this.end('finished');
        this.stopping?.();
        return;
      case 'failed': {
        if (this.status !== 'running') return;
        if (this.stopping) return this.stopping(); // the KeyboardInterrupt that stop raised
        const error = msg.error;
        this.worker?.terminate();
        if (error?.syntax && error.file) {
          // A module's syntax error has no line: parse that file alone, as a classic script, to find it.
          const source = this.files.find((f) => normalizeFilename(f.filename) === error.file)?.content;
          const where = source === undefined ? undefined : await syntaxErrorLine(source);
          if (where) Object.assign(error, where);
        }
        if (error) delete error.syntax;
        if (this.status === 'running') this.end('failed', error);
        return;
      }
      case 'request':
        void this.answer(msg.id, msg.request);
        return;
      case 'prediction': {
        const p = this.predictions.get(msg.id);
        this.predictions.delete(msg.id);
        if (msg.error !== undefined) p?.reject(new CallError('model_failed', msg.error));
        else p?.resolve(msg.value);
        return;
      }
    }
  }

  /** Answers a program's request (a model query, the model list, onnxruntime's WebAssembly). */
  private async answer(id: number, request: ProgramRequest): Promise<void> {
    const reply = (m: Omit<Extract<ToProgram, { type: 'reply' }>, 'type' | 'id'>, transfer: Transferable[] = []) =>
      this.worker?.postMessage({ type: 'reply', id, ...m } satisfies ToProgram, transfer);
    try {
      switch (request?.what) {
        case 'query': return reply({ value: await this.host.query(request.model, request.inputs, this.id) });
        case 'models': return reply({ value: await this.host.models() });
        case 'ort': {
          const files = await this.host.ortFiles(); // a copy of its own: it can be handed over
          return reply({ value: files }, [files.wasm]);
        }
        default: return reply({ error: 'unknown request' });
      }
    } catch (err) {
      reply({ error: (err as Error).message ?? String(err) });
    }
  }

  /** The program ended: its status is final; its worker stays only while it holds models. */
  private end(status: SessionState, error?: ProgramErrorReport): void {
    if (this.status !== 'running') return;
    this.status = status;
    this.endedAt = new Date();
    this.error = error && error.file && error.line ? { ...error, location: `${error.file}:${error.line}` } : error;
    clearTimeout(this.timer);
    if (status !== 'finished' || this.models.size === 0) this.release(`the program ${status === 'finished' ? 'finished' : 'was ' + status}`);
    this.host.ended(this.report());
  }

  /** The program workers' process is gone: a running program failed; an ended one's models are lost. */
  workersLost(why: string): void {
    if (this.status === 'running') {
      this.end('failed', { name: 'ProgramHostCrashed', message: why });
    } else if (this.worker) {
      this.release(why);
      if (this.models.size > 0) this.record.addLog(`${why}: this session's models (${[...this.models].join(', ')}) were lost with it`);
      this.models.clear();
    }
  }

  /** Ends its worker; predictions still waiting fail. */
  release(why: string): void {
    this.worker?.terminate();
    this.worker = undefined;
    for (const p of this.predictions.values()) p.reject(new CallError('unavailable', `${why} before the model answered`));
    this.predictions.clear();
  }

  async stop(): Promise<SessionReport> {
    const worker = this.worker;
    if (this.status === 'running' && worker && !this.stopping) {
      // A Python program gets KeyboardInterrupt first, so that its main module's names so far become
      // placeholders; its worker is ended all the same, at once where the interrupt does not land in time.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => resolve(), INTERRUPT_WITHIN_MS);
        this.stopping = () => { clearTimeout(timer); resolve(); };
        void worker.interrupt().then((raised) => { if (!raised) this.stopping?.(); }, () => this.stopping?.());
      });
    }
    if (this.status === 'running') {
      this.worker?.terminate();
      this.end('stopped');
    } else {
      // An ended program holds nothing but its models: stop releases them.
      this.release('the program was stopped');
      this.models.clear();
    }
    return this.report();
  }

  placeholder(name: string): unknown {
    return this.record.placeholder(name, this.id, this.status === 'running');
  }

  /** Runs model `name` that the program left on `data`; `id`: the runner's number for this prediction. */
  predict(id: number, name: string, data: unknown): Promise<unknown> {
    if (!this.models.has(name)) {
      const known = [...this.models].join(', ') || 'none';
      throw new CallError('not_found', `session ${this.id} has no model "${name}" (models: ${known})`);
    }
    const worker = this.worker;
    if (!worker) throw new CallError('unavailable', `session ${this.id} was ${this.status}: its models are gone`);
    return new Promise((resolve, reject) => {
      this.predictions.set(id, { resolve, reject });
      worker.postMessage({ type: 'predict', id, name, data } satisfies ToProgram);
    });
  }

  report(): SessionReport {
    return {
      sessionId: this.id, status: this.status, startedAt: this.startedAt.toISOString(), endedAt: this.endedAt?.toISOString() ?? null,
      log: [...this.record.log], logDropped: this.record.logDropped, ...(this.error ? { error: this.error } : {}),
      placeholders: [...this.record.placeholders.keys()], models: [...this.models],
    };
  }
}

/** The line of a syntax error in a module's source, by parsing it (never running it) as a classic script. */
function syntaxErrorLine(source: string): Promise<{ line: number; column?: number; message?: string } | undefined> {
  return new Promise((resolve) => {
    const url = URL.createObjectURL(new Blob([parseOnlyScript(source)], { type: 'text/javascript' }));
    const checker = new Worker(url, { name: 'program-syntax-check' });
    const done = (where?: { line: number; column?: number }) => {
      clearTimeout(timer);
      checker.terminate();
      URL.revokeObjectURL(url);
      resolve(where);
    };
    const timer = setTimeout(() => done(), 2000);
    checker.onerror = (ev) => {
      ev.preventDefault();
      done(ev.lineno ? { line: ev.lineno, column: ev.lineno === 1 ? undefined : ev.colno } : undefined);
    };
    checker.onmessage = () => done();
  });
}
