// BlazeFace (MediaPipe) face detection, shared by the models that run it (face-detector.ts on ONNX,
// face-mesh.ts on TFLite): anchor decoding and weighted non-maximum suppression, as in MediaPipe's
// TensorsToDetectionsCalculator and NonMaxSuppressionCalculator (WEIGHTED), on a letterboxed image.
import type { Network } from '../engines/engine.ts';
import { letterbox, rgbaToNhwc, type Letterbox } from '../image.ts';

export interface Face {
  /** [x, y, width, height], normalized to the image. */
  box: [number, number, number, number];
  score: number;
  /** Six [x, y] points: right eye, left eye, nose tip, mouth centre, right ear tragion, left ear tragion. */
  keypoints: [number, number][];
}

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

export function iou(a: Face['box'], b: Face['box']): number {
  const x0 = Math.max(a[0], b[0]);
  const y0 = Math.max(a[1], b[1]);
  const x1 = Math.min(a[0] + a[2], b[0] + b[2]);
  const y1 = Math.min(a[1] + a[3], b[1] + b[3]);
  const inner = Math.max(0, x1 - x0) * Math.max(0, y1 - y0);
  const union = a[2] * a[3] + b[2] * b[3] - inner;
  return union > 0 ? inner / union : 0;
}

/**
 * Weighted NMS: take the best remaining candidate, gather every candidate overlapping it by at least
 * `iouThreshold`, and replace the cluster by its score-weighted mean (the best score is kept).
 */
export function weightedNms(candidates: Face[], iouThreshold: number, maxFaces: number): Face[] {
  const remaining = [...candidates].sort((p, q) => q.score - p.score);
  const out: Face[] = [];
  while (remaining.length > 0 && out.length < maxFaces) {
    const best = remaining[0]!;
    const cluster: Face[] = [];
    const rest: Face[] = [];
    for (const c of remaining) (iou(best.box, c.box) >= iouThreshold ? cluster : rest).push(c);
    let total = 0;
    const box = [0, 0, 0, 0];
    const kps = best.keypoints.map(() => [0, 0]);
    for (const c of cluster) {
      total += c.score;
      for (let i = 0; i < 4; i++) box[i]! += c.box[i]! * c.score;
      c.keypoints.forEach((p, i) => { kps[i]![0]! += p[0] * c.score; kps[i]![1]! += p[1] * c.score; });
    }
    out.push({
      box: box.map((v) => v / total) as Face['box'],
      score: best.score,
      keypoints: kps.map(([x, y]) => [x! / total, y! / total]),
    });
    remaining.splice(0, remaining.length, ...rest);
  }
  return out;
}

/** Model coordinates (0..1 of the letterboxed square) → image coordinates (0..1 of the image). */
export function unletterbox(face: Face, lb: Letterbox): Face {
  const px = (x: number) => (x - lb.padX) / lb.scaleX;
  const py = (y: number) => (y - lb.padY) / lb.scaleY;
  return {
    box: [px(face.box[0]), py(face.box[1]), face.box[2] / lb.scaleX, face.box[3] / lb.scaleY],
    score: face.score,
    keypoints: face.keypoints.map(([x, y]) => [px(x), py(y)]),
  };
}

export interface DetectorParams { size: number; scoreThreshold: number; iouThreshold: number; maxFaces: number }

/** One output head of a detector: its score (logits) and box outputs by name, and their anchors. */
export interface Head { scores: string; boxes: string; anchors: Float32Array }

/** Faces in `image` (normalized to it), best first: letterboxed into the network's square, RGB in -1..1. */
export async function detectFaces(network: Network, image: ImageBitmap, heads: readonly Head[], p: DetectorParams): Promise<Face[]> {
  const { pixels, box } = letterbox(image, p.size);
  const input = { type: 'float32', data: rgbaToNhwc(pixels, 1 / 127.5, -1), dims: [1, p.size, p.size, 3] };
  const out = await network.run({ [network.inputs[0]!.name]: input });
  const data = (name: string) => out[name]!.data as Float32Array;
  const candidates = heads.flatMap((h) => decodeHead(data(h.scores), data(h.boxes), h.anchors, p.size, p.scoreThreshold));
  return weightedNms(candidates, p.iouThreshold, p.maxFaces).map((f) => unletterbox(f, box));
}
