// The relay's wire format: one binary WebSocket message per message object.
//
//   [u32 LE: n][n bytes: UTF-8 JSON header][blob 0][blob 1]…
//
// Byte arrays anywhere in the object travel as raw bytes after the header; the header holds
// `{"$bin": i}` in their place and lists their lengths under "$bins". Images thus cross the relay
// without base64, and the JSON part stays small.

const BIN = '$bin';

export function encodeFrame(message: unknown): Uint8Array<ArrayBuffer> {
  const blobs: Uint8Array[] = [];
  // The replacer reads the holder's own property: JSON.stringify has already turned a Node Buffer
  // into {type:'Buffer', data:[…]} by the time `value` arrives.
  const header = JSON.stringify(message, function (this: Record<string, unknown>, key, value: unknown) {
    const raw = this[key];
    if (raw instanceof Uint8Array) {
      blobs.push(raw);
      return { [BIN]: blobs.length - 1 };
    }
    return value;
  });
  const json = new TextEncoder().encode(JSON.stringify({ h: JSON.parse(header), $bins: blobs.map((b) => b.byteLength) }));
  let total = 4 + json.byteLength;
  for (const b of blobs) total += b.byteLength;
  const out = new Uint8Array(total);
  new DataView(out.buffer).setUint32(0, json.byteLength, true);
  out.set(json, 4);
  let offset = 4 + json.byteLength;
  for (const b of blobs) {
    out.set(b, offset);
    offset += b.byteLength;
  }
  return out;
}

export function decodeFrame(data: Uint8Array): unknown {
  if (data.byteLength < 4) throw new Error('relay frame shorter than its header length');
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const n = view.getUint32(0, true);
  if (4 + n > data.byteLength) throw new Error('relay frame header runs past the frame');
  const { h, $bins } = JSON.parse(new TextDecoder().decode(data.subarray(4, 4 + n))) as { h: unknown; $bins: number[] };
  const blobs: Uint8Array[] = [];
  let offset = 4 + n;
  for (const len of $bins) {
    if (offset + len > data.byteLength) throw new Error('relay frame blob runs past the frame');
    // A view, not a copy: the frame's buffer is handed on (to the worker) whole.
    blobs.push(data.subarray(offset, offset + len));
    offset += len;
  }
  return revive(h, blobs);
}

function revive(value: unknown, blobs: Uint8Array[]): unknown {
  if (Array.isArray(value)) return value.map((v) => revive(v, blobs));
  if (value && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const i = obj[BIN];
    if (typeof i === 'number' && Object.keys(obj).length === 1) {
      const blob = blobs[i];
      if (!blob) throw new Error(`relay frame refers to missing blob ${i}`);
      return blob;
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(obj)) out[k] = revive(v, blobs);
    return out;
  }
  return value;
}
