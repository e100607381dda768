// Walks one output value into numeric OSC messages by its shape (see index.ts for the rules).
import type { TypedArgument } from 'osc';
import { MAX_STRING_BYTES, type Settings } from './options.ts';
import { isNamedPoints, zeroOf, flatten, isNumberList, isTensor, isDataUri, toFloat, declaredLength, declaresNumbers, declaredNames, itemOf, isNumberSpec, isRecord, NOT_NUMERIC, type Spec, type TensorValue } from './specs.ts';
import { BUNDLE_HEADER, ELEMENT_SIZE, cutUtf8, float, int, messageSize, pad4, part, str, type Message } from './wire.ts';
export class Encoder {
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
