// The OSC namespace as OSCQuery describes it: one JSON node per OSC address the OSC listener
// (bridge/protocols/osc/index.ts) takes or sends, built afresh from the core's models on each request, so it
// follows the models pages announce and withdraw. The addresses come from one small table
// (OSC_ADDRESSES): the same for the default model (unprefixed) and for each model under /models/<id>.
import { isIP } from 'node:net';
import type { ModelInfo, Port } from '../../../web/contract/index.ts';
import type { ModelView } from '../../core/core.ts';

/** OSCQuery's ACCESS: 0 no value (a container), 1 the bridge sends it, 2 a client sends it, 3 both. */
export type OscAccess = 0 | 1 | 2 | 3;

/** One form of an address: its OSC type tags (the arguments), who sends it, and what it does. */
export interface OscSignature {
  typeTags: string;
  access: OscAccess;
  description: string;
}

/** A node of the namespace in OSCQuery's JSON. */
export interface OscQueryNode {
  FULL_PATH: string;
  DESCRIPTION?: string;
  ACCESS: OscAccess;
  TYPE?: string;
  /** The address's other forms (OSCQuery's OVERLOADS: other type tag strings it takes or sends). */
  OVERLOADS?: { TYPE: string; ACCESS: OscAccess; DESCRIPTION: string }[];
  CONTENTS?: Record<string, OscQueryNode>;
}

/** The address space of one model: its own (`/models/<id>`) or the default model's (unprefixed). */
export interface AddressSpace {
  /** What its addresses start with: '' or '/models/<id>'. */
  prefix: string;
  /** The model it serves, in words: `"Echo" (echo)`, or `the default model ("Echo", echo)`. */
  who: string;
  /** The model's info, when the model is known. */
  info: ModelInfo | undefined;
}

/** One OSC address of every address space; `signatures`' first form is its TYPE, the others its OVERLOADS. */
export interface AddressSpec {
  /** After the space's prefix. */
  path: string;
  signatures(space: AddressSpace): OscSignature[];
}

/**
 * An address of the OSC listener's numeric replies (one value or a few per message, e.g.
 * `/face-detection/faces/count i`), as the OSC listener lists them for a model: absolute, sent by the bridge.
 */
export interface NumericAddress {
  address: string;
  typeTags: string;
  description: string;
}
export type DescribeNumeric = (model: string, ports: ModelInfo) => NumericAddress[];

const portList = (ports: readonly Port[]) =>
  ports.length === 0 ? 'none' : ports.map((p) => `"${p.name}" (${p.type}${p.description ? `: ${p.description}` : ''})`).join('; ');
const inputsOf = (s: AddressSpace) => (s.info ? `; inputs: ${portList(s.info.inputs)}` : '');
const outputsOf = (s: AddressSpace) => (s.info ? `; outputs: ${portList(s.info.outputs)}` : '');

/** The OSC listener's addresses (docs/protocols.md, "OSC (UDP)"), the same in every address space. */
export const OSC_ADDRESSES: readonly AddressSpec[] = [
  {
    path: '/server/connect',
    signatures: (s) => [
      { typeTags: 'i', access: 2, description: `Connect: every output and failure of ${s.who} goes to this port at the sender's address, as ${s.prefix}/data and ${s.prefix}/error` },
      { typeTags: '', access: 2, description: `Connect the sender's own address and port to ${s.who}` },
    ],
  },
  {
    path: '/server/disconnect',
    signatures: (s) => [
      { typeTags: 'i', access: 2, description: `Stop sending the outputs and failures of ${s.who} to this port` },
      { typeTags: '', access: 2, description: `Stop sending them to the sender's own port` },
    ],
  },
  {
    path: '/query',
    signatures: (s) => [{
      typeTags: 's', access: 2,
      description: `Run ${s.who}: one string, the inputs as JSON (images as data URIs)${inputsOf(s)}. The output goes to every ` +
        `connected client as ${s.prefix}/data, a failure as ${s.prefix}/error; a sender that is not connected gets its own ` +
        `query's reply. While the model is busy only the sender's newest query waits`,
    }],
  },
  {
    path: '/info',
    signatures: (s) => [
      { typeTags: 'i', access: 2, description: `Ask for the inputs and outputs of ${s.who}: the reply ${s.prefix}/info goes to this port` },
      { typeTags: '', access: 2, description: `Ask for them: the reply goes to the sender` },
      { typeTags: 's', access: 1, description: `The reply: {"inputs": [...], "outputs": [...]} as JSON` },
    ],
  },
  {
    path: '/data',
    signatures: (s) => [{
      typeTags: 's', access: 1,
      description: `Each output of ${s.who}, whoever caused it, as JSON (images as data URIs)${outputsOf(s)}; to connected clients`,
    }],
  },
  {
    path: '/error',
    signatures: (s) => [{
      typeTags: 's', access: 1,
      description: `{"error": "..."} for each failed query of ${s.who}, to connected clients, and to a sender for its own bad message`,
    }],
  },
];

/** The containers on the way to an address, described (a path not listed here gets no DESCRIPTION). */
const CONTAINERS: Record<string, (s: AddressSpace) => string> = {
  '/server': (s) => `Connecting and disconnecting the clients of ${s.who}`,
};

/**
 * Whether a model id can be one part of an OSC address: the OSC listener reads `/models/<id>/…` up to
 * the next slash, so a model whose id has one cannot be addressed by its id.
 */
export const addressableId = (id: string): boolean => id !== '' && !id.includes('/');

const container = (path: string, description?: string): OscQueryNode =>
  ({ FULL_PATH: path, ...(description !== undefined && { DESCRIPTION: description }), ACCESS: 0, CONTENTS: {} });

/** The node at `path` below `root`, containers made on the way (an existing method gains CONTENTS). */
function ensure(root: OscQueryNode, path: string, describe?: (path: string) => string | undefined): OscQueryNode {
  let node = root;
  let at = '';
  for (const part of path.split('/').filter(Boolean)) {
    at += `/${part}`;
    node.CONTENTS ??= {};
    node = node.CONTENTS[part] ??= container(at, describe?.(at));
  }
  return node;
}

function method(path: string, [first, ...others]: OscSignature[]): Omit<OscQueryNode, 'CONTENTS'> {
  return {
    FULL_PATH: path, DESCRIPTION: first!.description, ACCESS: first!.access, TYPE: first!.typeTags,
    ...(others.length > 0 && { OVERLOADS: others.map((o) => ({ TYPE: o.typeTags, ACCESS: o.access, DESCRIPTION: o.description })) }),
  };
}

/** Adds a node for `path`, keeping the CONTENTS of a container already there. */
function place(root: OscQueryNode, path: string, node: Omit<OscQueryNode, 'CONTENTS'>, describe?: (path: string) => string | undefined) {
  const target = ensure(root, path, describe);
  const contents = target.CONTENTS && Object.keys(target.CONTENTS).length > 0 ? target.CONTENTS : undefined;
  for (const key of Object.keys(target) as (keyof OscQueryNode)[]) delete target[key];
  Object.assign(target, node, contents && { CONTENTS: contents });
}

function addSpace(root: OscQueryNode, space: AddressSpace) {
  const describe = (path: string) => CONTAINERS[path.slice(space.prefix.length)]?.(space);
  for (const spec of OSC_ADDRESSES) {
    const path = `${space.prefix}${spec.path}`;
    place(root, path, method(path, spec.signatures(space)), describe);
  }
}

const stateOf = (m: ModelView) => [m.state, m.backend].filter(Boolean).join(', ');

export interface NamespaceOptions {
  /** HOOK (numeric replies): the OSC listener's numeric reply addresses of each model, when it has them. */
  describeNumeric?: DescribeNumeric;
}

/**
 * The whole namespace: the default model's addresses at the root, each model's under `/models/<id>`
 * (models: the core's, in its order; defaultModel: the core's default model id, if any).
 */
export function buildNamespace(models: readonly ModelView[], defaultModel: string | undefined, options: NamespaceOptions = {}): OscQueryNode {
  const served = models.find((m) => m.id === defaultModel);
  const root = container('/',
    'pagebridge: the models of a web page over OSC, as Runway\'s OSC server. The unprefixed addresses serve the default model ' +
    `(${defaultModel ?? 'none yet'}); /models/<id>/ serves each model; every message carries JSON as one string`);
  addSpace(root, {
    prefix: '',
    who: defaultModel === undefined ? 'the default model (none is loaded yet)' : `the default model ("${served?.title ?? defaultModel}", ${defaultModel})`,
    info: served?.info,
  });
  ensure(root, '/models', () => 'One address space per model, by id');
  for (const m of models) {
    if (!addressableId(m.id)) continue;
    const prefix = `/models/${m.id}`;
    ensure(root, prefix, () => `${m.title} (${stateOf(m)})${m.description ? `: ${m.description}` : ''}`);
    addSpace(root, { prefix, who: `"${m.title}" (${m.id})`, info: m.info });
  }
  // HOOK (numeric replies): the numeric reply mode's addresses, once the OSC listener lists them.
  if (options.describeNumeric) {
    for (const m of models) {
      for (const n of options.describeNumeric(m.id, m.info)) {
        // Never in place of an address the table gave: those are what clients send.
        if (!n.address.startsWith('/') || findNode(root, n.address)?.TYPE !== undefined) continue;
        place(root, n.address, method(n.address, [{ typeTags: n.typeTags, access: 1, description: n.description }]));
      }
    }
  }
  return root;
}

/** The node at an OSC path ('/', '/models/echo', '/models/echo/query'), or undefined. */
export function findNode(root: OscQueryNode, path: string): OscQueryNode | undefined {
  if (path === '/') return root;
  let node: OscQueryNode | undefined = root;
  for (const part of path.slice(1).split('/')) {
    node = node.CONTENTS && Object.hasOwn(node.CONTENTS, part) ? node.CONTENTS[part] : undefined;
    if (!node) return undefined;
  }
  return node;
}

/** The attributes a node may have, each answered alone by `GET /path?ATTRIBUTE`. */
export const NODE_ATTRIBUTES = ['FULL_PATH', 'CONTENTS', 'TYPE', 'ACCESS', 'DESCRIPTION', 'OVERLOADS'] as const;
export type NodeAttribute = (typeof NODE_ATTRIBUTES)[number];

/** Attributes of the OSCQuery proposal that the bridge does not give (answered 204, as the proposal says). */
export const UNSUPPORTED_ATTRIBUTES = ['VALUE', 'RANGE', 'TAGS', 'EXTENDED_TYPE', 'UNIT', 'CRITICAL', 'CLIPMODE', 'HTML'] as const;

/**
 * HOST_INFO's EXTENSIONS: the optional attributes the namespace carries, and the ones it does not (no
 * values, ranges or units: the bridge keeps none; no WebSocket, so no LISTEN or PATH_* notices; a client
 * that wants to see models come and go asks for the namespace again).
 */
export const EXTENSIONS: Readonly<Record<string, boolean>> = {
  ACCESS: true, DESCRIPTION: true, OVERLOADS: true,
  VALUE: false, RANGE: false, TAGS: false, EXTENDED_TYPE: false, UNIT: false, CRITICAL: false, CLIPMODE: false, HTML: false,
  LISTEN: false, PATH_CHANGED: false, PATH_RENAMED: false, PATH_ADDED: false, PATH_REMOVED: false,
};

export interface HostInfo {
  NAME: string;
  EXTENSIONS: Readonly<Record<string, boolean>>;
  OSC_IP?: string;
  OSC_PORT: number;
  OSC_TRANSPORT: 'UDP';
}

/**
 * HOST_INFO for the OSC listener at `oscUrl` (its entry in the listener table, `udp://127.0.0.1:57100`).
 * OSC_IP only where --host names one address: for a wildcard, the proposal's default (the address the
 * client reached the OSCQuery server at) is the right one, as both listen on the same --host.
 */
export function hostInfo(name: string, oscUrl: string, host: string): HostInfo {
  const port = Number(new URL(oscUrl).port);
  const wildcard = host === '0.0.0.0' || host === '::';
  return { NAME: name, EXTENSIONS, ...(!wildcard && isIP(host) !== 0 && { OSC_IP: host }), OSC_PORT: port, OSC_TRANSPORT: 'UDP' };
}
