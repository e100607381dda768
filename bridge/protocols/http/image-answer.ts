// An output image as the HTTP answer itself, for a client that asks for it (`?format=png` or `jpeg`, or an
// Accept header that names an image type and not JSON): a mask or a picture straight into an <img>, a
// file, or an image decoder, with no JSON and no base64 in between.
import type { Values } from '../../../web/contract/index.ts';

/** Whether the request asks for the output image rather than JSON. */
export function wantsImage(format: unknown, accept: string | undefined): boolean {
  if (typeof format === 'string') return /^(png|jpe?g|image)$/i.test(format);
  if (!accept) return false;
  return /\bimage\//i.test(accept) && !/\bapplication\/json\b/i.test(accept);
}

/** The model's image output among its outputs (the first, as bytes), or undefined. */
export function imageOutput(outputs: Values, imagePorts: readonly string[]): Uint8Array | undefined {
  for (const name of imagePorts) {
    const value = outputs[name];
    if (value instanceof Uint8Array) return value;
  }
  return undefined;
}
