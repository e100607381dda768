// A landmark model's points: decoded from its tensor (TensorsToLandmarksCalculator), refined on its
// heatmap (RefineLandmarksFromHeatmapCalculator, BlazePose), and taken from its crop back to the image
// (LandmarkProjectionCalculator).
import { projectFromRoi, type Roi } from './roi.ts';

export interface Point {
  x: number;
  y: number;
  z: number;
  /** Sigmoid of the model's visibility logit, where it has one (BlazePose). */
  visibility?: number;
}

export const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/**
 * `count` points of `stride` values each (x, y, z in input pixels, then for a stride of 5 the visibility
 * and presence logits) → points normalized to the model's square input of `size` pixels; z is scaled
 * as x, divided by `normalizeZ` (0.4 for hands).
 */
export function decodePoints(raw: ArrayLike<number>, count: number, stride: number, size: number, normalizeZ = 1): Point[] {
  const out: Point[] = [];
  for (let i = 0; i < count; i++) {
    const o = i * stride;
    const p: Point = { x: raw[o]! / size, y: raw[o + 1]! / size, z: raw[o + 2]! / size / normalizeZ };
    if (stride > 3) p.visibility = sigmoid(raw[o + 3]!);
    out.push(p);
  }
  return out;
}

/**
 * Moves each point to the confidence-weighted mean of the heatmap cells in a kernel×kernel window around
 * it (a channel per point, HWC, logits), where the window's best confidence reaches `minConfidence`.
 * MediaPipe weighs cell indices, not centres: so does this. In place.
 */
export function refineFromHeatmap(points: Point[], heatmap: ArrayLike<number>, height: number, width: number, kernel = 7,
  minConfidence = 0.5): void {
  const channels = points.length;
  const half = (kernel - 1) >> 1;
  points.forEach((p, k) => {
    const col = Math.trunc(p.x * width), row = Math.trunc(p.y * height);
    if (col < 0 || col >= width || row < 0 || row >= height) return;
    let sum = 0, wx = 0, wy = 0, best = 0;
    for (let r = Math.max(0, row - half); r < Math.min(height, row + half + 1); r++) {
      for (let c = Math.max(0, col - half); c < Math.min(width, col + half + 1); c++) {
        const confidence = sigmoid(heatmap[(r * width + c) * channels + k]!);
        sum += confidence;
        best = Math.max(best, confidence);
        wx += c * confidence;
        wy += r * confidence;
      }
    }
    if (best >= minConfidence && sum > 0) {
      p.x = wx / width / sum;
      p.y = wy / height / sum;
    }
  });
}

/** Points of the crop → the image (0..1 of it); z scaled by the region's width, as MediaPipe does. */
export function projectPoints(points: Point[], roi: Roi, imageWidth: number, imageHeight: number): Point[] {
  return points.map((p) => {
    const [x, y] = projectFromRoi(p.x, p.y, roi, imageWidth, imageHeight);
    return { ...p, x, y, z: p.z * roi.width };
  });
}

/** The box [x, y, width, height] around points, clipped to the image. */
export function boxAround(points: readonly { x: number; y: number }[]): [number, number, number, number] {
  const clip = (v: number) => Math.min(1, Math.max(0, v));
  const xs = points.map((p) => clip(p.x)), ys = points.map((p) => clip(p.y));
  const x0 = Math.min(...xs), y0 = Math.min(...ys);
  return [x0, y0, Math.max(...xs) - x0, Math.max(...ys) - y0];
}

export const round5 = (v: number) => Math.round(v * 1e5) / 1e5;
