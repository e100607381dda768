// Small files that declare large media, as an attacker makes them: a PNG of 20000×20000 pixels in
// tens of KB, a JPEG whose frame header claims 65000×60000, WAV files with any rate and length.
import { deflateSync } from 'node:zlib';
import { crc32 } from '../../web/runtime/png.ts';

function chunk(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** A greyscale PNG of width×height black pixels; rows of zeros deflate to almost nothing (up to 64 MB of rows). */
export function bigPng(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth; colour type 0: grey
  const rows = Math.min(height, Math.floor((64 << 20) / (width + 1)));
  const idat = deflateSync(Buffer.alloc(rows * (width + 1)), { level: 9 });
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', Buffer.alloc(0))]);
}

/** A baseline JPEG's headers up to its frame header, claiming width×height, then a scan of nothing. */
export function hugeJpeg(width: number, height: number): Buffer {
  const app0 = Buffer.from([0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0]);
  const sof = Buffer.from([0xff, 0xc0, 0, 11, 8, height >> 8, height & 0xff, width >> 8, width & 0xff, 1, 1, 0x11, 0]);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), app0, sof, Buffer.from([0xff, 0xda, 0, 8, 1, 1, 0, 0, 63, 0]), Buffer.alloc(64), Buffer.from([0xff, 0xd9])]);
}

/** A mono PCM WAV file at `rate` Hz holding `frames` samples of silence, 16-bit (or 8-bit: half the bytes). */
export function wav(rate: number, frames: number, bits: 8 | 16 = 16): Buffer {
  const width = bits / 8;
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(36 + frames * width, 4);
  header.write('WAVEfmt ', 8, 'latin1');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * width, 28);
  header.writeUInt16LE(width, 32);
  header.writeUInt16LE(bits, 34);
  header.write('data', 36, 'latin1');
  header.writeUInt32LE(frames * width, 40);
  // 8-bit PCM is unsigned: silence is 128.
  return Buffer.concat([header, Buffer.alloc(frames * width, bits === 8 ? 128 : 0)]);
}
