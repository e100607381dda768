// OSC sizes, typed arguments and datagrams: every datagram within the byte limit (see index.ts).
import osc, { type TimeTag, type TypedArgument } from 'osc';
import { MAX_PART_BYTES, type Settings } from './options.ts';
import { toFloat } from './specs.ts';

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();
export const pad4 = (n: number) => (n + 3) & ~3;
export const byteLength = (s: string) => utf8.encode(s).length;

/** A message's encoded size: its address, type tags and arguments, each NUL-ended and padded to 4 bytes. */
export function messageSize(address: string, args: readonly TypedArgument[]): number {
  let size = pad4(byteLength(address) + 1) + pad4(args.length + 2);
  for (const a of args) size += a.type === 's' ? pad4(byteLength(a.value as string) + 1) : 4;
  return size;
}

/** At most `max` bytes of a string's UTF-8, cut before a character, never inside one; NULs dropped (they end OSC strings). */
export function cutUtf8(s: string, max: number): string {
  const bytes = utf8.encode(s.includes('\0') ? s.replaceAll('\0', '') : s);
  if (bytes.length <= max) return fromUtf8.decode(bytes);
  let end = Math.max(0, max);
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--; // a continuation byte: back to its character's start
  return fromUtf8.decode(bytes.subarray(0, end));
}

/** A name as one address part: printable ASCII without OSC's reserved characters, at most MAX_PART_BYTES. */
export function part(name: string): string {
  const clean = name.replace(/[^\x21-\x7e]|[#*,/?[\]{}]/g, '_').slice(0, MAX_PART_BYTES);
  return clean === '' ? '_' : clean;
}

export const int = (value: number): TypedArgument => ({ type: 'i', value: Math.trunc(toFloat(value)) | 0 });
export const float = (value: unknown): TypedArgument => ({ type: 'f', value: toFloat(value) });
export const str = (value: string): TypedArgument => ({ type: 's', value });

/** Bundle header ("#bundle", timetag) and one element's size field. */
export const BUNDLE_HEADER = 16;
export const ELEMENT_SIZE = 4;
/** osc.js writes `raw` when given: seconds 0, fraction 1 is OSC's "immediately". */
const IMMEDIATELY: TimeTag = { raw: [0, 1], native: 0 };

export interface Message { address: string; args: TypedArgument[] }

export function pack(messages: Message[], settings: Settings): Uint8Array[] {
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
