// The OSC addresses the listener serves (Runway's, and the same under `/models/<id>/`) and how their
// arguments read.
import type { Argument } from 'osc';

export type OscAction = 'query' | 'info' | 'connect' | 'disconnect';

export interface OscTarget {
  /** The model addressed, or undefined for the default model. */
  model: string | undefined;
  /** What this model's replies start with: '' or '/models/<id>'. */
  prefix: string;
  action: OscAction;
}

const ACTIONS = new Map<string, OscAction>([
  ['/query', 'query'], ['/info', 'info'], ['/server/connect', 'connect'], ['/server/disconnect', 'disconnect'],
]);

/** What the addresses of a model start with: '' for the default model, else '/models/<id>'. */
export const prefixOf = (model: string | undefined) => (model === undefined ? '' : `/models/${model}`);

/** `/query` → the default model's query; `/models/<id>/query` → model id's; undefined for anything else. */
export function parseAddress(address: string): OscTarget | undefined {
  const m = /^\/models\/([^/]+)(\/.*)$/.exec(address);
  const model = m?.[1];
  const action = ACTIONS.get(m ? m[2]! : address);
  if (!action) return undefined;
  return { model, prefix: prefixOf(model), action };
}

/**
 * Where replies go: the datagram's source port, or the port given as an optional int argument (for
 * tools that send from one socket and listen on another, such as oscsend and oscdump).
 */
export function replyPort(args: readonly Argument[], sourcePort: number): number | { error: string } {
  const given = args[0];
  if (given === undefined) return sourcePort;
  if (typeof given === 'number' && Number.isInteger(given) && given > 0 && given < 65536) return given;
  return { error: `the optional argument is the port to reply to, an int 1-65535 (got ${JSON.stringify(given)})` };
}
