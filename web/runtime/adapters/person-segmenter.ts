// MediaPipe selfie segmentation: the image resized (not letterboxed) to the network's input, RGB in 0..1,
// and the network's per-pixel person probabilities resized back to the image as a greyscale PNG (png.ts), as
// MediaPipe's SelfieSegmentationCpu graph does (ImageToTensor with keep_aspect_ratio false,
// TensorsToSegmentation with no activation).
import type { Values } from '../../contract/index.ts';
import type { Adapter } from './adapter.ts';
import { InputError } from '../errors.ts';
import { decodeImage, rgbaToNhwc, stretch } from '../image.ts';
import { encodeGreyPng } from '../png.ts';

/**
 * A width×height map of probabilities (0..1) resized to imageWidth×imageHeight grey bytes (bilinear,
 * pixel centres aligned as a canvas draws): 255 is a person, 0 the background.
 */
export function maskToGrey(probabilities: ArrayLike<number>, width: number, height: number, imageWidth: number,
  imageHeight: number): Uint8Array {
  const out = new Uint8Array(imageWidth * imageHeight);
  const sx = width / imageWidth;
  const sy = height / imageHeight;
  // Where each column falls in the map: the two columns either side and the weight of the right one.
  const x0 = new Int32Array(imageWidth), x1 = new Int32Array(imageWidth), fx = new Float32Array(imageWidth);
  for (let x = 0; x < imageWidth; x++) {
    const at = Math.min(width - 1, Math.max(0, (x + 0.5) * sx - 0.5));
    x0[x] = Math.floor(at);
    x1[x] = Math.min(width - 1, x0[x]! + 1);
    fx[x] = at - x0[x]!;
  }
  for (let y = 0; y < imageHeight; y++) {
    const at = Math.min(height - 1, Math.max(0, (y + 0.5) * sy - 0.5));
    const r0 = Math.floor(at) * width;
    const r1 = Math.min(height - 1, Math.floor(at) + 1) * width;
    const fy = at - Math.floor(at);
    for (let x = 0; x < imageWidth; x++) {
      const top = probabilities[r0 + x0[x]!]! * (1 - fx[x]!) + probabilities[r0 + x1[x]!]! * fx[x]!;
      const bottom = probabilities[r1 + x0[x]!]! * (1 - fx[x]!) + probabilities[r1 + x1[x]!]! * fx[x]!;
      const v = top * (1 - fy) + bottom * fy;
      out[y * imageWidth + x] = Math.round(Math.min(1, Math.max(0, v)) * 255);
    }
  }
  return out;
}

/** Grey mask pixels (RGBA, as a canvas reads a greyscale PNG) → the tint, as opaque as the mask times
 *  `opacity`: a translucent overlay over the person, nothing over the background. In place. */
export function tintPixels(rgba: Uint8ClampedArray, tint: readonly [number, number, number], opacity: number): void {
  for (let i = 0; i < rgba.length; i += 4) {
    const alpha = rgba[i]! * opacity;
    rgba[i] = tint[0];
    rgba[i + 1] = tint[1];
    rgba[i + 2] = tint[2];
    rgba[i + 3] = alpha;
  }
}

// Overlays made for drawing, by the mask they came from (PNG bytes from a protocol, or the embed API's
// ImageData): `draw` is synchronous, a PNG decodes only asynchronously, so `prepare` makes them first.
const overlays = new WeakMap<object, ImageBitmap>();

/** The colour (#00e676, as face boxes are drawn) and greatest opacity of the overlay over a person. */
const TINT = [0x00, 0xe6, 0x76] as const;
const OPACITY = 0.5;

export const personSegmenter: Adapter = {
  async run(inputs: Values, { networks }) {
    const variant = inputs.variant ?? 'general';
    const network = typeof variant === 'string' ? networks[variant] : undefined;
    if (!network) throw new InputError(`input "variant" must be one of ${Object.keys(networks).map((k) => JSON.stringify(k)).join(', ')}`);
    const input = network.inputs[0]!;
    const [, height, width] = input.shape as number[];
    const bitmap = await decodeImage(inputs.image, 'image');
    const image = { width: bitmap.width, height: bitmap.height };
    const pixels = stretch(bitmap, width!, height!);
    bitmap.close();
    const out = await network.run({ [input.name]: { type: 'float32', dims: [1, height!, width!, 3], data: rgbaToNhwc(pixels, 1 / 255, 0) } });
    const probabilities = out[network.outputs[0]!.name]!.data as Float32Array;
    const mask = await encodeGreyPng(maskToGrey(probabilities, width!, height!, image.width, image.height), image.width, image.height);
    return { mask, width: image.width, height: image.height };
  },

  async prepare(outputs) {
    const mask = outputs.mask;
    const isBytes = mask instanceof Uint8Array;
    if (!(isBytes || (typeof ImageData !== 'undefined' && mask instanceof ImageData)) || overlays.has(mask)) return;
    const width = isBytes ? 0 : mask.width, height = isBytes ? 0 : mask.height;
    const grey = isBytes ? await createImageBitmap(new Blob([mask as Uint8Array<ArrayBuffer>], { type: 'image/png' })) : undefined;
    const canvas = new OffscreenCanvas(grey?.width ?? width, grey?.height ?? height);
    const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
    let pixels: ImageData;
    if (grey) {
      ctx.drawImage(grey, 0, 0);
      grey.close();
      pixels = ctx.getImageData(0, 0, canvas.width, canvas.height);
    } else pixels = new ImageData(new Uint8ClampedArray((mask as ImageData).data), width, height);
    tintPixels(pixels.data, TINT, OPACITY);
    ctx.putImageData(pixels, 0, 0);
    overlays.set(mask, canvas.transferToImageBitmap());
  },

  draw(ctx, outputs, width, height) {
    const overlay = typeof outputs.mask === 'object' && outputs.mask ? overlays.get(outputs.mask) : undefined;
    if (overlay) ctx.drawImage(overlay, 0, 0, width, height);
  },
};
