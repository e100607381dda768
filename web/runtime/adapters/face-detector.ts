// BlazeFace (MediaPipe) face detection: anchor decoding and weighted non-maximum suppression, as in
// MediaPipe's TensorsToDetectionsCalculator and NonMaxSuppressionCalculator (WEIGHTED; shared with the
// pose and palm detectors in landmarks/detections.ts).
import type { Adapter } from './adapter.ts';
import { decodeImage, letterbox, rgbaToNhwc } from '../image.ts';
import { unletterbox, weightedNms, type Detection } from './landmarks/detections.ts';

/** A face: its box normalized to the image, and six [x, y] keypoints: right eye, left eye, nose tip, mouth
 *  centre, right ear tragion, left ear tragion. */
export type Face = Detection;

/** Anchor centres for one feature map: `grid`×`grid` cells, `perCell` anchors each, centres at (i+0.5)/grid. */
export function anchorGrid(grid: number, perCell: number): Float32Array {
  const out = new Float32Array(grid * grid * perCell * 2);
  let k = 0;
  for (let y = 0; y < grid; y++) {
    for (let x = 0; x < grid; x++) {
      for (let a = 0; a < perCell; a++) {
        out[k++] = (x + 0.5) / grid;
        out[k++] = (y + 0.5) / grid;
      }
    }
  }
  return out;
}

/**
 * Decodes one output head: `scores` (logits, one per anchor) and `boxes` (16 per anchor: centre
 * offset x/y, width, height, then six keypoints x/y, all in input pixels of a `size`-pixel square).
 * Returns candidates above `threshold` in model coordinates (0..1 of the square).
 */
export function decodeHead(scores: Float32Array, boxes: Float32Array, anchors: Float32Array, size: number,
  threshold: number): Face[] {
  const out: Face[] = [];
  const n = scores.length;
  for (let i = 0; i < n; i++) {
    // MediaPipe clips logits to ±100 before the sigmoid.
    const logit = Math.max(-100, Math.min(100, scores[i]!));
    const score = 1 / (1 + Math.exp(-logit));
    if (score < threshold) continue;
    const ax = anchors[i * 2]!;
    const ay = anchors[i * 2 + 1]!;
    const b = i * 16;
    const cx = ax + boxes[b]! / size;
    const cy = ay + boxes[b + 1]! / size;
    const w = boxes[b + 2]! / size;
    const h = boxes[b + 3]! / size;
    const keypoints: [number, number][] = [];
    for (let k = 0; k < 6; k++) keypoints.push([ax + boxes[b + 4 + k * 2]! / size, ay + boxes[b + 5 + k * 2]! / size]);
    out.push({ box: [cx - w / 2, cy - h / 2, w, h], score, keypoints });
  }
  return out;
}

const round = (v: number) => Math.round(v * 1e5) / 1e5;

// Anchors depend only on the feature map sizes: compute them once.
const anchorsHi = anchorGrid(16, 2);
const anchorsLo = anchorGrid(8, 6);

interface Params { size: number; scoreThreshold: number; iouThreshold: number; maxFaces: number }

export const faceDetector: Adapter = {
  async run(inputs, { network, manifest }) {
    const p = { size: 256, scoreThreshold: 0.5, iouThreshold: 0.3, maxFaces: 20, ...manifest.params } as Params;
    const bitmap = await decodeImage(inputs.image, 'image');
    const { pixels, box } = letterbox(bitmap, p.size);
    bitmap.close();
    const input = { type: 'float32', data: rgbaToNhwc(pixels, 1 / 127.5, -1), dims: [1, p.size, p.size, 3] };
    const out = await network.run({ [network.inputs[0]!.name]: input });
    const data = (name: string) => out[name]!.data as Float32Array;
    const candidates = [
      ...decodeHead(data('Identity:0'), data('Identity_2:0'), anchorsHi, p.size, p.scoreThreshold),
      ...decodeHead(data('Identity_1:0'), data('Identity_3:0'), anchorsLo, p.size, p.scoreThreshold),
    ];
    const faces = weightedNms(candidates, p.iouThreshold, p.maxFaces).map((f) => unletterbox(f, box)).map((f) => ({
      box: f.box.map(round),
      score: round(f.score),
      keypoints: f.keypoints.map(([x, y]) => [round(x), round(y)]),
    }));
    return { faces };
  },

  draw(ctx, outputs, width, height) {
    const faces = (outputs.faces ?? []) as Face[];
    const line = Math.max(2, Math.round(Math.min(width, height) / 200));
    ctx.lineWidth = line;
    ctx.font = `${Math.max(12, line * 6)}px sans-serif`;
    for (const f of faces) {
      const [x, y, w, h] = f.box;
      ctx.strokeStyle = '#00e676';
      ctx.strokeRect(x * width, y * height, w * width, h * height);
      ctx.fillStyle = '#ff1744';
      for (const [kx, ky] of f.keypoints) {
        ctx.beginPath();
        ctx.arc(kx * width, ky * height, line * 1.5, 0, Math.PI * 2);
        ctx.fill();
      }
      ctx.fillStyle = '#00e676';
      ctx.fillText(f.score.toFixed(2), x * width, Math.max(line * 6, y * height - line * 2));
    }
  },
};
