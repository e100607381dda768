// Numeric OSC: one model output as small messages of numbers that a TouchDesigner OSC In CHOP, Pure Data's
// [oscparse] or Max's [udpreceive] → [route] can take apart, instead of `/data s <json>` (bridge/protocols/osc.ts).
// Pure: values in, datagrams out; sending them is the caller's.
//
// Addresses are `<prefix>/<model>/<output>/…`, derived from the output ports (Runway-shaped, as in
// public/models/*/model.json) and the values, by output type, never by model:
//
// • number → `…/<output> f`; boolean → `i` 0/1; text (and category) → `s`, cut to at most 900 UTF-8 bytes
//   on a character boundary ([oscparse] cuts strings at 999 bytes) or less if the datagram needs it.
//   null (JSON's NaN) and non-finite numbers go as 0. Image, segmentation, audio and file outputs are
//   left out: they are not numbers.
// • A list of numbers, nested lists flattened (a box [x,y,w,h], six [x,y] keypoints):
//   - inside an entry, or an output port that declares a `length` that fits: one message, `… f f f f`;
//   - an output port without a fixed length (voice-activity's probabilities) and a tensor's data:
//     `…/count i <n>`, then chunks `… i <start> f f …`, each at the same address, its first argument the
//     index of its first number (Pd: [list split 1], the start to [array set]'s right inlet before the
//     numbers to its left; Max: [zl slice 1]).
//     A list inside an entry that cannot fit in one datagram (only with a tiny maxBytes) goes this way too.
// • A list of entries (faces, lines, ocr lines, segments, poses): `…/count i <n>`, then each entry at
//   `…/<i>/…` from 0, its fields by name: `/face-detection/faces/0/box f f f f`, `…/0/score f`,
//   `…/0/keypoints f×12`. With `slots: N` every such list sends exactly N entries: the missing ones as
//   zeros (0, i 0, s "", lists of zeros), shaped by the port's `itemType` or else by the first real
//   entry; entries beyond N are dropped, and count still says how many there were. A field the port
//   declares but an entry lacks is zeroed too. A part of an empty entry whose shape neither the port
//   nor a real entry tells (a list without `length`) is left out.
// • A list of named points — entries of a `name` and only numbers besides, names all different (pose and
//   hand keypoints `{name, x, y, z, score}`, a class list `{name, score}`) — goes by name, not index:
//   `/pose/poses/0/keypoints/nose f x y z score`, the numbers in the order the port's itemType lists
//   them (else as they come), a declared number an entry lacks as 0, anything else an entry carries under
//   `…/<name>/<field>`. Names are stable per model and read well as a CHOP channel or in a [route]; no
//   count (the set of names is the model's). With the names given as the `oneOf` of the itemType's
//   `name` field, a missing point is sent as zeros under `slots`.
// • Names in addresses (outputs, fields, points) have what an OSC address cannot hold (space # * , / ?
//   [ ] { }, control and non-ASCII characters) as `_`, and at most 64 bytes.
// • A tensor `{dtype, dims, data}`: `…/dtype s`, `…/dims i…`, and its data as a long list (above);
//   strings as `… i <index> s`. Other objects: their fields at `…/<field>`.
//
// Datagrams: every one holds at most `maxBytes` (default 1,536: oscP5's receive buffer; larger ones it
// loses). By default the messages are grouped, in order, into bundles (timetag 1, "immediately"), as
// many as fit, one bundle per datagram; `bundles: false` makes each message its own datagram (for
// receivers that take no bundles). Vanilla Pd 0.53's [netreceive -u -b] → [oscparse] unpacks bundles
// (nested ones too); it gives `i` and `f` as floats, `s` as a symbol, and every address part as a
// symbol — route an index with [route \0 \1 …] or [route count \0] (a plain [route 0] matches no symbol).
import osc, { type TimeTag, type TypedArgument } from 'osc';
import type { Port, Values } from '../../../web/contract/index.ts';

export const DEFAULT_MAX_BYTES = 1536;
/** A smaller limit leaves too little room for an address and a few numbers. */
export const MIN_MAX_BYTES = 128;
/** UDP over IPv4 carries no more. */
export const MAX_MAX_BYTES = 65_507;
/** Longest string argument, in UTF-8 bytes: under [oscparse]'s 999. */
export const MAX_STRING_BYTES = 900;
/** Longest address part taken from a name (an output, a field, a point), in bytes. */
const MAX_PART_BYTES = 64;

export interface NumericOptions {
  /** What every address starts with, '' or '/…' (e.g. '/models' to sit beside bridge/protocols/osc.ts's addresses). */
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

// ── ports ─────────────────────────────────────────────────────────────────────────────────────────

/** What this module reads of a port or of a field of an itemType. */
interface Spec {
  type?: string;
  description?: string;
  length?: number;
  itemType?: Spec;
  properties?: Record<string, Spec>;
  oneOf?: unknown[];
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);

/** A port or field as a Spec, ignoring what is not shaped as expected (ports come from model.json files and graphs). */
function specOf(value: unknown): Spec | undefined {
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

const NOT_NUMERIC = new Set(['image', 'segmentation', 'audio', 'file']);
const STRING_TYPES = new Set(['text', 'category', 'string']);
const NUMBER_TYPES = new Set(['number', 'integer', 'float']);

/** What each entry of a list port holds. */
const itemOf = (spec: Spec | undefined): Spec | undefined => spec?.itemType;
const isNumberSpec = (spec: Spec | undefined) => spec?.type !== undefined && NUMBER_TYPES.has(spec.type);

/** How many numbers a declared number list holds once flattened, if the spec says. */
function declaredLength(spec: Spec | undefined): number | undefined {
  if (!spec) return undefined;
  if (isNumberSpec(spec)) return 1;
  if (spec.length === undefined) return undefined;
  const item = itemOf(spec);
  if (!item) return spec.type === 'vector' ? spec.length : undefined;
  const inner = declaredLength(item);
  return inner === undefined ? undefined : spec.length * inner;
}

/** Whether a spec declares a list of numbers (a vector, or an array of numbers or vectors). */
function declaresNumbers(spec: Spec | undefined): boolean {
  if (!spec) return false;
  if (spec.type === 'vector') return !spec.itemType || declaresNumbers(spec.itemType) || isNumberSpec(spec.itemType);
  if (spec.type === 'array') return isNumberSpec(spec.itemType) || (spec.itemType?.type === 'vector');
  return false;
}

/** The fixed names of a list of named points, from its itemType's `name` field's `oneOf`. */
function declaredNames(spec: Spec | undefined): string[] | undefined {
  const names = itemOf(spec)?.properties?.name?.oneOf;
  return names && names.every((n) => typeof n === 'string') ? (names as string[]) : undefined;
}

// ── values ────────────────────────────────────────────────────────────────────────────────────────

interface TensorValue { dtype?: unknown; dims: number[]; data: unknown[] | ArrayLike<unknown> }

function isTensor(v: unknown): v is TensorValue {
  return isRecord(v) && Array.isArray(v.dims) && v.dims.every((d) => typeof d === 'number') &&
    (Array.isArray(v.data) || ArrayBuffer.isView(v.data));
}

const isDataUri = (v: unknown) => typeof v === 'string' && /^data:[^,]*;base64,/.test(v);

/** Whether a list holds only numbers, nulls and booleans, in lists nested to any depth. */
function isNumberList(v: unknown[]): boolean {
  return v.every((x) => x === null || typeof x === 'number' || typeof x === 'boolean' ||
    (Array.isArray(x) && isNumberList(x)));
}

function flatten(v: unknown[], out: number[] = []): number[] {
  for (const x of v) {
    if (Array.isArray(x)) flatten(x, out);
    else out.push(toFloat(x));
  }
  return out;
}

function toFloat(x: unknown): number {
  const n = typeof x === 'boolean' ? (x ? 1 : 0) : typeof x === 'bigint' ? Number(x) : x;
  return typeof n === 'number' && Number.isFinite(n) ? n : 0;
}

/**
 * Entries that are named points: objects with a string `name` and numbers besides, nothing else (as the
 * itemType declares them, else as they come, the names all different). Detections that carry a class
 * name and a box stay entries by index: their names repeat.
 */
function isNamedPoints(spec: Spec | undefined, list: unknown[]): boolean {
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
function zeroOf(spec: Spec | undefined, sample: unknown): unknown {
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

// ── sizes ─────────────────────────────────────────────────────────────────────────────────────────

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();
const pad4 = (n: number) => (n + 3) & ~3;
const byteLength = (s: string) => utf8.encode(s).length;

/** A message's encoded size: its address, type tags and arguments, each NUL-ended and padded to 4 bytes. */
function messageSize(address: string, args: readonly TypedArgument[]): number {
  let size = pad4(byteLength(address) + 1) + pad4(args.length + 2);
  for (const a of args) size += a.type === 's' ? pad4(byteLength(a.value as string) + 1) : 4;
  return size;
}

/** At most `max` bytes of a string's UTF-8, cut before a character, never inside one; NULs dropped (they end OSC strings). */
function cutUtf8(s: string, max: number): string {
  const bytes = utf8.encode(s.includes('\0') ? s.replaceAll('\0', '') : s);
  if (bytes.length <= max) return fromUtf8.decode(bytes);
  let end = Math.max(0, max);
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--; // a continuation byte: back to its character's start
  return fromUtf8.decode(bytes.subarray(0, end));
}

/** A name as one address part: printable ASCII without OSC's reserved characters, at most MAX_PART_BYTES. */
function part(name: string): string {
  const clean = name.replace(/[^\x21-\x7e]|[#*,/?[\]{}]/g, '_').slice(0, MAX_PART_BYTES);
  return clean === '' ? '_' : clean;
}

const int = (value: number): TypedArgument => ({ type: 'i', value: Math.trunc(toFloat(value)) | 0 });
const float = (value: unknown): TypedArgument => ({ type: 'f', value: toFloat(value) });
const str = (value: string): TypedArgument => ({ type: 's', value });

// ── encoding ──────────────────────────────────────────────────────────────────────────────────────

interface Settings { prefix: string; slots: number | undefined; maxBytes: number; bundles: boolean }

function settingsOf(options: NumericOptions): Settings {
  const prefix = (options.prefix ?? '').replace(/\/+$/, '');
  if ((prefix !== '' && !/^(\/[\x21-\x7e]+)+$/.test(prefix)) || /[#*,?[\]{}]|\/\//.test(prefix)) {
    throw new RangeError(`prefix must be '' or an OSC address such as '/models' (got ${JSON.stringify(options.prefix)})`);
  }
  const { slots, maxBytes = DEFAULT_MAX_BYTES, bundles = true } = options;
  if (slots !== undefined && !(Number.isInteger(slots) && slots >= 0)) throw new RangeError(`slots must be an integer ≥ 0 (got ${slots})`);
  if (!(Number.isInteger(maxBytes) && maxBytes >= MIN_MAX_BYTES && maxBytes <= MAX_MAX_BYTES)) {
    throw new RangeError(`maxBytes must be an integer from ${MIN_MAX_BYTES} to ${MAX_MAX_BYTES} (got ${maxBytes})`);
  }
  return { prefix, slots, maxBytes, bundles };
}

/** Bundle header ("#bundle", timetag) and one element's size field. */
const BUNDLE_HEADER = 16;
const ELEMENT_SIZE = 4;
/** osc.js writes `raw` when given: seconds 0, fraction 1 is OSC's "immediately". */
const IMMEDIATELY: TimeTag = { raw: [0, 1], native: 0 };

interface Message { address: string; args: TypedArgument[] }

class Encoder {
  readonly messages: Message[] = [];
  /** The largest message: what a datagram holds, less a bundle's framing when messages are bundled. */
  readonly budget: number;

  constructor(readonly settings: Settings) {
    this.budget = settings.bundles ? settings.maxBytes - BUNDLE_HEADER - ELEMENT_SIZE : settings.maxBytes;
  }

  push(address: string, args: TypedArgument[]): void {
    const size = messageSize(address, args);
    if (size > this.budget) throw new RangeError(`${address}: a message of ${size} bytes does not fit in maxBytes ${this.settings.maxBytes}`);
    this.messages.push({ address, args });
  }

  /** A string argument after `before`, cut to what the message has room for. */
  text(address: string, value: string, before: TypedArgument[] = []): void {
    const room = this.budget - messageSize(address, [...before, str('')]) + 4; // the 4 an empty string took
    this.push(address, [...before, str(cutUtf8(value, Math.min(MAX_STRING_BYTES, (room & ~3) - 1)))]);
  }

  /** How many floats fit in one message after the arguments `before`. */
  capacity(address: string, before: TypedArgument[]): number {
    let n = Math.floor((this.budget - messageSize(address, before)) / 5) + 1;
    const size = (k: number) => messageSize(address, before) - pad4(before.length + 2) + pad4(before.length + k + 2) + 4 * k;
    while (n > 0 && size(n) > this.budget) n--;
    return n;
  }

  value(address: string, spec: Spec | undefined, value: unknown, top: boolean): void {
    const type = spec?.type;
    if (value === undefined || (type !== undefined && NOT_NUMERIC.has(type)) || value instanceof Uint8Array || isDataUri(value)) return;
    if (value === null) {
      if (isNumberSpec(spec)) this.push(address, [float(0)]);
      return;
    }
    if (typeof value === 'boolean') return this.push(address, [int(value ? 1 : 0)]);
    if (typeof value === 'number' || typeof value === 'bigint') return this.push(address, [float(value)]);
    if (typeof value === 'string') return this.text(address, value);
    if (isTensor(value)) return this.tensor(address, value);
    if (Array.isArray(value)) return this.list(address, spec, value, top);
    if (isRecord(value)) return this.object(address, spec, value);
  }

  object(address: string, spec: Spec | undefined, value: Record<string, unknown>, skip?: string): void {
    const fixed = this.settings.slots !== undefined;
    for (const key of new Set([...Object.keys(spec?.properties ?? {}), ...Object.keys(value)])) {
      if (key === skip) continue;
      const field = spec?.properties?.[key];
      let v = value[key];
      if ((v === undefined || v === null) && fixed && field) v = zeroOf(field, undefined);
      this.value(`${address}/${part(key)}`, field, v, false);
    }
  }

  list(address: string, spec: Spec | undefined, list: unknown[], top: boolean): void {
    const numbers = list.length > 0 ? isNumberList(list) : declaresNumbers(spec) || spec?.type === 'vector';
    if (numbers) {
      // An output's own list keeps one layout whatever its length, unless it declares a length that fits.
      const declared = declaredLength(spec);
      return this.numbers(address, flatten(list), !top || (declared !== undefined && declared <= this.capacity(address, [])));
    }
    if (isNamedPoints(spec, list)) return this.points(address, spec, list);
    this.entries(address, spec, list);
  }

  /** A list of numbers: one message when `short` and it fits, else a count and chunks led by their start index. */
  numbers(address: string, values: number[], short: boolean): void {
    if (short && values.length <= this.capacity(address, [])) {
      if (values.length > 0) this.push(address, values.map(float));
      return;
    }
    this.push(`${address}/count`, [int(values.length)]);
    const chunk = this.capacity(address, [int(0)]);
    if (chunk < 1) throw new RangeError(`${address}: no room for a number in maxBytes ${this.settings.maxBytes}`);
    for (let start = 0; start < values.length; start += chunk) {
      this.push(address, [int(start), ...values.slice(start, start + chunk).map(float)]);
    }
  }

  entries(address: string, spec: Spec | undefined, list: unknown[]): void {
    this.push(`${address}/count`, [int(list.length)]);
    const item = itemOf(spec);
    const n = this.settings.slots ?? list.length;
    let empty: unknown;
    for (let i = 0; i < n; i++) {
      if (i < list.length) {
        this.value(`${address}/${i}`, item, list[i], false);
        continue;
      }
      empty ??= zeroOf(item, list[0]);
      this.value(`${address}/${i}`, item, empty, false);
    }
  }

  /** Named points: `…/<name> f…`, the declared numbers in order then any others; other values below it. */
  points(address: string, spec: Spec | undefined, list: unknown[]): void {
    const item = itemOf(spec);
    const declared = Object.entries(item?.properties ?? {}).filter(([k, f]) => k !== 'name' && isNumberSpec(f)).map(([k]) => k);
    const sent = new Set<string>();
    const send = (entry: Record<string, unknown>) => {
      const name = String(entry.name);
      sent.add(name);
      const keys = [...declared, ...Object.keys(entry).filter((k) => k !== 'name' && !declared.includes(k) &&
        (typeof entry[k] === 'number' || entry[k] === null) && !item?.properties?.[k])];
      const at = `${address}/${part(name)}`;
      this.numbers(at, keys.map((k) => toFloat(entry[k])), true);
      this.object(at, undefined, Object.fromEntries(Object.entries(entry).filter(([k]) => !keys.includes(k))), 'name');
    };
    for (const entry of list) if (isRecord(entry) && typeof entry.name === 'string') send(entry);
    if (this.settings.slots === undefined) return;
    const names = declaredNames(spec);
    if (!names) return;
    for (const name of names) if (!sent.has(name)) send({ ...(zeroOf(item, list[0]) as object), name });
  }

  tensor(address: string, t: TensorValue): void {
    if (typeof t.dtype === 'string') this.text(`${address}/dtype`, t.dtype);
    this.push(`${address}/dims`, t.dims.map(int));
    const data = Array.from(t.data as ArrayLike<unknown>);
    if (data.some((x) => typeof x === 'string')) {
      this.push(`${address}/count`, [int(data.length)]);
      data.forEach((x, i) => this.text(address, String(x), [int(i)]));
      return;
    }
    this.numbers(address, data.map(toFloat), false);
  }
}

/** Messages → datagrams: bundles of as many as fit in order, or one message each. */
function pack(messages: Message[], settings: Settings): Uint8Array[] {
  const write = (p: Parameters<typeof osc.writePacket>[0]) => osc.writePacket(p, { metadata: true });
  if (!settings.bundles) return messages.map(write);
  const out: Uint8Array[] = [];
  let group: Message[] = [];
  let size = BUNDLE_HEADER;
  for (const m of messages) {
    const s = ELEMENT_SIZE + messageSize(m.address, m.args);
    if (group.length > 0 && size + s > settings.maxBytes) {
      out.push(write({ timeTag: IMMEDIATELY, packets: group }));
      group = [];
      size = BUNDLE_HEADER;
    }
    group.push(m);
    size += s;
  }
  if (group.length > 0) out.push(write({ timeTag: IMMEDIATELY, packets: group }));
  return out;
}

/**
 * One model output as numeric OSC datagrams, each at most `maxBytes`: bundles of messages by default,
 * one message each with `bundles: false`. Outputs follow the ports' order; outputs no port names come
 * after, encoded by their values alone. Throws a RangeError for bad options, or an address too long to
 * fit in a datagram.
 */
export function encodeNumeric(model: string, ports: readonly Port[], outputs: Values, options: NumericOptions = {}): Uint8Array[] {
  const settings = settingsOf(options);
  const encoder = new Encoder(settings);
  const base = `${settings.prefix}/${part(model)}`;
  const named = new Set<string>();
  for (const port of ports) {
    named.add(port.name);
    const spec = specOf(port);
    let value = outputs[port.name];
    if ((value === undefined || value === null) && settings.slots !== undefined) value = zeroOf(spec, undefined);
    encoder.value(`${base}/${part(port.name)}`, spec, value, true);
  }
  for (const [name, value] of Object.entries(outputs)) {
    if (!named.has(name)) encoder.value(`${base}/${part(name)}`, undefined, value, true);
  }
  return pack(encoder.messages, settings);
}

// ── description ───────────────────────────────────────────────────────────────────────────────────

/**
 * Every address `encodeNumeric` may send for these ports, with type tags and a description: for docs
 * and OSCQuery. The third argument is the slots, or the options (`prefix`, `slots`, `maxBytes`).
 */
export function describeNumeric(model: string, ports: readonly Port[], slotsOrOptions?: number | NumericOptions): NumericAddress[] {
  const settings = settingsOf(typeof slotsOrOptions === 'number' ? { slots: slotsOrOptions } : slotsOrOptions ?? {});
  const encoder = new Encoder(settings);
  const out: NumericAddress[] = [];
  const add = (address: string, types: string, description: string): void => {
    out.push({ address, types, description });
  };
  const about = (spec: Spec | undefined, fallback: string) => spec?.description ?? fallback;
  const field = (list: string, key: string) => `${key} of each ${list} entry`;

  const walk = (address: string, spec: Spec | undefined, name: string, top: boolean): void => {
    const type = spec?.type;
    if (type !== undefined && NOT_NUMERIC.has(type)) return;
    if (isNumberSpec(spec)) return add(address, 'f', about(spec, name));
    if (type === 'boolean') return add(address, 'i', about(spec, name) + ' (1 or 0)');
    if (type !== undefined && STRING_TYPES.has(type)) return add(address, 's', about(spec, name) + ` (at most ${MAX_STRING_BYTES} bytes of UTF-8)`);
    if (type === 'tensor') {
      add(`${address}/dtype`, 's', `${name}: the element type (float32, int64, …)`);
      add(`${address}/dims`, 'i*', `${name}: its dimensions`);
      return long(address, spec, name);
    }
    if (declaresNumbers(spec) || (type === 'vector' && !spec?.itemType)) {
      const n = declaredLength(spec);
      if (n !== undefined && (!top || n <= encoder.capacity(address, []))) {
        return add(address, 'f'.repeat(n), about(spec, `${name}: ${n} numbers`));
      }
      if (top) return long(address, spec, name);
      return add(address, 'f*', about(spec, `${name}: numbers`));
    }
    if (type === 'array' && !spec?.itemType) {
      // Numbers or entries: only the values tell (a port can say with itemType and length).
      return add(address, '*', `${about(spec, name)}: as the values come: numbers as one f… message (nested lists ` +
        `flattened${top ? '; at an output, /count and chunks' : ''}), entries as /count and /<i>/…`);
    }
    if (type === 'array' || type === 'vector') {
      const item = itemOf(spec);
      if (item && isNamedPoints(spec, [])) {
        const numbers = Object.entries(item.properties ?? {}).filter(([k, f]) => k !== 'name' && isNumberSpec(f)).map(([k]) => k);
        for (const point of declaredNames(spec) ?? ['<name>']) {
          add(`${address}/${point === '<name>' ? point : part(point)}`, 'f'.repeat(numbers.length),
            `${about(spec, name)}: ${numbers.join(' ')} of the point named ${point === '<name>' ? 'by <name>' : point}`);
          for (const [k, f] of Object.entries(item.properties ?? {})) {
            if (k !== 'name' && !numbers.includes(k)) walk(`${address}/${point === '<name>' ? point : part(point)}/${part(k)}`, f, `${k} of that point`, false);
          }
        }
        return;
      }
      add(`${address}/count`, 'i', `How many ${name} entries there are` +
        (settings.slots === undefined ? '' : ` (all of them; exactly ${settings.slots} entries are sent, missing ones zeroed, extra ones dropped)`));
      const indices = settings.slots === undefined ? ['<i>'] : Array.from({ length: settings.slots }, (_, i) => String(i));
      for (const i of indices) {
        if (item?.properties) {
          for (const [k, f] of Object.entries(item.properties)) walk(`${address}/${i}/${part(k)}`, f, field(name, k), false);
        } else if (item) {
          walk(`${address}/${i}`, item, `each ${name} entry`, false);
        } else {
          add(`${address}/${i}/*`, '*', `${about(spec, name)}: each entry's fields as their values come`);
        }
      }
      return;
    }
    if (spec?.properties) {
      for (const [k, f] of Object.entries(spec.properties)) walk(`${address}/${part(k)}`, f, `${k} of ${name}`, false);
      return;
    }
    add(address, '*', `${about(spec, name)}: as the value comes (numbers f, lists f…, text s, entries count + <i>/…)`);
  };

  const long = (address: string, spec: Spec | undefined, name: string) => {
    add(`${address}/count`, 'i', `${name}: how many numbers there are`);
    add(address, 'if*', `${about(spec, name)}: chunks of up to ${encoder.capacity(address, [int(0)])} numbers, the int the index of the chunk's first`);
  };

  const base = `${settings.prefix}/${part(model)}`;
  for (const port of ports) walk(`${base}/${part(port.name)}`, specOf(port), port.name, true);
  return out;
}
