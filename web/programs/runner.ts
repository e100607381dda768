// The program runner, inside the program host frame (host.ts; the page reaches it through frames.ts):
// runs each program of the runtime WebSocket in its own fresh worker (program-worker.ts, started in
// the program workers' frame, another process, by `spawn`), keeps its status, log and placeholders
// here (so that they can be read while the program is busy, after its worker is gone, and after the
// workers' process crashed; never in the page's own process: record.ts), relays the program's model queries to
// the page, and answers the bridge's `program.*` calls.
import {
  normalizeFilename, type ErrorCode, type ProgramDataFile, type ProgramErrorReport, type ProgramFile, type ProgramLanguage, type RunLimits,
  type SessionReport, type SessionState, type Values,
} from '../contract/index.ts';
import type { PyodideFiles } from './python/messages.ts';
import { CallError, type FromProgram, type OrtFiles, type ProgramRequest, type ToProgram } from './messages.ts';

export { CallError } from './messages.ts';
import { parseOnlyScript } from './modules.ts';
import { ProgramRecord } from './record.ts';
import type { Stats } from './stats.ts';

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


/** Ended sessions kept (oldest dropped first): their placeholders and models stay readable. */
const KEEP_ENDED = 32;
/** How long statistics may take before get_stats gives up (their input is bounded by the placeholders' cap, record.ts). */
const STATS_TIME_LIMIT_MS = 20_000;
/** How long a stopped Python program's KeyboardInterrupt may take before its worker is ended. */
const INTERRUPT_WITHIN_MS = 1000;

interface Session {
  id: number;
  files: ProgramFile[];
  worker: ProgramWorker | undefined;
  status: SessionState;
  startedAt: Date;
  endedAt: Date | undefined;
  /** Its log and placeholders (record.ts). */
  record: ProgramRecord;
  error: ProgramErrorReport | undefined;
  models: Set<string>;
  timer: ReturnType<typeof setTimeout> | undefined;
  predictions: Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>;
  /** Set by stop while a Python program's KeyboardInterrupt is on its way: its end is then "stopped". */
  stopping?: () => void;
}

export class ProgramRunner {
  private readonly sessions = new Map<number, Session>();
  private nextPrediction = 1;

  constructor(private readonly host: ProgramHost, private readonly spawn: SpawnWorker) {}

  /** Answers one of the bridge's `program.*` calls. */
  async call(kind: string, payload: Values): Promise<Values> {
    switch (kind) {
      case 'program.run': return this.run(payload);
      case 'program.status': return this.report(this.session(payload.sessionId));
      case 'program.placeholder': return { value: this.placeholder(payload.sessionId, payload.name) };
      case 'program.stats': return { ...await this.stats(payload.sessionId, payload.name) };
      case 'program.predict': return { output: await this.predict(payload.sessionId, payload.name, payload.data) };
      case 'program.stop': return await this.stop(payload.sessionId);
      default: throw new CallError('bad_request', `this page has no call "${kind}"`);
    }
  }

  private run(payload: Values): Values {
    const { sessionId, files, mainfile, limits, language = 'javascript', data } = payload as {
      sessionId: number; files: ProgramFile[]; mainfile: string; limits: RunLimits; language?: ProgramLanguage; data?: ProgramDataFile[];
    };
    if (typeof sessionId !== 'number' || !Array.isArray(files) || typeof mainfile !== 'string') {
      throw new CallError('bad_request', 'program.run needs sessionId, files and mainfile');
    }
    if (this.sessions.has(sessionId)) throw new CallError('bad_request', `session ${sessionId} exists already`);
    const running = [...this.sessions.values()].filter((s) => s.status === 'running').length;
    if (running >= limits.maxPrograms) {
      throw new CallError('busy', `this page runs ${running} programs already, the most allowed (--max-programs); stop one or wait for one to end`);
    }
    const session: Session = {
      id: sessionId, files, worker: undefined, status: 'running', startedAt: new Date(), endedAt: undefined, record: new ProgramRecord(),
      error: undefined, models: new Set(), timer: undefined, predictions: new Map(),
    };
    this.sessions.set(sessionId, session);
    session.timer = setTimeout(() => {
      this.end(session, 'failed', { name: 'TimeoutError',
        message: `the program ran past its wall-clock limit of ${limits.timeoutMs / 1000} s (--program-timeout) and was stopped` });
    }, limits.timeoutMs);
    const worker = this.spawn(`program-${sessionId}`, {
      message: (data) => void this.onMessage(session, data),
      // Only a worker that could not start at all gets here: the program's own errors are caught inside.
      error: (message) => {
        if (session.status === 'running') this.end(session, 'failed', { name: 'Error', message: `the program's worker failed: ${message}` });
      },
    }, language);
    session.worker = worker;
    worker.postMessage({ type: 'start', sessionId, files, mainfile, ...(data ? { data } : {}) } satisfies ToProgram);
    this.dropOldSessions();
    return { sessionId, status: 'running' };
  }

  private async onMessage(session: Session, msg: FromProgram): Promise<void> {
    switch (msg?.type) {
      case 'log':
        session.record.addLog(String(msg.line));
        return;
      case 'logs':
        session.record.addLogBatch(msg.lines, msg.dropped);
        return;
      case 'placeholder':
        session.record.keep(String(msg.name), msg.value);
        return;
      case 'model':
        session.models.add(String(msg.name));
        return;
      case 'finished':
        if (session.status !== 'running') return;
        for (const [name, value] of Object.entries(msg.placeholders ?? {})) session.record.keep(name, value);
        for (const [name, why] of Object.entries(msg.refused ?? {})) session.record.refuse(name, String(why));
        for (const name of msg.models ?? []) session.models.add(name);
        this.end(session, 'finished');
        session.stopping?.();
        return;
      case 'failed': {
        if (session.status !== 'running') return;
        if (session.stopping) return session.stopping(); // the KeyboardInterrupt that stop raised
        const error = msg.error;
        session.worker?.terminate();
        if (error?.syntax && error.file) {
          // A module's syntax error has no line: parse that file alone, as a classic script, to find it.
          const source = session.files.find((f) => normalizeFilename(f.filename) === error.file)?.content;
          const where = source === undefined ? undefined : await syntaxErrorLine(source);
          if (where) Object.assign(error, where);
        }
        if (error) delete error.syntax;
        if (session.status === 'running') this.end(session, 'failed', error);
        return;
      }
      case 'request':
        void this.answer(session, msg.id, msg.request);
        return;
      case 'prediction': {
        const p = session.predictions.get(msg.id);
        session.predictions.delete(msg.id);
        if (msg.error !== undefined) p?.reject(new CallError('model_failed', msg.error));
        else p?.resolve(msg.value);
        return;
      }
    }
  }

  /** Answers a program's request (a model query, the model list, onnxruntime's WebAssembly). */
  private async answer(session: Session, id: number, request: ProgramRequest): Promise<void> {
    const reply = (m: Omit<Extract<ToProgram, { type: 'reply' }>, 'type' | 'id'>, transfer: Transferable[] = []) =>
      session.worker?.postMessage({ type: 'reply', id, ...m } satisfies ToProgram, transfer);
    try {
      switch (request?.what) {
        case 'query': return reply({ value: await this.host.query(request.model, request.inputs, session.id) });
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
  private end(session: Session, status: SessionState, error?: ProgramErrorReport): void {
    if (session.status !== 'running') return;
    session.status = status;
    session.endedAt = new Date();
    session.error = error && error.file && error.line ? { ...error, location: `${error.file}:${error.line}` } : error;
    clearTimeout(session.timer);
    if (status !== 'finished' || session.models.size === 0) this.release(session, `the program ${status === 'finished' ? 'finished' : 'was ' + status}`);
    this.host.ended(this.report(session));
  }

  /**
   * The program workers' process is gone (a program exhausted its memory): the programs running there
   * failed, and the models of ended ones are lost; every status, log and placeholder kept here stays.
   */
  workersLost(why: string): void {
    for (const session of this.sessions.values()) {
      if (session.status === 'running') {
        this.end(session, 'failed', { name: 'ProgramHostCrashed', message: why });
      } else if (session.worker) {
        this.release(session, why);
        if (session.models.size > 0) session.record.addLog(`${why}: this session's models (${[...session.models].join(', ')}) were lost with it`);
        session.models.clear();
      }
    }
  }

  private release(session: Session, why: string): void {
    session.worker?.terminate();
    session.worker = undefined;
    for (const p of session.predictions.values()) p.reject(new CallError('unavailable', `${why} before the model answered`));
    session.predictions.clear();
  }

  private async stop(sessionId: unknown): Promise<SessionReport> {
    const session = this.session(sessionId);
    const worker = session.worker;
    if (session.status === 'running' && worker && !session.stopping) {
      // A Python program gets KeyboardInterrupt first, so that its main module's names so far become
      // placeholders; its worker is ended all the same, at once where the interrupt does not land in time.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => resolve(), INTERRUPT_WITHIN_MS);
        session.stopping = () => { clearTimeout(timer); resolve(); };
        void worker.interrupt().then((raised) => { if (!raised) session.stopping?.(); }, () => session.stopping?.());
      });
    }
    if (session.status === 'running') {
      session.worker?.terminate();
      this.end(session, 'stopped');
    } else {
      // An ended program holds nothing but its models: stop releases them.
      this.release(session, 'the program was stopped');
      session.models.clear();
    }
    return this.report(session);
  }

  private placeholder(sessionId: unknown, name: unknown): unknown {
    const session = this.session(sessionId);
    return session.record.placeholder(String(name), session.id, session.status === 'running');
  }

  /** Statistics in a worker of their own: never on a main thread, and ended when they take too long. */
  private stats(sessionId: unknown, name: unknown): Promise<Stats> {
    const value = this.placeholder(sessionId, name);
    const label = `placeholder "${String(name)}"`;
    return new Promise((resolve, reject) => {
      const worker = new Worker(new URL('./stats-worker.ts', import.meta.url), { type: 'module', name: 'placeholder-stats' });
      const done = () => {
        clearTimeout(timer);
        worker.terminate();
      };
      const timer = setTimeout(() => {
        done();
        reject(new CallError('timeout', `${label}: its statistics took longer than ${STATS_TIME_LIMIT_MS / 1000} s`));
      }, STATS_TIME_LIMIT_MS);
      worker.onmessage = (ev: MessageEvent<{ stats?: Stats; error?: string; bad?: boolean }>) => {
        done();
        if (ev.data.stats) resolve(ev.data.stats);
        else reject(new CallError(ev.data.bad ? 'bad_request' : 'model_failed', `${label}: ${ev.data.error ?? 'no statistics'}`));
      };
      worker.onerror = (ev) => {
        ev.preventDefault();
        done();
        reject(new CallError('unavailable', `${label}: the statistics worker failed: ${ev.message || 'it could not be started'}`));
      };
      worker.postMessage({ value });
    });
  }

  private predict(sessionId: unknown, name: unknown, data: unknown): Promise<unknown> {
    const session = this.session(sessionId);
    const key = String(name);
    if (!session.models.has(key)) {
      const known = [...session.models].join(', ') || 'none';
      throw new CallError('not_found', `session ${session.id} has no model "${key}" (models: ${known})`);
    }
    const worker = session.worker;
    if (!worker) throw new CallError('unavailable', `session ${session.id} was ${session.status}: its models are gone`);
    const id = this.nextPrediction++;
    return new Promise((resolve, reject) => {
      session.predictions.set(id, { resolve, reject });
      worker.postMessage({ type: 'predict', id, name: key, data } satisfies ToProgram);
    });
  }

  private session(sessionId: unknown): Session {
    const session = this.sessions.get(Number(sessionId));
    if (!session) {
      throw new CallError('not_found', `no session ${String(sessionId)} on this page (the page keeps the last ${KEEP_ENDED} ended programs)`);
    }
    return session;
  }

  private report(s: Session): SessionReport {
    return {
      sessionId: s.id, status: s.status, startedAt: s.startedAt.toISOString(), endedAt: s.endedAt?.toISOString() ?? null,
      log: [...s.record.log], logDropped: s.record.logDropped, ...(s.error ? { error: s.error } : {}),
      placeholders: [...s.record.placeholders.keys()], models: [...s.models],
    };
  }

  private dropOldSessions(): void {
    const ended = [...this.sessions.values()].filter((s) => s.status !== 'running');
    for (const s of ended.slice(0, Math.max(0, ended.length - KEEP_ENDED))) {
      this.release(s, 'the session was dropped');
      this.sessions.delete(s.id);
    }
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
