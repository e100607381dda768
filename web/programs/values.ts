// A program's values as plain JSON data, the form placeholders and predictions are kept and sent in.
// Pure: the program worker uses it, and the unit tests.

const MAX_DEPTH = 64;

/**
 * `value` as JSON-safe data: typed arrays become arrays, Maps objects, Sets arrays, Dates ISO strings,
 * NaN and ±Infinity null, BigInts numbers (strings when too big), functions and symbols are left out
 * (null inside arrays), a repeated reference to an enclosing object "[circular]".
 */
export function toPlain(value: unknown): unknown {
  return plain(value, new Set(), 0);
}

function plain(value: unknown, enclosing: Set<object>, depth: number): unknown {
  switch (typeof value) {
    case 'number': return Number.isFinite(value) ? value : null;
    case 'string': case 'boolean': return value;
    case 'bigint': return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
    case 'undefined': case 'function': case 'symbol': return undefined;
  }
  if (value === null) return null;
  const obj = value as object;
  if (ArrayBuffer.isView(obj)) {
    if (obj instanceof DataView) return Array.from(new Uint8Array(obj.buffer, obj.byteOffset, obj.byteLength));
    return Array.from(obj as unknown as ArrayLike<number | bigint>, (v) => plain(v, enclosing, depth + 1));
  }
  if (obj instanceof ArrayBuffer) return Array.from(new Uint8Array(obj));
  if (obj instanceof Date) return Number.isNaN(obj.getTime()) ? null : obj.toISOString();
  if (enclosing.has(obj)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[too deep]';
  enclosing.add(obj);
  try {
    if (Array.isArray(obj) || obj instanceof Set) {
      return Array.from(obj as Iterable<unknown>, (v) => plain(v, enclosing, depth + 1) ?? null);
    }
    const out: Record<string, unknown> = {};
    const entries = obj instanceof Map ? [...obj.entries()].map(([k, v]) => [String(k), v] as const) : Object.entries(obj);
    for (const [k, v] of entries) {
      const p = plain(v, enclosing, depth + 1);
      if (p !== undefined) out[k] = p;
    }
    return out;
  } finally {
    enclosing.delete(obj);
  }
}

/** An error (or anything thrown) as a one-line message. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  if (typeof err === 'string') return err;
  try { return JSON.stringify(err) ?? String(err); } catch { return String(err); }
}
