// The OSC listener's addresses as OSCQuery describes them: every form its OSC_ADDRESSES
// (bridge/protocols/osc/addresses.ts) lists, each described by its type tags, and the replies it sends.
// Who gets which reply follows bridge/protocols/osc/index.ts: every registration of the space gets
// each output and failure; a sender's own errors, and its answers while its host has no registration
// there, go to its host's registrations in the space, else to its source port.
import type { ModelInfo, Port } from '../../../web/contract/index.ts';
import { OSC_ADDRESSES, type OscAddressSpec } from '../osc/index.ts';
import type { OscSignature } from './tree.ts';

/** The address space of one model: its own (`/models/<id>`) or the default model's (unprefixed). */
export interface AddressSpace {
  /** What its addresses start with: '' or '/models/<id>'. */
  prefix: string;
  /** The model it serves, in words: `"Echo" (echo)`, or `the default model ("Echo", echo)`. */
  who: string;
  /** The model's info, when the model is known. */
  info: ModelInfo | undefined;
  /** Where its numeric replies go: `/<model>/<output>/…` in the default space, `/models/<model>/<output>/…` in a model's. */
  numeric: string;
}

/** One address of a space, after the prefix, with its forms (the first its TYPE). */
export interface SpaceAddress {
  path: string;
  signatures: OscSignature[];
}

const portList = (ports: readonly Port[]) =>
  ports.length === 0 ? 'none' : ports.map((p) => `"${p.name}" (${p.type}${p.description ? `: ${p.description}` : ''})`).join('; ');
const inputsOf = (s: AddressSpace) => (s.info ? `; inputs: ${portList(s.info.inputs)}` : '');
const outputsOf = (s: AddressSpace) => (s.info ? `; outputs: ${portList(s.info.outputs)}` : '');

/** A reply meant for the sender alone (bridge/protocols/osc/index.ts, toSender). */
const toSender = (s: AddressSpace) => `as ${s.prefix}/error to the registrations from its host in this space, else to its source port`;

/** A connect or disconnect form: an optional port (i, or a whole f), then optionally s "numeric" [slots] or s "json". */
function connectForm(tags: string): { port: string; format: string } | undefined {
  const m = /^([if]?)(?:(s)([if]?))?$/.exec(tags);
  if (!m) return undefined;
  const [, port, s, slots] = m;
  return {
    port: port === 'i' ? 'the port given (i)' : port === 'f' ? 'the port given (a whole f, as Pd\'s [oscformat] sends numbers)'
      : 'the sender\'s source port and the reply port (--osc-reply-port, unless 0)',
    format: !s ? 'in the listener\'s default format (JSON unless --osc-numeric)'
      : !slots ? 's "json" for JSON, or s "numeric" for numbers'
        : `s "numeric" then the slot count (${slots}, 0 or more): numbers, every list of entries sent exactly that long (missing entries zeroed)`,
  };
}

function connect(s: AddressSpace, tags: string, full: boolean): string {
  const form = connectForm(tags);
  if (!form) return `Connect to ${s.who} (${tags})`;
  const head = `Register the sender's host for every output and failure of ${s.who}, at ${form.port}, ${form.format}`;
  if (!full) return head;
  return `${head}. Whoever caused them (any protocol, or the page), outputs go to each registered port as ${s.prefix}/data s <JSON>, ` +
    `or to a numeric client as numbers at ${s.numeric}/<output>/… (each listed in this namespace), failures as ${s.prefix}/error. A connect replaces ` +
    'the registrations of its host in this space that share a port with it; a registration expires after --osc-client-ttl seconds ' +
    `without a datagram from its host. An unknown model or a full space comes back as ${s.prefix}/error to the ports it would register; ` +
    `a bad argument ${toSender(s)}`;
}

function disconnect(s: AddressSpace, tags: string, full: boolean): string {
  const form = connectForm(tags);
  if (!form) return `Disconnect from ${s.who} (${tags})`;
  const head = `Remove the registrations of the sender's host in the space of ${s.who} that share a port with ${form.port}` +
    (tags.includes('s') ? '; the format after the port is read as a connect reads it, then ignored (a client may repeat its connect\'s arguments)' : '');
  return full ? `${head}. No reply; a bad argument comes back ${toSender(s)}` : head;
}

function query(s: AddressSpace, tags: string): string {
  const what = tags === 's' ? `Run ${s.who}: one string, the inputs as JSON (images as data URIs)${inputsOf(s)}`
    : tags === 'b' ? `Run ${s.who} on a JPEG or PNG image, a blob, as its first image input (the other inputs take their defaults)${inputsOf(s)}`
      : `Run ${s.who} (${tags})`;
  return `${what}. The output goes to every client registered in this space (${s.prefix}/data, or numbers to a numeric client), ` +
    `a failure as ${s.prefix}/error; a sender whose host has no registration here gets its own query's output or failure at its ` +
    `source port instead (JSON unless --osc-numeric). Bad arguments, JSON that does not parse or an unknown model come back ${toSender(s)}. ` +
    'While the model is busy only the sender\'s newest query waits; a dropped one gets no reply';
}

function info(s: AddressSpace, tags: string, full: boolean): string {
  const to = tags === '' ? 'the sender\'s source port' : tags === 'i' ? 'the port given (i)' : tags === 'f' ? 'the port given (a whole f)' : `(${tags})`;
  const head = `Ask for the inputs and outputs of ${s.who}: the reply ${s.prefix}/info s goes to ${to} at the sender's address, registered or not`;
  return full ? `${head}. An unknown model comes back as ${s.prefix}/error there; a bad port ${toSender(s)}` : head;
}

function describeForm(a: OscAddressSpec, s: AddressSpace, tags: string, full: boolean): string {
  switch (a.action) {
    case 'connect': return connect(s, tags, full);
    case 'disconnect': return disconnect(s, tags, full);
    case 'query': return query(s, tags);
    case 'info': return info(s, tags, full);
    // A form or action the listener gains before this file does: still listed, in the listener's words.
    default: return `${a.path} ${tags} (${s.who}): ${a.description}`;
  }
}

/** The replies of a space: `<prefix>/data`, `<prefix>/error`, and `<prefix>/info`'s reply (an overload of the request). */
function replies(s: AddressSpace): { data: OscSignature; error: OscSignature; info: OscSignature } {
  return {
    data: {
      typeTags: 's', access: 1,
      description: `Each output of ${s.who}, whoever caused it, as JSON (images as data URIs)${outputsOf(s)}: to every client ` +
        'registered in this space for JSON (the default, or s "json"), at each of its ports; and at its source port to a sender ' +
        'of /query whose host has no registration here. Numeric clients get the numeric addresses instead',
    },
    error: {
      typeTags: 's', access: 1,
      description: `{"error": "..."}: each failed query of ${s.who}, whoever sent it, to every client registered in this space (numeric ` +
        `ones too); a sender's own errors (bad arguments, JSON that does not parse, an unknown model${s.prefix === '' ? ' or address' : ''}) ` +
        'to the registrations from its host here, else its source port; the failure of a query from a host with no registration here ' +
        'to its source port',
    },
    info: { typeTags: 's', access: 1, description: 'The reply: {"inputs": [...], "outputs": [...]} as JSON' },
  };
}

/**
 * Every address of one space: each of the OSC listener's, with every form it takes (the first one with
 * arguments is its TYPE, the others its OVERLOADS, in the listener's order), then the replies.
 */
export function spaceAddresses(s: AddressSpace): SpaceAddress[] {
  const reply = replies(s);
  const out = OSC_ADDRESSES.map((a) => {
    const first = a.forms.find((f) => f !== '') ?? a.forms[0]!;
    const forms = [first, ...a.forms.filter((f) => f !== first)];
    const signatures: OscSignature[] = forms.map((tags) => ({ typeTags: tags, access: 2, description: describeForm(a, s, tags, tags === first) }));
    if (a.action === 'info') signatures.push(reply.info);
    return { path: a.path, signatures };
  });
  return [...out, { path: '/data', signatures: [reply.data] }, { path: '/error', signatures: [reply.error] }];
}

/** The containers on the way to an address, described (a path not listed here gets no DESCRIPTION). */
export const CONTAINERS: Record<string, (s: AddressSpace) => string> = {
  '/server': (s) => `Registering and unregistering the clients of ${s.who}`,
};
