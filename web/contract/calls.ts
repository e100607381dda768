// Page calls: what the bridge asks a page to do besides running a model (a `call` message, answered
// by a `result` of the same id). Today these are the runtime WebSocket's programs; each call's payload
// and result are typed here, so that neither side casts a bare string. (Type aliases, not interfaces:
// they are Values, which interfaces, having no index signature, are not.)
import type { Values } from './models.ts';

/** One file of a program. */
export type ProgramFile = {
  filename: string;
  content: string;
};

/** The language a program is written in (the runtime WebSocket's `javascript` or `python`). */
export type ProgramLanguage = 'javascript' | 'python';

/** A file of --data-dir, as a Python program reads it (under /data). */
export type ProgramDataFile = {
  path: string;
  bytes: Uint8Array;
};

/** How a page limits the programs it runs (--max-programs, --program-timeout). */
export type RunLimits = {
  /** Programs that may run at once on this page. */
  maxPrograms: number;
  /** Wall-clock limit of one program, in ms. */
  timeoutMs: number;
};

/** An error of a program, as status reports it. */
export type ProgramErrorReport = {
  name: string;
  message: string;
  /** Where it was thrown (or the syntax error is): a file of the program, 1-based line. */
  file?: string;
  line?: number;
  column?: number;
  /** "file:line", for showing. */
  location?: string;
  /** The stack in the program's file names, frames outside the program left out. */
  stack?: string;
  /** A syntax error: the runner finds its line by parsing the file on its own. */
  syntax?: boolean;
};

export type SessionState = 'running' | 'finished' | 'failed' | 'stopped';

/** What `program.status` answers, and what the page reports (`program.ended`) when a program ends. */
export type SessionReport = {
  sessionId: number;
  status: SessionState;
  startedAt: string;
  endedAt: string | null;
  log: string[];
  /** Log lines dropped from the front (only the last ones are kept). */
  logDropped: number;
  error?: ProgramErrorReport;
  placeholders: string[];
  models: string[];
};

type SessionRef = { sessionId: number };

/** Every page call: its name → what it is sent and what it answers. */
export interface PageCalls {
  'program.run': {
    payload: SessionRef & { files: ProgramFile[]; mainfile: string; limits: RunLimits; language?: ProgramLanguage; data?: ProgramDataFile[] };
    result: { sessionId: number; status: 'running' } };
  'program.status': { payload: SessionRef; result: SessionReport };
  'program.placeholder': { payload: SessionRef & { name: string }; result: { value: unknown } };
  /** The shape and statistics of a placeholder's value (web/programs/stats.ts). */
  'program.stats': { payload: SessionRef & { name: string }; result: Values };
  'program.predict': { payload: SessionRef & { name: string; data: unknown }; result: { output: unknown } };
  'program.stop': { payload: SessionRef; result: SessionReport };
}

export type PageCall = keyof PageCalls;
export type CallPayload<K extends PageCall> = PageCalls[K]['payload'];
export type CallResult<K extends PageCall> = PageCalls[K]['result'];

export const PAGE_CALLS: readonly PageCall[] = ['program.run', 'program.status', 'program.placeholder', 'program.stats', 'program.predict', 'program.stop'];

export function isPageCall(kind: unknown): kind is PageCall {
  return (PAGE_CALLS as readonly unknown[]).includes(kind);
}

/** Page events: what a page reports on its own, by kind. */
export interface PageEvents {
  'program.ended': SessionReport;
}

export type PageEventKind = keyof PageEvents;

/**
 * A program file's name as both sides compare them: slashes forward, no empty or "." parts, ".."
 * taken back. The bridge checks a run's mainfile with it; the page resolves imports with it.
 */
export function normalizeFilename(filename: string): string {
  const parts: string[] = [];
  for (const part of filename.replace(/\\/g, '/').split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return parts.join('/');
}
