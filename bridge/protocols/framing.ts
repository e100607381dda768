// Length-prefixed frames: a 4-byte little-endian unsigned length N, then N bytes.

/** A bad length: the stream cannot be read past it. `frames`: those completed before it, still to answer. */
export class FrameError extends Error {
  constructor(message: string, readonly frames: Buffer[] = []) {
    super(message);
  }
}

/**
 * Collects a byte stream into frames. Holds at most one frame's bytes: a length of 0 or over
 * `maxBytes` is refused before any of its payload is buffered.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private need = -1; // payload length of the frame being read; -1 while reading its length

  constructor(private readonly maxBytes: number) {}

  /** Adds bytes; returns every frame they complete. Throws FrameError on a bad length, holding the frames
   *  completed before it. */
  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Buffer[] = [];
    for (;;) {
      if (this.need < 0) {
        if (this.buffered < 4) break;
        const n = this.take(4).readUInt32LE(0);
        if (n === 0) throw new FrameError('a frame of length 0 (each frame is a 4-byte little-endian length, then that many bytes)', frames);
        if (n > this.maxBytes) throw new FrameError(`a frame of ${n} bytes is over the limit of ${this.maxBytes} bytes (--max-body)`, frames);
        this.need = n;
      }
      if (this.buffered < this.need) break;
      frames.push(this.take(this.need));
      this.need = -1;
    }
    return frames;
  }

  /** Bytes of an unfinished frame (for a peer that stops halfway). */
  get pending(): number {
    return this.buffered;
  }

  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length ? [rest] : [];
    this.buffered = rest.length;
    return out;
  }
}

export function encodeFrame(payload: Uint8Array): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt32LE(payload.byteLength, 0);
  return Buffer.concat([header, payload]);
}
