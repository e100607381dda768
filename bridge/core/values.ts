// Image values: bytes (binary protocols, the relay) → data URIs (JSON protocols). The other way is the
// contract's decodeDataUri.
import type { Values } from '../../web/contract/index.ts';

/** The image type of some bytes by their signature, or undefined if they are no image we know. */
export function sniffImage(bytes: Uint8Array): string | undefined {
  const b = bytes;
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
  if (b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return 'image/png';
  if (b.length >= 6 && b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46) return 'image/gif';
  if (b.length >= 12 && b[0] === 0x52 && b[1] === 0x49 && b[8] === 0x57 && b[9] === 0x45) return 'image/webp';
  if (b.length >= 2 && b[0] === 0x42 && b[1] === 0x4d) return 'image/bmp';
  return undefined;
}

export function toDataUri(bytes: Uint8Array): string {
  const type = sniffImage(bytes) ?? 'application/octet-stream';
  return `data:${type};base64,${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')}`;
}

/** Output values as plain JSON: byte arrays (images) become data URIs. */
export function toJson(values: Values): Values {
  return replaceBytes(values) as Values;
}

function replaceBytes(value: unknown): unknown {
  if (value instanceof Uint8Array) return toDataUri(value);
  if (Array.isArray(value)) return value.map(replaceBytes);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = replaceBytes(v);
    return out;
  }
  return value;
}

/** The first image among a model's outputs (its ports of type image), as bytes; undefined if none holds one. */
export function imageOutput(outputs: Values, imagePorts: readonly string[]): Uint8Array | undefined {
  for (const name of imagePorts) {
    const value = outputs[name];
    if (value instanceof Uint8Array) return value;
  }
  return undefined;
}
