// BlazeFace (MediaPipe) face detection, shared by the models that run it (face-detector.ts on ONNX,
// face-mesh.ts on TFLite): BlazeFace's anchors and heads, decoded as MediaPipe's
// TensorsToDetectionsCalculator does, merged by the weighted NMS every detector shares
// (landmarks/detections.ts), on a letterboxed image.
import type { Network } from '../engines/engine.ts';
import { letterbox, rgbaToNhwc } from '../image.ts';
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

export interface DetectorParams { size: number; scoreThreshold: number; iouThreshold: number; maxFaces: number }

/** One output head of a detector: its score (logits) and box outputs by name, and their anchors. */
export interface Head { scores: string; boxes: string; anchors: Float32Array }

/** The heads of MediaPipe's TFLite detectors (face_detection_short_range.tflite): one of 896 anchors, a
 *  16x16 grid of 2 then an 8x8 grid of 6. */
export const TFLITE_HEADS: readonly Head[] = [{ scores: 'classificators', boxes: 'regressors', anchors: new Float32Array([...anchorGrid(16, 2), ...anchorGrid(8, 6)]) }];

/** The heads of keijiro's ONNX exports (Barracuda), the same grids as two heads. */
export const ONNX_HEADS: readonly Head[] = [
  { scores: 'Identity:0', boxes: 'Identity_2:0', anchors: anchorGrid(16, 2) },
  { scores: 'Identity_1:0', boxes: 'Identity_3:0', anchors: anchorGrid(8, 6) },
];

/** The heads a detector network has, by its output names (either format runs either BlazeFace). */
export function headsOf(network: Network): readonly Head[] {
  return network.outputs.some((o) => o.name === TFLITE_HEADS[0]!.scores) ? TFLITE_HEADS : ONNX_HEADS;
}

/** Faces in `image` (normalized to it), best first: letterboxed into the network's square, RGB in -1..1. */
export async function detectFaces(network: Network, image: ImageBitmap, heads: readonly Head[], p: DetectorParams): Promise<Face[]> {
  const { pixels, box } = letterbox(image, p.size);
  const input = { type: 'float32', data: rgbaToNhwc(pixels, 1 / 127.5, -1), dims: [1, p.size, p.size, 3] };
  const out = await network.run({ [network.inputs[0]!.name]: input });
  const data = (name: string) => out[name]!.data as Float32Array;
  const candidates = heads.flatMap((h) => decodeHead(data(h.scores), data(h.boxes), h.anchors, p.size, p.scoreThreshold));
  return weightedNms(candidates, p.iouThreshold, p.maxFaces).map((f) => unletterbox(f, box));
}
