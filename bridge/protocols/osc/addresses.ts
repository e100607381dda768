// The OSC addresses the listener serves (Runway's, and the same under `/models/<id>/`) and how their
// arguments read. Arguments come with their OSC type tags (the osc package's `metadata: true`), so that
// a float port (Pd's [oscformat] sends `f 9000`) and a blob (`b`, an image) read as what they are, and
// every argument error names type tags, as an OSC tool shows them.
import type { TypedArgument } from 'osc';

export type OscAction = 'query' | 'info' | 'connect' | 'disconnect';

export interface OscTarget {
  /** The model addressed, or undefined for the default model. */
  model: string | undefined;
  /** What this model's replies start with: '' or '/models/<id>'. */
  prefix: string;
  action: OscAction;
}

/** One address (under `/` and under `/models/<id>/`): what it takes and what it does. */
export interface OscAddressSpec {
  path: string;
  action: OscAction;
  /** The type-tag strings it takes ('' for no arguments); `S` is taken as `s`, `d` as `f`. */
  forms: readonly string[];
  description: string;
}

const CONNECT_TAGS = ['', 'i', 'f', 's', 'si', 'sf', 'is', 'fs', 'isi', 'isf', 'fsi', 'fsf'];

/** The addresses the listener serves, each also under `/models/<id>/` (its replies then carry that prefix). */
export const OSC_ADDRESSES: readonly OscAddressSpec[] = [
  {
    path: '/server/connect', action: 'connect', forms: CONNECT_TAGS,
    description: 'registers the sender for every /data and /error of the model: at the port given (i or a whole f), else at the source port ' +
      'and the reply port (--osc-reply-port); then optionally s "numeric" (with a slot count) or s "json"',
  },
  {
    path: '/server/disconnect', action: 'disconnect', forms: CONNECT_TAGS,
    description: 'removes the registrations of the sender\'s host that share a port with what the same connect would register',
  },
  {
    path: '/query', action: 'query', forms: ['s', 'b'],
    description: 'runs the model: s the input JSON, or b a JPEG or PNG image as its first image input',
  },
  {
    path: '/info', action: 'info', forms: ['', 'i', 'f'],
    description: 'answers /info s <the model\'s inputs and outputs as JSON>, at the port given, else at the source port',
  },
];

const ACTIONS = new Map<string, OscAction>(OSC_ADDRESSES.map((a) => [a.path, a.action]));

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

/** One argument as the osc package reads it with `metadata: true`; an OSC array (`[…]`) is a list of them. */
export type OscArg = TypedArgument | OscArg[];

/** The arguments' type tags as an OSC tool shows them: `i f`, `s b`, `[i i]`; `nothing` for none. */
export function typeTags(args: readonly OscArg[]): string {
  if (!args.length) return 'nothing';
  return args.map((a) => (Array.isArray(a) ? `[${a.length ? typeTags(a) : ''}]` : a.type)).join(' ');
}

/** The arguments with their values, short: `i 70000`, `s "57200"`, `b (120 bytes)`; `nothing` for none. */
export function describeArgs(args: readonly OscArg[]): string {
  if (!args.length) return 'nothing';
  return args.map((a) => {
    if (Array.isArray(a)) return `[${a.length ? describeArgs(a) : ''}]`;
    switch (a.type) {
      case 'i': case 'f': case 'd': return `${a.type} ${a.value}`;
      case 's': case 'S': {
        const text = String(a.value);
        return `${a.type} ${JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text)}`;
      }
      case 'b': return `b (${(a.value as Uint8Array).byteLength} bytes)`;
      default: return a.type;
    }
  }).join(' ');
}

const isString = (a: OscArg | undefined): a is TypedArgument & { value: string } => !!a && !Array.isArray(a) && (a.type === 's' || a.type === 'S');
const isNumber = (a: OscArg | undefined): a is TypedArgument & { value: number } =>
  !!a && !Array.isArray(a) && (a.type === 'i' || a.type === 'f' || a.type === 'd') && typeof a.value === 'number';
/** An int, or a float with a whole value (Pd's [oscformat] sends every number as `f` unless told otherwise). */
const wholeNumber = (a: OscArg | undefined): number | undefined => (isNumber(a) && Number.isInteger(a.value) ? a.value : undefined);

const PORT_FORM = 'i or f, a whole number 1-65535';

function portOf(arg: OscArg | undefined): number | undefined {
  const n = wholeNumber(arg);
  return n !== undefined && n > 0 && n < 65536 ? n : undefined;
}

/**
 * The port given as the first argument, for tools that send from one socket and listen on another (oscsend
 * and oscdump, Pd's [netsend] and [netreceive]); undefined when none is given. Arguments after it are not
 * its concern.
 */
export function replyPort(args: readonly OscArg[]): number | undefined | { error: string } {
  const given = args[0];
  if (given === undefined) return undefined;
  const port = portOf(given);
  if (port !== undefined) return port;
  return { error: `the optional argument is the port to reply to, ${PORT_FORM} (got ${describeArgs([given])})` };
}

/** How a client wants outputs: Runway's one JSON string, or numbers (bridge/protocols/osc/replies.ts). */
export type ReplyFormat = 'json' | 'numeric';

export interface ConnectArgs {
  /** The port given, if any. */
  port?: number;
  /** The format asked for, if any (else the listener's default, --osc-numeric). */
  format?: ReplyFormat;
  /** For numeric: how many entries every list of entries sends (missing ones zeroed). */
  slots?: number;
}

const CONNECT_FORMS = `an optional port to reply to (${PORT_FORM}), then optionally s "numeric" (numbers instead of JSON; ` +
  'then optionally the slot count, i or f, a whole number 0 or more) or s "json"';

/**
 * `/server/connect [port] [s numeric [slots] | s json]`. The same arguments are taken by
 * `/server/disconnect`, which reads only the port: a client may send its connect's arguments again.
 */
export function connectArgs(address: string, args: readonly OscArg[]): ConnectArgs | { error: string } {
  const out: ConnectArgs = {};
  let rest = args;
  if (args.length && !isString(args[0])) {
    const port = replyPort(args);
    if (typeof port !== 'number') return { error: `${address}: ${(port as { error: string }).error}` };
    out.port = port;
    rest = args.slice(1);
  }
  const wrong = () => ({ error: `${address} takes ${CONNECT_FORMS}; got ${describeArgs(args)}` });
  if (!rest.length) return out;
  const [format, slots, ...more] = rest;
  if (!isString(format) || (format.value !== 'numeric' && format.value !== 'json') || more.length) return wrong();
  out.format = format.value;
  if (slots !== undefined) {
    const n = wholeNumber(slots);
    if (format.value !== 'numeric' || n === undefined || n < 0) return wrong();
    out.slots = n;
  }
  return out;
}

/** What a `/query` carries: the input JSON (text), or an image for the model's first image input. */
export type QueryInput = { json: string } | { image: Uint8Array };

/** `/query s <input JSON>` or `/query b <JPEG or PNG bytes>`. */
export function queryInput(address: string, args: readonly OscArg[]): QueryInput | { error: string } {
  const [arg] = args;
  if (args.length === 1 && isString(arg)) return { json: arg.value };
  if (args.length === 1 && arg && !Array.isArray(arg) && arg.type === 'b' && arg.value instanceof Uint8Array) {
    // A copy: the blob is a view into the datagram.
    return { image: new Uint8Array(arg.value) };
  }
  return { error: `${address} takes one argument: s (the input JSON) or b (a JPEG or PNG image); got ${typeTags(args)}` };
}
