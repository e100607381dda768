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

// Masks decoded for drawing, by the PNG bytes they came from: `draw` is synchronous, a PNG decodes only
// asynchronously, so `prepare` decodes them first.
const decoded = new WeakMap<Uint8Array, ImageBitmap>();

/** The colour the mask tints a person with in drawings. */
const TINT = '#00e676';

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
    if (!(mask instanceof Uint8Array) || decoded.has(mask)) return;
    decoded.set(mask, await createImageBitmap(new Blob([mask as Uint8Array<ArrayBuffer>], { type: 'image/png' })));
  },

  draw(ctx, outputs, width, height) {
    const mask = outputs.mask instanceof Uint8Array ? decoded.get(outputs.mask) : undefined;
    if (!mask) return;
    // The mask times the tint is the tint where a person is and black elsewhere; screened over the
    // picture it lightens the person towards the tint and leaves the background as it was.
    const tint = new OffscreenCanvas(width, height);
    const t = tint.getContext('2d')!;
    t.drawImage(mask, 0, 0, width, height);
    t.globalCompositeOperation = 'multiply';
    t.fillStyle = TINT;
    t.fillRect(0, 0, width, height);
    ctx.save();
    ctx.globalCompositeOperation = 'screen';
    ctx.globalAlpha = 0.6;
    ctx.drawImage(tint, 0, 0);
    ctx.restore();
  },
};
