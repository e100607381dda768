// The relay's wire format: each binary WebSocket message holds one or more frames, back to back,
// one frame per message object:
//
//   [u32 LE: n][n bytes: UTF-8 JSON header][blob 0][blob 1]…
//
// Byte arrays anywhere in the object travel as raw bytes after the header; the header holds
// `{"$bin": i}` in their place and lists their lengths under "$bins". Images thus cross the relay
// without base64, and the JSON part stays small. Several frames to one WebSocket message: under load
// each side sends what it has in one message (see FrameBatcher), not one message per query.

const BIN = '$bin';

// Both sides have TextEncoder and TextDecoder (browsers, workers, Node); this module is typed without
// DOM or Node types, so it names the little it uses.
interface TextCodecs {
  TextEncoder: new () => { encode(text: string): Uint8Array<ArrayBuffer> };
  TextDecoder: new () => { decode(bytes: Uint8Array): string };
}
const codecs = globalThis as unknown as TextCodecs;
const encoder = new codecs.TextEncoder();
const decoder = new codecs.TextDecoder();

/** Whether `value` holds a byte array anywhere (a replacer makes JSON.stringify several times slower,
 *  so a message without one, most small answers, is written without it). */
function holdsBytes(value: unknown, depth = 0): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (value instanceof Uint8Array) return true;
  // As deep as JSON.stringify would go before failing on a cycle: past this, let the replacer look.
  if (depth > 64) return true;
  if (Array.isArray(value)) {
    for (const v of value) if (v !== null && typeof v === 'object' && holdsBytes(v, depth + 1)) return true;
    return false;
  }
  // A Node Buffer is a Uint8Array (above); an object with toJSON may become anything: the replacer sees it.
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return true;
  for (const k in value) {
    const v = (value as Record<string, unknown>)[k];
    if (v !== null && typeof v === 'object' && holdsBytes(v, depth + 1)) return true;
  }
  return false;
}

export function encodeFrame(message: unknown): Uint8Array<ArrayBuffer> {
  const blobs: Uint8Array[] = [];
  // The replacer reads the holder's own property: JSON.stringify has already turned a Node Buffer
  // into {type:'Buffer', data:[…]} by the time `value` arrives.
  const header = !holdsBytes(message) ? JSON.stringify(message) : JSON.stringify(message, function (this: Record<string, unknown>, key, value: unknown) {
    const raw = this[key];
    if (raw instanceof Uint8Array) {
      blobs.push(raw);
      return { [BIN]: blobs.length - 1 };
    }
    return value;
  });
  const json = encoder.encode(`{"h":${header},"$bins":${JSON.stringify(blobs.map((b) => b.byteLength))}}`);
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

/** The first frame of `data`. */
export function decodeFrame(data: Uint8Array): unknown {
  return decodeAt(data, 0).message;
}

/** Every frame of one WebSocket message. */
export function decodeFrames(data: Uint8Array): unknown[] {
  const messages: unknown[] = [];
  for (let offset = 0; offset < data.byteLength;) {
    const { message, end } = decodeAt(data, offset);
    messages.push(message);
    offset = end;
  }
  return messages;
}

function decodeAt(data: Uint8Array, start: number): { message: unknown; end: number } {
  if (data.byteLength - start < 4) throw new Error('relay frame shorter than its header length');
  const n = new DataView(data.buffer, data.byteOffset + start, 4).getUint32(0, true);
  let offset = start + 4 + n;
  if (offset > data.byteLength) throw new Error('relay frame header runs past the frame');
  const text = decoder.decode(data.subarray(start + 4, offset));
  const { h, $bins } = JSON.parse(text) as { h: unknown; $bins: number[] };
  // A frame with no byte array and no placeholder (most small ones) is its header as parsed: no second pass.
  if (Array.isArray($bins) && $bins.length === 0 && !text.includes(`"${BIN}"`)) return { message: h, end: offset };
  const blobs: Uint8Array[] = [];
  for (const len of $bins) {
    if (offset + len > data.byteLength) throw new Error('relay frame blob runs past the frame');
    // A view, not a copy.
    blobs.push(data.subarray(offset, offset + len));
    offset += len;
  }
  return { message: revive(h, blobs), end: offset };
}

/** Frames this large (images) are sent alone, never copied into a batch. */
const SOLO_BYTES = 16 * 1024;

/**
 * Gathers the frames one side sends during one turn of its event loop into one WebSocket message:
 * under load a single message carries many queries or answers, and each message costs a trip
 * through the browser's network process. A lone frame goes out as it is, one turn later; a large one
 * (an image) at once, never copied into a batch.
 */
export class FrameBatcher {
  private frames: Uint8Array<ArrayBuffer>[] = [];
  private bytes = 0;
  private scheduled = false;

  /** `schedule` runs its callback once the current task is over (setImmediate, a MessageChannel);
   *  `maxBytes`: the largest message the other side takes. */
  constructor(private readonly write: (message: Uint8Array<ArrayBuffer>) => void, private readonly schedule: (flush: () => void) => void,
    public maxBytes = Infinity) {}

  push(frame: Uint8Array<ArrayBuffer>): void {
    if (frame.byteLength >= SOLO_BYTES) {
      // An image or other large frame leaves alone, at once: gathering it would copy it once more.
      this.flush();
      this.write(frame);
      return;
    }
    if (this.frames.length > 0 && this.bytes + frame.byteLength > this.maxBytes) this.flush();
    this.frames.push(frame);
    this.bytes += frame.byteLength;
    if (!this.scheduled) {
      this.scheduled = true;
      this.schedule(() => this.flush());
    }
  }

  flush(): void {
    this.scheduled = false;
    if (this.frames.length === 0) return;
    const frames = this.frames;
    let message = frames[0]!;
    if (frames.length > 1) {
      message = new Uint8Array(this.bytes);
      let offset = 0;
      for (const f of frames) { message.set(f, offset); offset += f.byteLength; }
    }
    this.frames = [];
    this.bytes = 0;
    this.write(message);
  }
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
