// The page's side of runtime programs: the programs themselves run in a frame of another site (the
// program host, host.ts), so that site isolation gives them a renderer process of their own. A
// program that exhausts memory crashes that process only: the page and the models in its runtime
// worker stay up. The page notices the crash by its heartbeat, fails that frame's sessions with the
// reason, and starts a fresh frame for the next program.
import * as Comlink from 'comlink';
import type { SessionReport, Values } from '../contract/index.ts';
import { CallError, HOST_HELLO, type HostOutcome, type OrtFiles, type ProgramHostApi } from './messages.ts';
import type { ProgramHost } from './runner.ts';
import { ORT_BUNDLE, ORT_WASM } from '../runtime/engines/onnx/config.ts';

/** The page's side of the program host: what the runner asks of the page. */
export type PageSide = Omit<ProgramHost, 'ortFiles'>;

/** Heartbeat: a ping unanswered this long means the frame's process is gone (or hung). */
const PING_EVERY_MS = 500;
const DEAD_AFTER_MS = 5000;
/** How long a new frame may take to load and answer its first ping. */
const START_WITHIN_MS = 20_000;
/** Sessions remembered after their frame crashed (their status answers why). */
const KEEP_LOST = 64;

const CRASHED = `the program host crashed, most likely out of memory (a program used more memory than the browser ` +
  `allows one process), or stopped answering for ${DEAD_AFTER_MS / 1000} s; every program running in it was stopped`;

/**
 * The frame's address: the page's own files, from the other loopback name, so that it is another site
 * (site isolation: a process of its own). A page opened under another name gets a frame of its own
 * origin, in its own process only where the browser isolates every frame.
 */
export function programHostUrl(baseUrl: string): string {
  const url = new URL('./program-host.html', baseUrl);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost') url.hostname = '127.0.0.1';
  else if (/^127\.\d+\.\d+\.\d+$/.test(host) || host === '::1') url.hostname = 'localhost';
  return url.href;
}

/** One program host frame, while it lives. */
class HostFrame {
  readonly element: HTMLIFrameElement;
  private readonly remote: Comlink.Remote<ProgramHostApi>;
  private readonly channel = new MessageChannel();
  private readonly waiting = new Set<(err: Error) => void>();
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private pingSentAt: number | undefined;
  /** A message to itself, to judge a silence only after every message already queued (see beat). */
  private readonly verdict = new MessageChannel();
  /** Why the frame is gone; undefined while it lives. */
  dead: string | undefined;
  /** Resolves once the frame answers its first ping. */
  readonly ready: Promise<void>;

  constructor(url: string, page: ProgramHost, private readonly onDeath: (frame: HostFrame, why: string) => void) {
    this.element = document.createElement('iframe');
    this.element.src = url;
    this.element.hidden = true;
    this.element.title = 'runtime programs';
    this.verdict.port1.onmessage = () => {
      if (this.pingSentAt !== undefined && performance.now() - this.pingSentAt > DEAD_AFTER_MS) this.kill(CRASHED);
    };
    this.remote = Comlink.wrap<ProgramHostApi>(this.channel.port1);
    this.ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(this.kill(`the program host (${url}) did not start within ${START_WITHIN_MS / 1000} s`)), START_WITHIN_MS);
      this.element.addEventListener('load', () => {
        this.element.contentWindow?.postMessage(HOST_HELLO, new URL(url).origin, [this.channel.port2]);
        void this.track(this.remote.start(Comlink.proxy(page))).then(() => this.track(this.remote.ping())).then(() => {
          clearTimeout(timer);
          this.heartbeat = setInterval(() => this.beat(), PING_EVERY_MS);
          resolve();
        }, (err: Error) => { clearTimeout(timer); reject(err); });
      }, { once: true });
    });
    this.ready.catch(() => {}); // seen by whoever awaits it
    document.body.append(this.element);
  }

  async call(kind: string, payload: Values): Promise<Values> {
    await this.ready;
    const outcome = await this.track<HostOutcome>(this.remote.call(kind, payload) as Promise<HostOutcome>);
    if ('error' in outcome) throw Object.assign(new CallError(outcome.error.code ?? 'model_failed', outcome.error.message), { name: outcome.error.name });
    return outcome.value;
  }

  /** Ends the frame (its process goes with it, if it still runs) and fails every call it held. */
  kill(why: string): CallError {
    const err = new CallError('unavailable', why);
    if (this.dead) return err;
    this.dead = why;
    clearInterval(this.heartbeat);
    this.element.remove();
    this.channel.port1.close();
    this.verdict.port1.close();
    for (const reject of this.waiting) reject(err);
    this.waiting.clear();
    this.onDeath(this, why);
    return err;
  }

  /** One heartbeat: a ping out, unless the last one is still unanswered (then, past the limit, the frame is dead). */
  private beat(): void {
    // A page whose timers the browser slows down only notices later; an answered ping always counts.
    // When the page itself stalled, the answer may be queued behind this timer: the verdict waits for a
    // message posted now, which comes after every message already queued, the answer included.
    const now = performance.now();
    if (this.pingSentAt !== undefined) {
      if (now - this.pingSentAt > DEAD_AFTER_MS) this.verdict.port2.postMessage(null);
      return;
    }
    this.pingSentAt = now;
    void this.track(this.remote.ping()).then(() => { this.pingSentAt = undefined; }, () => {});
  }

  /** A call into the frame, failed at once when the frame dies. */
  private track<T>(p: Promise<T>): Promise<T> {
    if (this.dead) return Promise.reject(new CallError('unavailable', this.dead));
    return new Promise<T>((resolve, reject) => {
      this.waiting.add(reject);
      p.then(resolve, reject).finally(() => this.waiting.delete(reject));
    });
  }
}

interface Known {
  frame: HostFrame;
  startedAt: string;
  /** The report the program's end came with. */
  ended?: SessionReport;
}

/** Runs the bridge's `program.*` calls in a program host frame (the same calls as ProgramRunner). */
export class ProgramFrames {
  private frame: HostFrame | undefined;
  private readonly sessions = new Map<number, Known>();
  /** Sessions whose frame crashed: what status answers for them. */
  private readonly lost = new Map<number, { report: SessionReport; why: string }>();
  private ort: Promise<{ module: string; wasm: ArrayBuffer }> | undefined;

  constructor(private readonly page: PageSide, private readonly baseUrl: string) {}

  async call(kind: string, payload: Values): Promise<Values> {
    if (kind === 'program.run') {
      const frame = this.current();
      const startedAt = new Date().toISOString();
      const result = await frame.call(kind, payload);
      this.sessions.set(Number(result.sessionId), { frame, startedAt });
      return result;
    }
    const id = Number(payload.sessionId);
    const lost = this.lost.get(id);
    if (lost) {
      if (kind === 'program.status' || kind === 'program.stop') return { ...lost.report };
      throw new CallError(kind === 'program.predict' ? 'unavailable' : 'not_found', `session ${id}'s placeholders and models are gone: ${lost.why}`);
    }
    const known = this.sessions.get(id);
    const frame = known?.frame ?? this.frame;
    if (!frame || frame.dead) throw new CallError('not_found', `no session ${String(payload.sessionId)} on this page`);
    return frame.call(kind, payload);
  }

  /** The live frame, made when there is none. */
  private current(): HostFrame {
    if (this.frame && !this.frame.dead) return this.frame;
    this.frame = new HostFrame(programHostUrl(this.baseUrl), {
      query: (model, inputs) => this.page.query(model, inputs),
      models: () => this.page.models(),
      ended: (report) => this.ended(report),
      ortFiles: () => this.ortFiles(),
    }, (frame, why) => this.crashed(frame, why));
    return this.frame;
  }

  private ended(report: SessionReport): void {
    const known = this.sessions.get(report.sessionId);
    if (known) known.ended = report;
    this.page.ended(report);
  }

  /** A frame is gone: its running programs failed, and every session in it lost its placeholders and models. */
  private crashed(frame: HostFrame, why: string): void {
    const endedAt = new Date().toISOString();
    for (const [id, known] of this.sessions) {
      if (known.frame !== frame) continue;
      this.sessions.delete(id);
      const report: SessionReport = known.ended
        ? { ...known.ended, placeholders: [], models: [], log: [...known.ended.log, `${why}; this session's placeholders and models were lost with it`] }
        : {
          sessionId: id, status: 'failed', startedAt: known.startedAt, endedAt, log: [], logDropped: 0,
          error: { name: 'ProgramHostCrashed', message: `${why}; its log, placeholders and models were lost` },
          placeholders: [], models: [],
        };
      this.lost.set(id, { report, why });
      if (!known.ended) this.page.ended(report);
    }
    for (const id of [...this.lost.keys()].slice(0, Math.max(0, this.lost.size - KEEP_LOST))) this.lost.delete(id);
  }

  /** onnxruntime's WASM build for programs (fetched once; a copy per program, to hand over). */
  private async ortFiles(): Promise<OrtFiles> {
    this.ort ??= (async () => {
      const get = async (path: string) => {
        const res = await fetch(new URL(path, this.baseUrl));
        if (!res.ok) throw new Error(`could not fetch ${path}: HTTP ${res.status}`);
        return res;
      };
      const [module, wasm] = await Promise.all([get(ORT_BUNDLE.wasm).then((r) => r.text()), get(ORT_WASM.wasm).then((r) => r.arrayBuffer())]);
      return { module, wasm };
    })();
    this.ort.catch(() => { this.ort = undefined; });
    const files = await this.ort;
    const wasm = files.wasm.slice(0);
    return Comlink.transfer({ module: files.module, wasm }, [wasm]);
  }
}
