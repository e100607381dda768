// The runtime WebSocket's sessions: which page runs each program, which client ran it (it hears
// EXECUTION_FINISHED), and what happens to them when their program ends or their page goes away.
// Sessions outlive the connection that started them.
//
// A client names a session by an id that no other client can guess (128 random bits): ids are the only
// thing between one client and another's placeholders, models and stop. The page knows a session by a
// number of its own (`pageId`), which clients never see.
import { randomBytes } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { Values } from '../../../web/contract/index.ts';
import { BridgeError } from '../../core/errors.ts';
import { TYPE } from './schemas.ts';

export interface Session {
  /** The client's name for it: 32 hex digits, random. */
  id: string;
  /** The page's name for it (`sessionId` in page calls and reports: web/contract/calls.ts). */
  pageId: number;
  /** The page running it ('' until the page has taken it). */
  page: string;
  /** The client that ran it: it gets EXECUTION_FINISHED. */
  client: WebSocket | undefined;
  runRequestId: unknown;
  /** The run reply went out; an end that comes before it waits, so the client sees them in order. */
  replied: boolean;
  heldPush: Values | undefined;
  /** The page's last report of it (when it ended). */
  final: Values | undefined;
  /** Why its page went away, if it did. */
  lost: string | undefined;
}

/** Sessions remembered (oldest forgotten first). */
const MAX_SESSIONS = 10_000;

const DESCRIPTION: Record<string, string> = {
  finished: 'execution finished: all placeholders are ready',
  failed: 'execution failed: see "error"',
  stopped: 'execution stopped',
};

export class Sessions {
  private readonly byId = new Map<string, Session>();
  private readonly byPageId = new Map<number, Session>();
  private nextPageId = 1;

  /** `send` writes one message to a client, if it is still connected. */
  constructor(private readonly send: (ws: WebSocket | undefined, body: Values) => void) {}

  /** A new session, run by `client`. */
  open(client: WebSocket, runRequestId: unknown): Session {
    const s: Session = {
      id: randomBytes(16).toString('hex'), pageId: this.nextPageId++, page: '', client, runRequestId, replied: false,
      heldPush: undefined, final: undefined, lost: undefined,
    };
    this.byId.set(s.id, s);
    this.byPageId.set(s.pageId, s);
    if (this.byId.size > MAX_SESSIONS) this.forget(this.byId.values().next().value!);
    return s;
  }

  /** The page refused to run it: it never existed. */
  forget(s: Session): void {
    this.byId.delete(s.id);
    this.byPageId.delete(s.pageId);
  }

  get(id: unknown): Session {
    const s = typeof id === 'string' ? this.byId.get(id) : undefined;
    if (!s) throw new BridgeError('not_found', `no session ${JSON.stringify(id)}: start one with "run"`);
    return s;
  }

  /** An error from the page about session `s`, naming it as its client knows it (the page says its own number). */
  inClientTerms(s: Session, err: unknown): unknown {
    if (err instanceof Error) err.message = err.message.replace(new RegExp(`\\bsession ${s.pageId}\\b`, 'g'), `session ${s.id}`);
    return err;
  }

  /** The run reply went out: an end that came first follows it now. */
  replied(s: Session): void {
    s.replied = true;
    if (s.heldPush) this.send(s.client, s.heldPush);
  }

  /** The client that ran these sessions left; they go on, and nobody hears their end. */
  clientGone(ws: WebSocket): void {
    for (const s of this.byId.values()) if (s.client === ws) s.client = undefined;
  }

  /** A page reported that a session's program ended. */
  ended(page: string, report: Values): void {
    const s = typeof report.sessionId === 'number' ? this.byPageId.get(report.sessionId) : undefined;
    if (!s || (s.page && s.page !== page)) return;
    s.page ||= page;
    s.final = { ...report, sessionId: s.id };
    this.pushFinished(s, s.final);
  }

  /** A page went away: its sessions' programs are gone, and those still running count as failed. */
  pageGone(page: string, why: string): void {
    for (const s of this.byId.values()) {
      if (s.page !== page || s.lost) continue;
      s.lost = why;
      if (!s.final) {
        s.final = { sessionId: s.id, status: 'failed', error: { name: 'Error', message: `the page running the program went away (${why})` } };
        this.pushFinished(s, s.final);
      }
    }
  }

  private pushFinished(s: Session, report: Values): void {
    const push = {
      action: 'run', ...(s.runRequestId !== undefined ? { id: s.runRequestId } : {}), type: TYPE.finished, sessionId: s.id,
      status: report.status, description: DESCRIPTION[report.status as string] ?? 'execution ended', ...(report.error ? { error: report.error } : {}),
    };
    if (s.replied) this.send(s.client, push);
    else s.heldPush = push;
  }
}
