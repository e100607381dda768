// A program's values as plain JSON data, the form placeholders and predictions are kept and sent in.
// Pure: the program worker uses it, and the unit tests.

const MAX_DEPTH = 64;
/** What one session's placeholders may hold together, in characters of JSON (about). */
export const MAX_PLACEHOLDER_CHARS = 64 * 1024 * 1024;

/** A value larger, as JSON, than the room it was given (see toPlainWithin). */
export class TooLargeError extends Error {
  override name = 'TooLargeError';
}

/**
 * `value` as JSON-safe data: typed arrays become arrays, Maps objects, Sets arrays, Dates ISO strings,
 * NaN and ±Infinity null, BigInts numbers (strings when too big), functions and symbols are left out
 * (null inside arrays), a repeated reference to an enclosing object "[circular]".
 */
export function toPlain(value: unknown): unknown {
  return plain(value, new Set(), 0, { left: Infinity, limit: Infinity });
}

/**
 * toPlain, stopping with a TooLargeError as soon as the result passes `limit` characters of JSON
 * (about): the work done is bounded by the limit, not by the value (an array of length 1e9 with three
 * items is refused at once, not walked). `size` is the result's JSON size, about.
 */
export function toPlainWithin(value: unknown, limit: number): { value: unknown; size: number } {
  const budget = { left: limit, limit };
  const out = plain(value, new Set(), 0, budget);
  return { value: out, size: limit - budget.left };
}

interface Budget { left: number; limit: number }

function spend(budget: Budget, chars: number, what: () => string): void {
  budget.left -= chars;
  if (budget.left < 0) throw new TooLargeError(`${what()} is over ${formatChars(budget.limit)} as JSON`);
}

export function formatChars(n: number): string {
  return n >= 1024 * 1024 ? `${Math.round(n / 1024 / 1024)} MiB` : n >= 1024 ? `${Math.round(n / 1024)} KiB` : `${n} characters`;
}

function plain(value: unknown, enclosing: Set<object>, depth: number, budget: Budget): unknown {
  switch (typeof value) {
    case 'number':
      spend(budget, 8, () => 'the value');
      return Number.isFinite(value) ? value : null;
    case 'string':
      spend(budget, value.length + 2, () => `a string of ${value.length} characters`);
      return value;
    case 'boolean':
      spend(budget, 5, () => 'the value');
      return value;
    case 'bigint':
      spend(budget, 20, () => 'the value');
      return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
    case 'undefined': case 'function': case 'symbol': return undefined;
  }
  if (value === null) {
    spend(budget, 4, () => 'the value');
    return null;
  }
  const obj = value as object;
  // Every item of an array takes at least two characters ("0,", "null,"): its length alone can
  // tell that it does not fit, before any item is looked at (holes of a sparse array included).
  const fits = (length: number, what: string) => spend(budget, 2 * length, () => `${what} of ${length} items`);
  if (ArrayBuffer.isView(obj)) {
    if (obj instanceof DataView) {
      fits(obj.byteLength, 'a DataView');
      return Array.from(new Uint8Array(obj.buffer, obj.byteOffset, obj.byteLength));
    }
    const items = obj as unknown as ArrayLike<number | bigint>;
    fits(items.length, 'a typed array');
    return Array.from(items, (v) => plain(v, enclosing, depth + 1, budget));
  }
  if (obj instanceof ArrayBuffer) {
    fits(obj.byteLength, 'an ArrayBuffer');
    return Array.from(new Uint8Array(obj));
  }
  if (obj instanceof Date) return Number.isNaN(obj.getTime()) ? null : obj.toISOString();
  if (enclosing.has(obj)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[too deep]';
  enclosing.add(obj);
  try {
    if (Array.isArray(obj) || obj instanceof Set) {
      fits(Array.isArray(obj) ? obj.length : obj.size, Array.isArray(obj) ? 'an array' : 'a Set');
      return Array.from(obj as Iterable<unknown>, (v) => plain(v, enclosing, depth + 1, budget) ?? null);
    }
    const out: Record<string, unknown> = {};
    const entries = obj instanceof Map ? [...obj.entries()].map(([k, v]) => [String(k), v] as const) : Object.entries(obj);
    for (const [k, v] of entries) {
      spend(budget, k.length + 4, () => 'an object');
      const p = plain(v, enclosing, depth + 1, budget);
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

/** Why a placeholder is not kept: it is larger than what a session's placeholders may hold together. */
export function placeholderTooLarge(name: string, err: TooLargeError): string {
  return `placeholder "${name}" was not kept: ${err.message}, more than this session's placeholders have room for ` +
    `(together they may hold ${formatChars(MAX_PLACEHOLDER_CHARS)} of JSON, about); keep a summary or a sample instead`;
}

