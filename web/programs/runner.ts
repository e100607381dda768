// The program runner, inside the program host frame (host.ts; the page reaches it through frames.ts):
// answers the bridge's `program.*` calls and keeps the page's sessions, each program run in its own
// fresh worker (program-worker.ts, started in the program workers' frame, another process, by `spawn`).
// One session's life, from its worker's start to the models it leaves, is session.ts. Each session's
// status, log and placeholders are kept here in the host frame (so that they can be read while the
// program is busy, after its worker is gone, and after the workers' process crashed; never in the
// page's own process: record.ts).
import type { ProgramDataFile, ProgramFile, ProgramLanguage, RunLimits, SessionReport, Values } from '../contract/index.ts';
import { CallError } from './messages.ts';
import { ProgramSession, type ProgramHost, type SpawnWorker } from './session.ts';
import type { Stats } from './stats.ts';

export { CallError } from './messages.ts';
export type { ProgramHost, ProgramWorker, SpawnWorker } from './session.ts';

/** Ended sessions kept (oldest dropped first): their placeholders and models stay readable. */
const KEEP_ENDED = 32;
/** How long statistics may take before get_stats gives up (their input is bounded by the placeholders' cap, record.ts). */
const STATS_TIME_LIMIT_MS = 20_000;

export class ProgramRunner {
  private readonly sessions = new Map<number, ProgramSession>();
  private nextPrediction = 1;

  constructor(private readonly host: ProgramHost, private readonly spawn: SpawnWorker) {}

  /** Answers one of the bridge's `program.*` calls. */
  async call(kind: string, payload: Values): Promise<Values> {
    switch (kind) {
      case 'program.run': return this.run(payload);
      case 'program.status': return this.session(payload.sessionId).report();
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
    const session = new ProgramSession(sessionId, files, this.host);
    this.sessions.set(sessionId, session);
    session.start(this.spawn, { mainfile, language, ...(data ? { data } : {}), timeoutMs: limits.timeoutMs });
    this.dropOldSessions();
    return { sessionId, status: 'running' };
  }

  /**
   * The program workers' process is gone (a program exhausted its memory): the programs running there
   * failed, and the models of ended ones are lost; every status, log and placeholder kept here stays.
   */
  workersLost(why: string): void {
    for (const session of this.sessions.values()) session.workersLost(why);
  }

  private stop(sessionId: unknown): Promise<SessionReport> {
    return this.session(sessionId).stop();
  }

  private placeholder(sessionId: unknown, name: unknown): unknown {
    return this.session(sessionId).placeholder(String(name));
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
    return this.session(sessionId).predict(this.nextPrediction++, String(name), data);
  }

  private session(sessionId: unknown): ProgramSession {
    const session = this.sessions.get(Number(sessionId));
    if (!session) {
      throw new CallError('not_found', `no session ${String(sessionId)} on this page (the page keeps the last ${KEEP_ENDED} ended programs)`);
    }
    return session;
  }

  private dropOldSessions(): void {
    const ended = [...this.sessions.values()].filter((s) => s.status !== 'running');
    for (const s of ended.slice(0, Math.max(0, ended.length - KEEP_ENDED))) {
      s.release('the session was dropped');
      this.sessions.delete(s.id);
    }
  }
}
