// What the ports declare and what the values hold: the shapes numeric OSC encodes by (see index.ts).

/** What this module reads of a port or of a field of an itemType. */
export interface Spec {
  type?: string;
  description?: string;
  length?: number;
  itemType?: Spec;
  properties?: Record<string, Spec>;
  oneOf?: unknown[];
}

export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);

/** A port or field as a Spec, ignoring what is not shaped as expected (ports come from model.json files and graphs). */
export function specOf(value: unknown): Spec | undefined {
  if (!isRecord(value)) return undefined;
  const spec: Spec = {};
  if (typeof value.type === 'string') spec.type = value.type;
  if (typeof value.description === 'string') spec.description = value.description;
  if (typeof value.length === 'number' && Number.isInteger(value.length) && value.length >= 0) spec.length = value.length;
  const item = specOf(value.itemType);
  if (item) spec.itemType = item;
  if (isRecord(value.properties)) {
    spec.properties = {};
    for (const [k, v] of Object.entries(value.properties)) spec.properties[k] = specOf(v) ?? {};
  }
  if (Array.isArray(value.oneOf)) spec.oneOf = value.oneOf;
  return spec;
}

export const NOT_NUMERIC = new Set(['image', 'segmentation', 'audio', 'file']);
export const STRING_TYPES = new Set(['text', 'category', 'string']);
export const NUMBER_TYPES = new Set(['number', 'integer', 'float']);

/** What each entry of a list port holds. */
export const itemOf = (spec: Spec | undefined): Spec | undefined => spec?.itemType;
export const isNumberSpec = (spec: Spec | undefined) => spec?.type !== undefined && NUMBER_TYPES.has(spec.type);

/** How many numbers a declared number list holds once flattened, if the spec says. */
export function declaredLength(spec: Spec | undefined): number | undefined {
  if (!spec) return undefined;
  if (isNumberSpec(spec)) return 1;
  if (spec.length === undefined) return undefined;
  const item = itemOf(spec);
  if (!item) return spec.type === 'vector' ? spec.length : undefined;
  const inner = declaredLength(item);
  return inner === undefined ? undefined : spec.length * inner;
}

/** Whether a spec declares a list of numbers (a vector, or an array of numbers or vectors). */
export function declaresNumbers(spec: Spec | undefined): boolean {
  if (!spec) return false;
  if (spec.type === 'vector') return !spec.itemType || declaresNumbers(spec.itemType) || isNumberSpec(spec.itemType);
  if (spec.type === 'array') return isNumberSpec(spec.itemType) || (spec.itemType?.type === 'vector');
  return false;
}

/** The fixed names of a list of named points, from its itemType's `name` field's `oneOf`. */
export function declaredNames(spec: Spec | undefined): string[] | undefined {
  const names = itemOf(spec)?.properties?.name?.oneOf;
  return names && names.every((n) => typeof n === 'string') ? (names as string[]) : undefined;
}


export interface TensorValue { dtype?: unknown; dims: number[]; data: unknown[] | ArrayLike<unknown> }

export function isTensor(v: unknown): v is TensorValue {
  return isRecord(v) && Array.isArray(v.dims) && v.dims.every((d) => typeof d === 'number') &&
    (Array.isArray(v.data) || ArrayBuffer.isView(v.data));
}

export const isDataUri = (v: unknown) => typeof v === 'string' && /^data:[^,]*;base64,/.test(v);

/** Whether a list holds only numbers, nulls and booleans, in lists nested to any depth. */
export function isNumberList(v: unknown[]): boolean {
  return v.every((x) => x === null || typeof x === 'number' || typeof x === 'boolean' ||
    (Array.isArray(x) && isNumberList(x)));
}

export function flatten(v: unknown[], out: number[] = []): number[] {
  for (const x of v) {
    if (Array.isArray(x)) flatten(x, out);
    else out.push(toFloat(x));
  }
  return out;
}

export function toFloat(x: unknown): number {
  const n = typeof x === 'boolean' ? (x ? 1 : 0) : typeof x === 'bigint' ? Number(x) : x;
  return typeof n === 'number' && Number.isFinite(n) ? n : 0;
}

/**
 * Entries that are named points: objects with a string `name` and numbers besides, nothing else (as the
 * itemType declares them, else as they come, the names all different). Detections that carry a class
 * name and a box stay entries by index: their names repeat.
 */
export function isNamedPoints(spec: Spec | undefined, list: unknown[]): boolean {
  const item = itemOf(spec);
  if (item?.properties) {
    const others = Object.entries(item.properties).filter(([k]) => k !== 'name');
    return 'name' in item.properties && others.length > 0 && others.every(([, f]) => isNumberSpec(f));
  }
  if (list.length === 0) return false;
  const names = new Set<string>();
  for (const e of list) {
    if (!isRecord(e) || typeof e.name !== 'string' || names.has(e.name)) return false;
    names.add(e.name);
    if (!Object.entries(e).every(([k, x]) => k === 'name' || typeof x === 'number' || x === null)) return false;
  }
  return true;
}

/**
 * An empty entry shaped like the spec, or where the spec does not say, like a real entry (`sample`):
 * numbers 0, booleans false, strings '', number lists of zeros, lists of entries empty. Undefined where
 * neither tells (a list of numbers of no known length).
 */
export function zeroOf(spec: Spec | undefined, sample: unknown): unknown {
  const type = spec?.type;
  if (type !== undefined && NOT_NUMERIC.has(type)) return undefined;
  if (isNumberSpec(spec) || (type === undefined && (typeof sample === 'number' || sample === null))) return 0;
  if (type === 'boolean' || (type === undefined && typeof sample === 'boolean')) return false;
  if ((type !== undefined && STRING_TYPES.has(type)) || (type === undefined && typeof sample === 'string')) return '';
  if (type === 'tensor' || isTensor(sample)) return undefined;
  const list = Array.isArray(sample) ? sample : undefined;
  if (type === 'vector' || type === 'array' || list) {
    if (declaresNumbers(spec) || (list && list.length > 0 && isNumberList(list)) ||
      (type === 'vector' && !list)) {
      const n = declaredLength(spec) ?? (list && isNumberList(list) ? flatten(list).length : undefined);
      return n === undefined ? undefined : new Array<number>(n).fill(0);
    }
    // A list of entries: known as such from the itemType or a real list, else its shape is unknown.
    if (!list && !(spec?.itemType)) return undefined;
    if (isNamedPoints(spec, list ?? [])) {
      const names = declaredNames(spec) ?? (list ?? []).map((e) => (e as { name: string }).name);
      const first = list?.[0];
      return names.map((name) => ({ ...(zeroOf(itemOf(spec), first) as object), name }));
    }
    return [];
  }
  if (spec?.properties || isRecord(sample)) {
    const out: Record<string, unknown> = {};
    const s = isRecord(sample) ? sample : {};
    for (const key of new Set([...Object.keys(spec?.properties ?? {}), ...Object.keys(s)])) {
      const z = zeroOf(spec?.properties?.[key], s[key]);
      if (z !== undefined) out[key] = z;
    }
    return out;
  }
  return undefined;
}

