// The page's side of runtime programs: they live in the program host (host.ts), a frame of another
// site that the page embeds here, with its workers in a frame of a third site: site isolation gives
// each a renderer process of its own. A program that exhausts memory crashes the workers' process
// only: the page and the models in its runtime worker stay up, and so does the host with every
// session's status, log and placeholders. Should the host itself stop answering, the page fails its
// sessions with the reason and makes a fresh one for the next program.
import * as Comlink from 'comlink';
import type { SessionReport, Values } from '../contract/index.ts';
import { CallError, HOST_HELLO, type HostOutcome, type OrtFiles, type ProgramHostApi } from './messages.ts';
import type { ProgramHost } from './runner.ts';
import { ORT_BUNDLE, ORT_WASM } from '../runtime/engines/onnx/config.ts';
import { fetchPyodideFiles } from './python/pool.ts';
import type { PyodideFiles } from './python/messages.ts';
import { DEAD_AFTER_MS, FrameLink } from './frame-link.ts';

/** The page's side of the program host: what the runner asks of the page. */
export type PageSide = Omit<ProgramHost, 'ortFiles' | 'pyodideFiles'>;

/** Sessions remembered after their frame crashed (their status answers why). */
const KEEP_LOST = 64;

const CRASHED = `the program host stopped answering for ${DEAD_AFTER_MS / 1000} s (its process crashed or hung); ` +
  `every program in it was stopped`;

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
  private readonly link: FrameLink<ProgramHostApi>;

  constructor(url: string, page: ProgramHost, died: (frame: HostFrame, why: string) => void) {
    this.link = new FrameLink<ProgramHostApi>(url, {
      title: 'program host', hello: HOST_HELLO, silence: CRASHED,
      start: (remote) => remote.start(Comlink.proxy(page)),
      died: (why) => died(this, why),
    });
  }

  get dead(): string | undefined {
    return this.link.dead;
  }

  async call(kind: string, payload: Values): Promise<Values> {
    const outcome = await this.link.call((remote) => remote.call(kind, payload) as Promise<HostOutcome>);
    if ('error' in outcome) throw Object.assign(new CallError(outcome.error.code ?? 'model_failed', outcome.error.message), { name: outcome.error.name });
    return outcome.value;
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
  private pyodide: Promise<PyodideFiles> | undefined;

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
      query: (model, inputs, session) => this.page.query(model, inputs, session),
      models: () => this.page.models(),
      ended: (report) => this.ended(report),
      ortFiles: () => this.ortFiles(),
      pyodideFiles: () => this.pyodideFiles(),
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

  /** Pyodide's files for Python programs (fetched once; a copy for each program host, to hand over). */
  private async pyodideFiles(): Promise<PyodideFiles> {
    this.pyodide ??= fetchPyodideFiles(this.baseUrl);
    this.pyodide.catch(() => { this.pyodide = undefined; });
    const files = await this.pyodide;
    const wasm = files.wasm.slice(0);
    const stdlib = files.stdlib.slice(0);
    return Comlink.transfer({ ...files, wasm, stdlib }, [wasm, stdlib]);
  }
}
