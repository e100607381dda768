// Image helpers for adapters. They run in the worker (OffscreenCanvas, createImageBitmap).
import { imageRefusal } from '../contract/index.ts';
import { InputError } from './errors.ts';
import { mediaLimits, refusedInput } from './limits.ts';

export type ImageSource = ImageBitmap | OffscreenCanvas | ImageData;

/** An image input as a bitmap: bytes (JPEG/PNG/…) are decoded; a bitmap passes as it is.
 *  `name` is the input's name, for the error message. Bytes are refused before decoding when their
 *  header declares more pixels than the limit (web/runtime/limits.ts), or when it cannot be read: the
 *  embed API has no bridge to check them first. */
export async function decodeImage(value: unknown, name: string): Promise<ImageBitmap> {
  if (typeof ImageBitmap !== 'undefined' && value instanceof ImageBitmap) return value;
  if (!(value instanceof Uint8Array)) throw new InputError(`input "${name}" is missing or not an image`);
  const bytes = value;
  const refused = imageRefusal(bytes, mediaLimits.maxPixels);
  if (refused?.code === 'too_large') throw refusedInput(`input "${name}" is too large: ${refused.why}`, 'too_large');
  if (refused) throw new InputError(`input "${name}" is not an image that can be decoded (${refused.why})`);
  try {
    return await createImageBitmap(new Blob([bytes as Uint8Array<ArrayBuffer>]));
  } catch {
    throw new InputError(`input "${name}" is not an image that can be decoded (${bytes.byteLength} bytes; send JPEG or PNG)`);
  }
}

/** Where a square model input sits in the original image: model coordinates (0..1) → image (0..1). */
export interface Letterbox {
  /** Fraction of the square the image's width and height fill. */
  scaleX: number;
  scaleY: number;
  /** Offset of the image inside the square, as a fraction of the square. */
  padX: number;
  padY: number;
}

/** Draws `image` centred in a size×size square, keeping its aspect ratio (as MediaPipe does). */
export function letterbox(image: ImageBitmap, size: number): { pixels: Uint8ClampedArray; box: Letterbox } {
  const canvas = new OffscreenCanvas(size, size);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('OffscreenCanvas 2D context is not available');
  const s = Math.min(size / image.width, size / image.height);
  const w = image.width * s;
  const h = image.height * s;
  const x = (size - w) / 2;
  const y = (size - h) / 2;
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, size, size);
  ctx.drawImage(image, x, y, w, h);
  return {
    pixels: ctx.getImageData(0, 0, size, size).data,
    box: { scaleX: w / size, scaleY: h / size, padX: x / size, padY: y / size },
  };
}

/** Draws `image` resized to width×height (aspect ratio not kept) and returns its RGBA bytes. */
export function stretch(image: ImageBitmap, width: number, height: number): Uint8ClampedArray {
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('OffscreenCanvas 2D context is not available');
  ctx.drawImage(image, 0, 0, width, height);
  return ctx.getImageData(0, 0, width, height).data;
}

/** RGBA bytes → float32 NHWC RGB with `v * scale + offset`. */
export function rgbaToNhwc(pixels: Uint8ClampedArray, scale: number, offset: number): Float32Array {
  const n = pixels.length / 4;
  const out = new Float32Array(n * 3);
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    out[j] = pixels[i * 4]! * scale + offset;
    out[j + 1] = pixels[i * 4 + 1]! * scale + offset;
    out[j + 2] = pixels[i * 4 + 2]! * scale + offset;
  }
  return out;
}
