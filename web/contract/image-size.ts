// An image's declared width and height, read from its header before anything decodes it: a 48 KB PNG
// may declare 20000×20000 pixels (1.6 GB decoded). The bridge's input check (bridge/core/validate.ts)
// and the page's decoder (web/runtime/image.ts) both refuse what is over the pixel limit from this.
// Every reader runs in time linear in the input and never backtracks: each step of a loop moves forward.

export type ImageType = 'png' | 'jpeg' | 'gif' | 'webp' | 'bmp';

export interface ImageSize {
  type: ImageType;
  width: number;
  height: number;
}

/** Pixels an image may declare by default (--max-pixels): a 24 MP camera photo or an 8K frame (33 MP) fits. */
export const DEFAULT_MAX_PIXELS = 40_000_000;

/** The image type by its signature, whether or not the rest of the header is there. */
export function imageType(b: Uint8Array): ImageType | undefined {
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47 && b[4] === 0x0d && b[5] === 0x0a && b[6] === 0x1a && b[7] === 0x0a) return 'png';
  if (b.length >= 6 && ascii(b, 0, 3) === 'GIF') return 'gif';
  if (b.length >= 12 && ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 4) === 'WEBP') return 'webp';
  if (b.length >= 2 && b[0] === 0x42 && b[1] === 0x4d) return 'bmp';
  return undefined;
}

/**
 * The image's type and declared size, or `{ type, why }` when its header is truncated or makes no
 * sense, or undefined when it is no image type read here (PNG, JPEG, GIF, WebP, BMP).
 */
export function imageSize(bytes: Uint8Array): ImageSize | { type: ImageType; why: string } | undefined {
  const type = imageType(bytes);
  if (!type) return undefined;
  const size = READERS[type](bytes);
  if (typeof size === 'string') return { type, why: size };
  if (!(size.width > 0 && size.height > 0)) return { type, why: `its header declares ${size.width}×${size.height} pixels` };
  return { type, ...size };
}

/** Counts the steps the readers take, for tests that hold them to linear work. */
export const imageSizeSteps = { count: 0 };

type Reader = (b: Uint8Array) => { width: number; height: number } | string;

const TRUNCATED = 'its header is truncated';

function ascii(b: Uint8Array, at: number, n: number): string {
  let s = '';
  for (let i = 0; i < n && at + i < b.length; i++) s += String.fromCharCode(b[at + i]!);
  return s;
}
const u16be = (b: Uint8Array, at: number) => (b[at]! << 8) | b[at + 1]!;
const u16le = (b: Uint8Array, at: number) => b[at]! | (b[at + 1]! << 8);
const u24le = (b: Uint8Array, at: number) => b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16);
const u32be = (b: Uint8Array, at: number) => ((b[at]! << 24) >>> 0) + ((b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!);
const i32le = (b: Uint8Array, at: number) => b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24);

const READERS: Record<ImageType, Reader> = {
  // The signature, then IHDR first of all chunks: width and height, 4 bytes each, big-endian.
  png(b) {
    if (b.length < 24) return TRUNCATED;
    if (ascii(b, 12, 4) !== 'IHDR') return 'its first chunk is not IHDR';
    return { width: u32be(b, 16), height: u32be(b, 20) };
  },

  // Segments from SOI on, each a marker (0xFF, any 0xFF fill bytes, a code) and, but for the standalone
  // markers, a 2-byte length that counts itself; the first start-of-frame (SOF0–SOF15 but DHT, JPG, DAC)
  // holds precision, height and width. Every step moves at least one byte forward.
  jpeg(b) {
    let at = 2;
    while (at < b.length) {
      imageSizeSteps.count++;
      if (b[at] !== 0xff) return `a JPEG segment at byte ${at} does not start with a marker`;
      // Fill bytes: any number of 0xFF before the marker's code.
      while (at < b.length && b[at] === 0xff) { at++; imageSizeSteps.count++; }
      if (at >= b.length) break;
      const code = b[at++]!;
      // Standalone markers: TEM, RST0–7, SOI; EOI ends the image.
      if (code === 0x01 || (code >= 0xd0 && code <= 0xd8)) continue;
      if (code === 0xd9) return 'it ends before its frame header';
      if (code === 0xda) return 'its scan starts before its frame header';
      if (at + 2 > b.length) break;
      const length = u16be(b, at);
      if (length < 2) return `a JPEG segment at byte ${at - 2} has a length of ${length}`;
      if (code >= 0xc0 && code <= 0xcf && code !== 0xc4 && code !== 0xc8 && code !== 0xcc) {
        if (at + 7 > b.length) break;
        return { width: u16be(b, at + 5), height: u16be(b, at + 3) };
      }
      at += length;
    }
    return TRUNCATED;
  },

  // The logical screen, grown to the first frame's extent as browsers grow it (a frame may be larger
  // than the screen it sits on): blocks from the header on, extensions skipped sub-block by sub-block.
  gif(b) {
    if (b.length < 13) return TRUNCATED;
    let width = u16le(b, 6);
    let height = u16le(b, 8);
    let at = 13 + (b[10]! & 0x80 ? 3 << ((b[10]! & 7) + 1) : 0);
    while (at < b.length) {
      imageSizeSteps.count++;
      const block = b[at]!;
      if (block === 0x2c) {
        if (at + 9 > b.length) return TRUNCATED;
        width = Math.max(width, u16le(b, at + 1) + u16le(b, at + 5));
        height = Math.max(height, u16le(b, at + 3) + u16le(b, at + 7));
        return { width, height };
      }
      if (block === 0x3b) break;
      if (block !== 0x21) return `an unknown GIF block 0x${block.toString(16)} at byte ${at}`;
      // Extension: introducer, label, then sub-blocks (a size byte and that many bytes) up to a size of 0.
      at += 2;
      while (at < b.length && b[at] !== 0) { imageSizeSteps.count++; at += b[at]! + 1; }
      at++;
    }
    // A GIF with no frame decodes to nothing; its screen is the most it could be.
    return { width, height };
  },

  // RIFF/WEBP, then the first chunk: VP8 (lossy: 14-bit sizes after the key frame's start code), VP8L
  // (lossless: 14-bit sizes minus one, bit-packed), VP8X (extended: 24-bit canvas sizes minus one).
  webp(b) {
    if (b.length < 30) return TRUNCATED;
    const chunk = ascii(b, 12, 4);
    if (chunk === 'VP8 ') {
      if (b[23] !== 0x9d || b[24] !== 0x01 || b[25] !== 0x2a) return 'its VP8 frame has no start code';
      return { width: u16le(b, 26) & 0x3fff, height: u16le(b, 28) & 0x3fff };
    }
    if (chunk === 'VP8L') {
      if (b[20] !== 0x2f) return 'its VP8L chunk has no signature';
      const bits = (b[21]! | (b[22]! << 8) | (b[23]! << 16) | (b[24]! << 24)) >>> 0;
      return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
    }
    if (chunk === 'VP8X') return { width: u24le(b, 24) + 1, height: u24le(b, 27) + 1 };
    return `its first WebP chunk is "${chunk}", not VP8, VP8L or VP8X`;
  },

  // BITMAPFILEHEADER, then the DIB header: the old 12-byte core header has 16-bit sizes, every later one
  // 32-bit signed ones (a negative height: rows top-down).
  bmp(b) {
    if (b.length < 26) return TRUNCATED;
    const header = b[14]! | (b[15]! << 8) | (b[16]! << 16) | (b[17]! << 24);
    if (header === 12) return { width: u16le(b, 18), height: u16le(b, 20) };
    return { width: Math.abs(i32le(b, 18)), height: Math.abs(i32le(b, 22)) };
  },
};

/**
 * Why an image is refused before decoding, or undefined when it may be decoded: no image type read
 * here, a header that makes no sense, or more than `maxPixels` pixels declared.
 */
export function imageRefusal(bytes: Uint8Array, maxPixels: number): { code: 'bad_request' | 'too_large'; why: string } | undefined {
  const size = imageSize(bytes);
  if (!size) return { code: 'bad_request', why: `${bytes.byteLength} bytes, neither JPEG, PNG, GIF, WebP nor BMP` };
  if ('why' in size) return { code: 'bad_request', why: `a ${size.type.toUpperCase()} of ${bytes.byteLength} bytes that does not decode: ${size.why}` };
  const pixels = size.width * size.height;
  if (pixels > maxPixels) {
    return { code: 'too_large', why: `a ${size.width}×${size.height} ${size.type.toUpperCase()} is ${pixels} pixels, over the limit of ${maxPixels} (--max-pixels)` };
  }
  return undefined;
}
