// The OSC namespace as OSCQuery describes it: one JSON node per OSC address the OSC listener
// (bridge/protocols/osc/index.ts) takes or sends, built afresh from the core's models on each request, so it
// follows the models pages announce and withdraw. The listener's addresses, every form of each, come from
// its own table (addresses.ts here reads OSC_ADDRESSES), the same for the default model (unprefixed) and
// for each model under /models/<id>; each model's numeric replies from its lister (numeric.ts).
import { isIP } from 'node:net';
import type { ModelView } from '../../core/core.ts';
import { CONTAINERS, spaceAddresses, type AddressSpace } from './addresses.ts';
import { addNumeric } from './numeric.ts';
import { container, ensure, method, place, type OscQueryNode } from './tree.ts';

export { findNode, type OscAccess, type OscQueryNode, type OscSignature } from './tree.ts';

/**
 * Whether a model id can be one part of an OSC address: the OSC listener reads `/models/<id>/…` up to
 * the next slash, so a model whose id has one cannot be addressed by its id.
 */
export const addressableId = (id: string): boolean => id !== '' && !id.includes('/');

/** Adds a space's addresses; returns the names they take at its top (numeric replies never go there). */
function addSpace(root: OscQueryNode, space: AddressSpace): Set<string> {
  const describe = (path: string) => CONTAINERS[path.slice(space.prefix.length)]?.(space);
  for (const address of spaceAddresses(space)) {
    const path = `${space.prefix}${address.path}`;
    place(root, path, method(path, address.signatures), describe);
  }
  return new Set(Object.keys(ensure(root, space.prefix).CONTENTS ?? {}));
}

const stateOf = (m: ModelView) => [m.state, m.backend].filter(Boolean).join(', ');

/**
 * The whole namespace: the default model's addresses at the root, each model's under `/models/<id>`
 * (models: the core's, in its order; defaultModel: the core's default model id, if any), each space's
 * numeric replies after its addresses.
 */
export function buildNamespace(models: readonly ModelView[], defaultModel: string | undefined): OscQueryNode {
  const served = models.find((m) => m.id === defaultModel);
  const root = container('/',
    'pagebridge: the models of a web page over OSC, as Runway\'s OSC server. The unprefixed addresses serve the default model ' +
    `(${defaultModel ?? 'none yet'}); /models/<id>/ serves each model. Messages carry JSON as one string (a /query also an image ` +
    'as a blob); a client registered with s "numeric" gets outputs as numbers instead');
  const reserved = addSpace(root, {
    prefix: '',
    who: defaultModel === undefined ? 'the default model (none is loaded yet)' : `the default model ("${served?.title ?? defaultModel}", ${defaultModel})`,
    info: served?.info,
    numeric: `/${defaultModel ?? '<model>'}`,
  });
  ensure(root, '/models', () => 'One address space per model, by id');
  reserved.add('models');
  if (defaultModel !== undefined && served) addNumeric(root, '', defaultModel, served.info.outputs, reserved);
  for (const m of models) {
    if (!addressableId(m.id)) continue;
    const prefix = `/models/${m.id}`;
    ensure(root, prefix, () => `${m.title} (${stateOf(m)})${m.description ? `: ${m.description}` : ''}`);
    const own = addSpace(root, { prefix, who: `"${m.title}" (${m.id})`, info: m.info, numeric: prefix });
    addNumeric(root, prefix, m.id, m.info.outputs, own);
  }
  return root;
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
