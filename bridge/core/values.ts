// Image values: bytes (binary protocols, the relay) → data URIs (JSON protocols). The other way is the
// contract's decodeDataUri.
import { imageType, type Values } from '../../web/contract/index.ts';

/** The image type of some bytes by their signature (web/contract/image-size.ts), or undefined if they are no image we know. */
export function sniffImage(bytes: Uint8Array): string | undefined {
  const type = imageType(bytes);
  return type && `image/${type}`;
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
