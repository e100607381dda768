// Messages on the relay, both ways (frame.ts says how they are framed; schema.ts how the bridge checks
// what a page sends).
import type { Backend, ModelAnnouncement, ModelState, Values } from './models.ts';
import type { ErrorCode } from './errors.ts';
import type { CallPayload, PageCall, PageEventKind, PageEvents } from './calls.ts';
import type { MediaLimits } from './media-limits.ts';

/** How a page answers a request it could not serve. */
export interface ErrorAnswer { code: ErrorCode; message: string }

/** Page → bridge. */
export type PageMessage =
  | { type: 'models'; models: ModelAnnouncement[] }
  /** The answer to query or call `id`: outputs (a call's result) or an error. `annotated`: the query's image
   *  with its outputs drawn on it (JPEG), when the query asked for it. */
  | { type: 'result'; id: number; outputs?: Values; annotated?: Uint8Array; error?: ErrorAnswer }
  /** An output the page made on its own (its UI, a webcam): the bridge publishes it like any other. */
  | { type: 'output'; model: string; outputs: Values; source?: string }
  /** Something the page reports on its own (see PageEvents). */
  | PageEventMessage
  /**
   * A query the page asks the bridge to run for one of its runtime programs (`models.query()`): the
   * bridge runs it like any client's, under --max-queue and --max-client-queue with `session` as the
   * client, and answers with an `answer` of the same id (the page's own numbering).
   */
  | { type: 'query'; id: number; session: number; model: string; inputs: Values };

export type PageEventMessage = { [K in PageEventKind]: { type: 'event'; kind: K; payload: PageEvents[K] } }[PageEventKind];

/** One request the bridge saw, for the page's activity log. */
export interface ActivityEntry { at: number; source: string; model: string; ms?: number; error?: string }

/** One page the bridge has (`/health`'s `pageList`, the pages' Network panel). */
export interface PageSummary {
  /** The bridge's name for it (`page-3`): a page that reconnects gets a new one. */
  id: string;
  /** The headless page the bridge started (`headless 2`), when it is one. */
  label?: string;
  /** The IP address its relay connection comes from: loopback, or another machine's. */
  address?: string;
  models: { id: string; state: ModelState; backend: Backend | null }[];
  /** Queries and calls it holds now (sent, not yet answered). */
  inFlight: number;
  /** Of those queries, the ones waiting behind the one it runs (a page runs one inference at a time). */
  queued: number;
}

/** What the bridge tells a page when it connects. */
export interface Hello {
  /** This page's id among the bridge's pages (PageSummary); absent from an older bridge. */
  page?: string;
  /** Every listener's address, by name (`http`, `socketio`, `osc`, …), for the page's Network panel. */
  listeners: Record<string, string>;
  /** The model the single-model addresses serve; null until one is known. */
  defaultModel: string | null;
  /** The largest relay message the bridge takes: a page sends nothing bigger. */
  maxFrameBytes: number;
  /** What one query may cost to decode (--max-pixels, --max-audio-seconds): the page holds its own
   *  decoding to the same numbers. Absent from an older bridge: the page keeps its defaults. */
  limits?: MediaLimits;
}

/** A page's answer to a query: its outputs, and with `annotate` the input image with them drawn on it (JPEG). */
export interface QueryAnswer {
  outputs: Values;
  annotated?: Uint8Array;
}

export interface QueryOptions {
  /** Also return the input image with the outputs drawn on it (`annotated`, JPEG). */
  annotate?: boolean;
  /**
   * The frames of one live client (a socket, an OSC sender, a LabGraph session, an embed stream) share
   * this key: a model may carry what it saw in one frame to the next (pose tracking) under it, and never
   * across keys. Absent for a query that stands alone.
   */
  track?: string;
}

/** Bridge → page. */
export type BridgeMessage =
  | ({ type: 'hello' } & Hello)
  /**
   * Sent before the hello to a page that opened the relay with a one-time pairing code (`?code=`): the
   * session secret it presents instead (`?secret=`) from then on, reconnects and reloads included. The
   * code is spent: a second use is refused (bridge/relay/pairing.ts).
   */
  | { type: 'paired'; secret: string }
  /** `dropped`: live frames each model dropped so far for newer ones from the same client (latest wins);
   *  `pages`: every page the bridge has now (absent from an older bridge). */
  | { type: 'activity'; entries: ActivityEntry[]; clients: Record<string, number>; dropped: Record<string, number>; pages?: PageSummary[] }
  | ({ type: 'query'; id: number; model: string; inputs: Values } & QueryOptions)
  /** A page call (see calls.ts); answered with a `result` of the same id, like a query. */
  | CallMessage
  /** The bridge refused a message of the page's (it did not decode, or did not match its schema). */
  | { type: 'rejected'; why: string }
  /**
   * The bridge gave up on query `id` (its timeout fired, or its client went away): the page drops it if it
   * has not started it, or at its next step, and answers it with a `dropped` error, which the bridge
   * counts (nobody waits for it any more).
   */
  | { type: 'cancel'; id: number; why: string }
  /** The answer to the page's own `query` of that id: the outputs or an error. */
  | { type: 'answer'; id: number; outputs?: Values; error?: ErrorAnswer };

export type CallMessage = { [K in PageCall]: { type: 'call'; id: number; kind: K; payload: CallPayload<K> } }[PageCall];
