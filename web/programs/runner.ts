// The page's program runner: runs each program of the runtime WebSocket in its own fresh worker
// (program-worker.ts), keeps its status, log and placeholders here on the page's side (so that they
// can be read while the program is busy, and after its worker is gone), relays the program's model
// queries to the page's runtime, and answers the bridge's `program.*` calls.
import {
  normalizeFilename, type ErrorCode, type ProgramErrorReport, type ProgramFile, type RunLimits, type SessionReport, type SessionState, type Values,
} from '../contract/index.ts';
import type { FromProgram, ProgramRequest, ToProgram } from './messages.ts';
import { parseOnlyScript } from './modules.ts';
import { statistics, StatsError } from './stats.ts';
import { ORT_WASM } from '../runtime/engines/onnx/config.ts';

export interface ProgramHost {
  /** Runs one of the page's models for program `session` (through the bridge, under its queue caps). */
  query(model: string, inputs: Values, session: number): Promise<Values>;
  /** The page's models, for a program's `models.list()`. */
  models(): unknown[];
  /** A program ended (finished, failed or stopped). */
  ended(report: SessionReport): void;
}

/** An error for the bridge, with the code it maps to every protocol's error. */
export class CallError extends Error {
  constructor(readonly code: ErrorCode, message: string) {
    super(message);
  }
}

const MAX_LOG_LINES = 1000;
const MAX_LINE_CHARS = 10_000;
/** Ended sessions kept (oldest dropped first): their placeholders and models stay readable. */
const KEEP_ENDED = 32;

interface Session {
  id: number;
  files: ProgramFile[];
  worker: Worker | undefined;
  status: SessionState;
  startedAt: Date;
  endedAt: Date | undefined;
  log: string[];
  logDropped: number;
  error: ProgramErrorReport | undefined;
  placeholders: Map<string, unknown>;
  models: Set<string>;
  timer: ReturnType<typeof setTimeout> | undefined;
  predictions: Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>;
}

export class ProgramRunner {
  private readonly sessions = new Map<number, Session>();
  private ortWasm: Promise<ArrayBuffer> | undefined;
  private nextPrediction = 1;

  constructor(private readonly host: ProgramHost, private readonly baseUrl: string) {}

  /** Answers one of the bridge's `program.*` calls. */
  async call(kind: string, payload: Values): Promise<Values> {
    switch (kind) {
      case 'program.run': return this.run(payload);
      case 'program.status': return this.report(this.session(payload.sessionId));
      case 'program.placeholder': return { value: this.placeholder(payload.sessionId, payload.name) };
      case 'program.stats': return this.stats(payload.sessionId, payload.name);
      case 'program.predict': return { output: await this.predict(payload.sessionId, payload.name, payload.data) };
      case 'program.stop': return this.stop(payload.sessionId);
      default: throw new CallError('bad_request', `this page has no call "${kind}"`);
    }
  }

  private run(payload: Values): Values {
    const { sessionId, files, mainfile, limits } = payload as { sessionId: number; files: ProgramFile[]; mainfile: string; limits: RunLimits };
    if (typeof sessionId !== 'number' || !Array.isArray(files) || typeof mainfile !== 'string') {
      throw new CallError('bad_request', 'program.run needs sessionId, files and mainfile');
    }
    if (this.sessions.has(sessionId)) throw new CallError('bad_request', `session ${sessionId} exists already`);
    const running = [...this.sessions.values()].filter((s) => s.status === 'running').length;
    if (running >= limits.maxPrograms) {
      throw new CallError('busy', `this page runs ${running} programs already, the most allowed (--max-programs); stop one or wait for one to end`);
    }
    const worker = new Worker(new URL('./program-worker.ts', import.meta.url), { type: 'module', name: `program-${sessionId}` });
    const session: Session = {
      id: sessionId, files, worker, status: 'running', startedAt: new Date(), endedAt: undefined, log: [], logDropped: 0,
      error: undefined, placeholders: new Map(), models: new Set(), timer: undefined, predictions: new Map(),
    };
    this.sessions.set(sessionId, session);
    session.timer = setTimeout(() => {
      this.end(session, 'failed', { name: 'TimeoutError',
        message: `the program ran past its wall-clock limit of ${limits.timeoutMs / 1000} s (--program-timeout) and was stopped` });
    }, limits.timeoutMs);
    worker.addEventListener('message', (ev: MessageEvent<FromProgram>) => void this.onMessage(session, ev.data));
    worker.addEventListener('error', (ev) => {
      // Only a worker that could not start at all gets here: the program's own errors are caught inside.
      ev.preventDefault();
      if (session.status === 'running') this.end(session, 'failed', { name: 'Error', message: `the program's worker failed: ${ev.message || 'it could not be started'}` });
    });
    worker.postMessage({ type: 'start', sessionId, files, mainfile, baseUrl: this.baseUrl } satisfies ToProgram);
    this.dropOldSessions();
    return { sessionId, status: 'running' };
  }

  private async onMessage(session: Session, msg: FromProgram): Promise<void> {
    switch (msg?.type) {
      case 'log':
        this.addLog(session, String(msg.line));
        return;
      case 'placeholder':
        session.placeholders.set(String(msg.name), msg.value);
        return;
      case 'model':
        session.models.add(String(msg.name));
        return;
      case 'finished':
        if (session.status !== 'running') return;
        for (const [name, value] of Object.entries(msg.placeholders ?? {})) session.placeholders.set(name, value);
        for (const name of msg.models ?? []) session.models.add(name);
        this.end(session, 'finished');
        return;
      case 'failed': {
        if (session.status !== 'running') return;
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
        case 'models': return reply({ value: this.host.models() });
        case 'ort-wasm': {
          this.ortWasm ??= fetch(new URL(ORT_WASM.wasm, this.baseUrl)).then((r) => {
            if (!r.ok) throw new Error(`could not fetch onnxruntime's WebAssembly: HTTP ${r.status}`);
            return r.arrayBuffer();
          });
          const copy = (await this.ortWasm).slice(0);
          return reply({ value: copy }, [copy]);
        }
        default: return reply({ error: 'unknown request' });
      }
    } catch (err) {
      reply({ error: (err as Error).message ?? String(err) });
    }
  }

  private addLog(session: Session, line: string): void {
    session.log.push(line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)}… (${line.length} characters)` : line);
    if (session.log.length > MAX_LOG_LINES) {
      session.log.shift();
      session.logDropped++;
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

  private release(session: Session, why: string): void {
    session.worker?.terminate();
    session.worker = undefined;
    for (const p of session.predictions.values()) p.reject(new CallError('unavailable', `${why} before the model answered`));
    session.predictions.clear();
  }

  private stop(sessionId: unknown): SessionReport {
    const session = this.session(sessionId);
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
    const key = String(name);
    if (!session.placeholders.has(key)) {
      const known = [...session.placeholders.keys()].join(', ') || 'none';
      const still = session.status === 'running' ? '; the program is still running, and its exports are read when it finishes' : '';
      throw new CallError('not_found', `session ${session.id} has no placeholder "${key}" (placeholders: ${known}${still})`);
    }
    return session.placeholders.get(key);
  }

  private stats(sessionId: unknown, name: unknown): Values {
    const value = this.placeholder(sessionId, name);
    try {
      return { ...statistics(value) };
    } catch (err) {
      if (err instanceof StatsError) throw new CallError('bad_request', `placeholder "${String(name)}": ${err.message}`);
      throw err;
    }
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
      log: [...s.log], logDropped: s.logDropped, ...(s.error ? { error: s.error } : {}),
      placeholders: [...s.placeholders.keys()], models: [...s.models],
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
