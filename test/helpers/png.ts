// Reads the greyscale PNGs the person segmenter makes (web/runtime/png.ts), with Node's zlib: any of PNG's
// five row filters, 8-bit grey only. Enough to check a mask's pixels without a browser.
import assert from 'node:assert/strict';
import { inflateSync } from 'node:zlib';

export interface GreyImage { width: number; height: number; pixels: Uint8Array }

/** The chunks of a PNG, each as its type and data, the CRCs left to the caller. */
export function pngChunks(png: Uint8Array): { type: string; data: Buffer; crc: number }[] {
  const b = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  assert.deepEqual([...b.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
  const chunks = [];
  for (let at = 8; at < b.length;) {
    const n = b.readUInt32BE(at);
    chunks.push({ type: b.toString('latin1', at + 4, at + 8), data: b.subarray(at + 8, at + 8 + n), crc: b.readUInt32BE(at + 8 + n) });
    at += 12 + n;
  }
  return chunks;
}

export function decodeGreyPng(png: Uint8Array): GreyImage {
  const chunks = pngChunks(png);
  const ihdr = chunks.find((c) => c.type === 'IHDR')!.data;
  const width = ihdr.readUInt32BE(0), height = ihdr.readUInt32BE(4);
  assert.equal(ihdr[8], 8, 'bit depth');
  assert.equal(ihdr[9], 0, 'colour type: greyscale');
  const raw = inflateSync(Buffer.concat(chunks.filter((c) => c.type === 'IDAT').map((c) => c.data)));
  assert.equal(raw.length, height * (width + 1));
  const pixels = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (width + 1)]!;
    for (let x = 0; x < width; x++) {
      const v = raw[y * (width + 1) + 1 + x]!;
      const a = x > 0 ? pixels[y * width + x - 1]! : 0;
      const b = y > 0 ? pixels[(y - 1) * width + x]! : 0;
      const c = x > 0 && y > 0 ? pixels[(y - 1) * width + x - 1]! : 0;
      const p = a + b - c;
      const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
      const predicted = [0, a, b, (a + b) >> 1, paeth][filter];
      assert.ok(predicted !== undefined, `row ${y}: filter ${filter}`);
      pixels[y * width + x] = (v + predicted) & 0xff;
    }
  }
  return { width, height, pixels };
}

/** The mean of `image` in a box given as [x, y, w, h], normalized to the image, on a 0..1 scale. */
export function meanIn(image: GreyImage, [x, y, w, h]: readonly number[]): number {
  const x0 = Math.round(x! * image.width), y0 = Math.round(y! * image.height);
  const x1 = Math.round((x! + w!) * image.width), y1 = Math.round((y! + h!) * image.height);
  let sum = 0;
  for (let j = y0; j < y1; j++) for (let i = x0; i < x1; i++) sum += image.pixels[j * image.width + i]!;
  return sum / ((x1 - x0) * (y1 - y0)) / 255;
}
