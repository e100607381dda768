// The numeric replies as OSCQuery nodes: every address describeNumeric
// (bridge/protocols/osc/numeric/describe.ts) lists for a model's outputs, read-only (ACCESS 1), in the
// space that sends them (outputDatagrams in bridge/protocols/osc/replies.ts: the default model's space
// sends `/<model>/<output>/…`, a model's own space `/models/<model>/<output>/…`).
//
// Two things describeNumeric writes cannot be OSCQuery as they are:
// - `<i>`, an entry's index, is no address part: entry 0 is listed (`…/faces/0/box`), and its container
//   and each of its addresses say that every entry i from 0 to count-1 comes the same way;
// - a point's `<name>` not known in advance, or `*` (fields as the values come), has no one address:
//   it is described on the container above it instead of listed.
// And type tags: OSCQuery's TYPE is plain type tags, so a repeated tag (`f*`, `if*`) is shown once, and
// tags that follow the values (`*`) as `f`; the DESCRIPTION says so.
import type { Port } from '../../../web/contract/index.ts';
import { describeNumeric, type NumericAddress } from '../osc/numeric/index.ts';
import { ensure, findNode, method, place, type OscQueryNode } from './tree.ts';

/** describeNumeric's stand-ins for parts that are not known in advance, and for the index. */
const INDEX = '<i>';
const UNLISTED = new Set(['<name>', '*']);

/** OSCQuery's TYPE for numeric type tags, and what the DESCRIPTION must add to it. */
function oscQueryType(tags: string): { type: string; note: string } {
  if (tags === '*') {
    return { type: 'f', note: ' [type tags as the values come: f for a number, f repeated for numbers, s for text; TYPE shows f]' };
  }
  if (tags.endsWith('*')) {
    const once = tags.slice(0, -1);
    return { type: once, note: ` [type tags ${tags}: the last repeats, one per value; TYPE shows it once]` };
  }
  return { type: tags, note: '' };
}

const SLOTS = 'for a client registered with s "numeric" N, exactly 0 to N-1, missing entries zeroed';

/** The numeric addresses of one model; none when its ports cannot be described. */
function addressesOf(model: string, ports: readonly Port[], spacePrefix: string): NumericAddress[] {
  try {
    return describeNumeric(model, ports, { prefix: spacePrefix === '' ? '' : '/models' });
  } catch {
    // Ports come from the page: one describeNumeric cannot read costs its numeric nodes, not the namespace.
    return [];
  }
}

/**
 * Adds the numeric reply addresses of `model` (its output ports `ports`) in the space at `spacePrefix`
 * ('' or '/models/<id>'). Never in place of nor inside the listener's own addresses: an address whose
 * first part in the space is one of `reserved` (the space's own: server, query, info, data, error, and
 * models at the root) is left out.
 */
export function addNumeric(root: OscQueryNode, spacePrefix: string, model: string, ports: readonly Port[], reserved: ReadonlySet<string>): void {
  const indexed = new Map<string, string>();
  const describe = (path: string) => indexed.get(path) ??
    (spacePrefix === '' && path.split('/').length === 2 ? `Numeric replies of the default model (${model}): each output as numbers, ` +
      'to the clients registered in the unprefixed space with s "numeric"' : undefined);
  for (const n of addressesOf(model, ports, spacePrefix)) {
    // A model whose id part() changes (a space, a `#`: bridge/protocols/osc/numeric/wire.ts) is sent outside
    // its own /models/<id>: not listed there.
    if (!n.address.startsWith(`${spacePrefix}/`)) continue;
    const parts = n.address.slice(spacePrefix.length + 1).split('/');
    if (reserved.has(parts[0]!)) continue;
    let at = spacePrefix;
    let unlisted = false;
    for (const part of parts) {
      if (UNLISTED.has(part)) {
        unlisted = true;
        break;
      }
      if (part === INDEX) {
        indexed.set(`${at}/0`, `Entry 0 of ${at}, standing for each: entry i comes at ${at}/<i>/… the same way, ` +
          `i from 0 to count-1 (${SLOTS})`);
        at += '/0';
      } else {
        at += `/${part}`;
      }
    }
    const { type, note } = oscQueryType(n.types);
    if (unlisted) {
      // `at` is the last address part known in advance: say there what comes below it.
      if (at === spacePrefix) continue;
      const above = ensure(root, at, describe);
      if (above.TYPE !== undefined) continue;
      const line = `Below: ${n.address} ${n.types}, one address per value: ${n.description}`;
      above.DESCRIPTION = above.DESCRIPTION ? `${above.DESCRIPTION}. ${line}` : line;
      continue;
    }
    if (findNode(root, at)?.TYPE !== undefined) continue;
    const entry = parts.includes(INDEX) ? ` (listed for entry 0: entry i at ${n.address}, i from 0 to count-1)` : '';
    place(root, at, method(at, [{ typeTags: type, access: 1, description: `${n.description}${entry}${note}; sent to numeric clients` }]), describe);
  }
}
