// Numeric OSC's options and limits, checked once (see index.ts for the rules).
export const DEFAULT_MAX_BYTES = 1536;
/** A smaller limit leaves too little room for an address and a few numbers. */
export const MIN_MAX_BYTES = 128;
/** UDP over IPv4 carries no more. */
export const MAX_MAX_BYTES = 65_507;
/** Longest string argument, in UTF-8 bytes: under [oscparse]'s 999. */
export const MAX_STRING_BYTES = 900;
/** Longest address part taken from a name (an output, a field, a point), in bytes. */
export const MAX_PART_BYTES = 64;

export interface NumericOptions {
  /** What every address starts with, '' or '/…' (e.g. '/models' to sit beside bridge/protocols/osc/index.ts's addresses). */
  prefix?: string;
  /** Send exactly this many entries of every list of entries, missing ones zeroed. */
  slots?: number;
  /** The largest datagram, in bytes (default 1,536). */
  maxBytes?: number;
  /** Group messages into bundles (default), or send each message as a datagram of its own. */
  bundles?: boolean;
}

/** One address the encoder may send: its OSC type tags and what it carries. */
export interface NumericAddress {
  /** `<i>` stands for an entry's index, `<name>` for a point's name, where they are not known in advance. */
  address: string;
  /** OSC type tags; a tag followed by `*` repeats any number of times; `*` alone: as the values come. */
  types: string;
  description: string;
}


export interface Settings { prefix: string; slots: number | undefined; maxBytes: number; bundles: boolean }

export function settingsOf(options: NumericOptions): Settings {
  const prefix = trimSlashes(options.prefix ?? '');
  if (!isOscPrefix(prefix)) {
    throw new RangeError(`prefix must be '' or an OSC address such as '/models' (got ${JSON.stringify(options.prefix)})`);
  }
  const { slots, maxBytes = DEFAULT_MAX_BYTES, bundles = true } = options;
  if (slots !== undefined && !(Number.isInteger(slots) && slots >= 0)) throw new RangeError(`slots must be an integer ≥ 0 (got ${slots})`);
  if (!(Number.isInteger(maxBytes) && maxBytes >= MIN_MAX_BYTES && maxBytes <= MAX_MAX_BYTES)) {
    throw new RangeError(`maxBytes must be an integer from ${MIN_MAX_BYTES} to ${MAX_MAX_BYTES} (got ${maxBytes})`);
  }
  return { prefix, slots, maxBytes, bundles };
}


/** `text` without its trailing slashes; linear, where `/\/+$/` backtracks quadratically on a run of them. */
export function trimSlashes(text: string): string {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 0x2f) end--;
  return text.slice(0, end);
}

/** '' or `/part/part…`: printable ASCII parts, none empty, none holding OSC's pattern characters. One pass,
 *  no pattern that could backtrack. */
function isOscPrefix(prefix: string): boolean {
  if (prefix === '') return true;
  if (prefix[0] !== '/') return false;
  for (let i = 0; i < prefix.length; i++) {
    const c = prefix.charCodeAt(i);
    if (c < 0x21 || c > 0x7e || '#*,?[]{}'.includes(prefix[i]!)) return false;
    if (c === 0x2f && (i + 1 === prefix.length || prefix.charCodeAt(i + 1) === 0x2f)) return false;
  }
  return true;
}
