// SSD detections as MediaPipe decodes and merges them (TensorsToDetectionsCalculator,
// NonMaxSuppressionCalculator with the WEIGHTED algorithm, DetectionLetterboxRemovalCalculator): shared by
// face detection, BlazePose's detector and the palm detector.
import type { Network } from '../../engines/engine.ts';
import { letterbox, rgbaToNhwc, type Letterbox } from '../../image.ts';

export interface Detection {
  /** [x, y, width, height], normalized. */
  box: [number, number, number, number];
  score: number;
  /** [x, y] points, normalized: what each is depends on the detector. */
  keypoints: [number, number][];
}

export interface DecodeOptions {
  /** Values per anchor in the box tensor: 4 for the box, then 2 per keypoint. */
  numCoords: number;
  numKeypoints: number;
  /** The input's size in pixels: regressions are in pixels of it. */
  scale: number;
  minScore: number;
}

const sigmoid = (logit: number) => 1 / (1 + Math.exp(-Math.max(-100, Math.min(100, logit))));

/**
 * One detection per anchor whose score (a logit, clipped to ±100 as MediaPipe does) passes `minScore`:
 * box centre and keypoints are offsets from the anchor's centre, scaled by its size, in input pixels
 * (x first: MediaPipe's reverse_output_order). In input coordinates (0..1 of the letterboxed square).
 */
export function decodeDetections(boxes: Float32Array, scores: Float32Array, anchors: Float32Array, o: DecodeOptions): Detection[] {
  const out: Detection[] = [];
  for (let i = 0; i < scores.length; i++) {
    const score = sigmoid(scores[i]!);
    if (score < o.minScore) continue;
    const [ax, ay, aw, ah] = [anchors[i * 4]!, anchors[i * 4 + 1]!, anchors[i * 4 + 2]!, anchors[i * 4 + 3]!];
    const b = i * o.numCoords;
    const cx = ax + (boxes[b]! / o.scale) * aw;
    const cy = ay + (boxes[b + 1]! / o.scale) * ah;
    const w = (boxes[b + 2]! / o.scale) * aw;
    const h = (boxes[b + 3]! / o.scale) * ah;
    const keypoints: [number, number][] = [];
    for (let k = 0; k < o.numKeypoints; k++) {
      keypoints.push([ax + (boxes[b + 4 + k * 2]! / o.scale) * aw, ay + (boxes[b + 5 + k * 2]! / o.scale) * ah]);
    }
    out.push({ box: [cx - w / 2, cy - h / 2, w, h], score, keypoints });
  }
  return out;
}

export function iou(a: Detection['box'], b: Detection['box']): number {
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
export function weightedNms<D extends Detection>(candidates: D[], iouThreshold: number, maxCount: number): Detection[] {
  const remaining = [...candidates].sort((p, q) => q.score - p.score);
  const out: Detection[] = [];
  while (remaining.length > 0 && out.length < maxCount) {
    const best = remaining[0]!;
    const cluster: D[] = [];
    const rest: D[] = [];
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
      box: box.map((v) => v / total) as Detection['box'],
      score: best.score,
      keypoints: kps.map(([x, y]) => [x! / total, y! / total]),
    });
    remaining.splice(0, remaining.length, ...rest);
  }
  return out;
}

/** Model coordinates (0..1 of the letterboxed square) → image coordinates (0..1 of the image). */
export function unletterbox(d: Detection, lb: Letterbox): Detection {
  const px = (x: number) => (x - lb.padX) / lb.scaleX;
  const py = (y: number) => (y - lb.padY) / lb.scaleY;
  return {
    box: [px(d.box[0]), py(d.box[1]), d.box[2] / lb.scaleX, d.box[3] / lb.scaleY],
    score: d.score,
    keypoints: d.keypoints.map(([x, y]) => [px(x), py(y)]),
  };
}

export interface DetectorSpec extends Omit<DecodeOptions, 'scale'> {
  /** The square input's side in pixels. */
  size: number;
  anchors: Float32Array;
  /** Pixel values become `v * scale + offset`: [-1, 1] is 1/127.5, -1; [0, 1] is 1/255, 0. */
  pixelScale: number;
  pixelOffset: number;
  iouThreshold: number;
}

/**
 * Runs an SSD detector on the whole image, letterboxed into its square input with black borders (as
 * MediaPipe's BORDER_ZERO), and returns its detections in image coordinates, best first. Its outputs
 * are told apart by shape: boxes [1, anchors, numCoords], scores [1, anchors, 1].
 */
export async function detect(network: Network, image: ImageBitmap, spec: DetectorSpec, maxCount: number): Promise<Detection[]> {
  const { pixels, box } = letterbox(image, spec.size);
  const input = network.inputs[0]!;
  const out = await network.run({ [input.name]: { type: 'float32', dims: [1, spec.size, spec.size, 3], data: rgbaToNhwc(pixels, spec.pixelScale, spec.pixelOffset) } });
  const tensors = Object.values(out);
  const boxes = tensors.find((t) => t.dims.at(-1) === spec.numCoords)?.data as Float32Array | undefined;
  const scores = tensors.find((t) => t.dims.at(-1) === 1)?.data as Float32Array | undefined;
  if (!boxes || !scores) throw new Error(`the detector's outputs are not boxes of ${spec.numCoords} and scores: ${tensors.map((t) => `[${t.dims.join(', ')}]`).join(', ')}`);
  const candidates = decodeDetections(boxes, scores, spec.anchors, { ...spec, scale: spec.size });
  return weightedNms(candidates, spec.iouThreshold, maxCount).map((d) => unletterbox(d, box));
}
