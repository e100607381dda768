// OSCQuery's JSON tree: its nodes, and placing an address in it with the containers on the way.

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

/** Describes a container made on the way to an address (undefined: no DESCRIPTION). */
export type DescribeContainer = (path: string) => string | undefined;

export const container = (path: string, description?: string): OscQueryNode =>
  ({ FULL_PATH: path, ...(description !== undefined && { DESCRIPTION: description }), ACCESS: 0, CONTENTS: {} });

/** The node at `path` below `root`, containers made on the way (an existing method gains CONTENTS). */
export function ensure(root: OscQueryNode, path: string, describe?: DescribeContainer): OscQueryNode {
  let node = root;
  let at = '';
  for (const part of path.split('/').filter(Boolean)) {
    at += `/${part}`;
    node.CONTENTS ??= {};
    node = node.CONTENTS[part] ??= container(at, describe?.(at));
  }
  return node;
}

/** An address's node: its first form is its TYPE, the others its OVERLOADS. */
export function method(path: string, [first, ...others]: readonly OscSignature[]): Omit<OscQueryNode, 'CONTENTS'> {
  return {
    FULL_PATH: path, DESCRIPTION: first!.description, ACCESS: first!.access, TYPE: first!.typeTags,
    ...(others.length > 0 && { OVERLOADS: others.map((o) => ({ TYPE: o.typeTags, ACCESS: o.access, DESCRIPTION: o.description })) }),
  };
}

/** Adds a node for `path`, keeping the CONTENTS of a container already there. */
export function place(root: OscQueryNode, path: string, node: Omit<OscQueryNode, 'CONTENTS'>, describe?: DescribeContainer): void {
  const target = ensure(root, path, describe);
  const contents = target.CONTENTS && Object.keys(target.CONTENTS).length > 0 ? target.CONTENTS : undefined;
  for (const key of Object.keys(target) as (keyof OscQueryNode)[]) delete target[key];
  Object.assign(target, node, contents && { CONTENTS: contents });
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
