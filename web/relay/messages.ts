// Messages on the relay (see frame.ts for how they are framed).
import type { ErrorCode, ModelAnnouncement, Values } from '../runtime/types.ts';

/** Page → bridge. */
export type PageMessage =
  | { type: 'models'; models: ModelAnnouncement[] }
  | { type: 'result'; id: number; outputs?: Values; error?: { code: ErrorCode; message: string } }
  | { type: 'output'; model: string; outputs: Values; source?: string }
  /** Something the page reports on its own, e.g. `program.ended` (see bridge core `pageEvent`). */
  | { type: 'event'; kind: string; payload: Values };

/** One request the bridge saw, for the page's activity log. */
export interface ActivityEntry { at: number; source: string; model: string; ms?: number; error?: string }

/** Bridge → page. */
export type BridgeMessage =
  | { type: 'hello'; [key: string]: unknown }
  /** `dropped`: live frames each model dropped so far for newer ones from the same client (latest wins). */
  | { type: 'activity'; entries: ActivityEntry[]; clients: Record<string, number>; dropped?: Record<string, number> }
  | { type: 'query'; id: number; model: string; inputs: Values; annotate?: boolean }
  /** A non-query request (`program.run`, …); answered with a `result` of the same id, like a query. */
  | { type: 'call'; id: number; kind: string; payload: Values };
