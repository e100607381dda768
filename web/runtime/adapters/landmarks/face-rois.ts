// Where the face mesh looks: the ROI from a face detection or from the previous frame's landmarks, as
// MediaPipe's face_detection_front_detection_to_roi and face_landmark_landmarks_to_roi graphs make it
// (DetectionsToRectsCalculator: a box and the rotation that levels two points; RectTransformationCalculator:
// scaled 1.5 and squared on its long side), and the merge of the two (AssociationNormRectCalculator).
import { iou } from '../blazeface.ts';
import type { Roi } from './roi.ts';

type Point = readonly [number, number, ...number[]];

/** Into [-π, π), as MediaPipe's NormalizeRadians. */
export function normalizeRadians(angle: number): number {
  return angle - 2 * Math.PI * Math.floor((angle + Math.PI) / (2 * Math.PI));
}

/** The clockwise rotation that makes the line from `from` to `to` (normalized points) horizontal, left to
 *  right: measured in pixels, since normalized x and y differ in scale on an image that is not square. */
export function rotationBetween(from: Point, to: Point, imageWidth: number, imageHeight: number): number {
  return normalizeRadians(-Math.atan2(-(to[1] - from[1]) * imageHeight, (to[0] - from[0]) * imageWidth));
}

/** The ROI scaled by `scale` about its centre, its long side (in pixels) made its width and height. */
export function squareLong(roi: Roi, scale: number, imageWidth: number, imageHeight: number): Roi {
  const side = Math.max(roi.width * imageWidth, roi.height * imageHeight) * scale;
  return { ...roi, width: side / imageWidth, height: side / imageHeight };
}

/** How much the crop around a face is larger than the face (both graphs' RectTransformationCalculator). */
const SCALE = 1.5;

/** From a BlazeFace detection (face-detection's box and six keypoints): levelled on the eyes (0 → 1). */
export function roiFromDetection(face: { box: readonly number[]; keypoints: readonly Point[] }, imageWidth: number, imageHeight: number): Roi {
  const [x, y, w, h] = face.box as [number, number, number, number];
  const rotation = rotationBetween(face.keypoints[0]!, face.keypoints[1]!, imageWidth, imageHeight);
  return squareLong({ cx: x + w / 2, cy: y + h / 2, width: w, height: h, rotation }, SCALE, imageWidth, imageHeight);
}

/** The mesh's eye corners that level the next ROI: left side of the left eye, right side of the right. */
export const EYE_CORNERS = [33, 263] as const;

/** From the previous frame's mesh (normalized points): their bounds, levelled on the eye corners. */
export function roiFromLandmarks(points: readonly Point[], imageWidth: number, imageHeight: number): Roi {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const [x, y] of points) {
    x0 = Math.min(x0, x); x1 = Math.max(x1, x);
    y0 = Math.min(y0, y); y1 = Math.max(y1, y);
  }
  const rotation = rotationBetween(points[EYE_CORNERS[0]]!, points[EYE_CORNERS[1]]!, imageWidth, imageHeight);
  const roi = { cx: (x0 + x1) / 2, cy: (y0 + y1) / 2, width: x1 - x0, height: y1 - y0, rotation };
  return squareLong(roi, SCALE, imageWidth, imageHeight);
}

const boxOf = (r: Roi) => [r.cx - r.width / 2, r.cy - r.height / 2, r.width, r.height] as [number, number, number, number];

/**
 * ROIs in order of priority, lowest first (from detections, then tracked), as one list: each one replaces
 * those before it that it overlaps by an IoU over `threshold` (rotation aside, as MediaPipe's). So a
 * tracked face keeps its ROI, and a detection adds only a face not tracked yet.
 */
export function associate(rois: readonly Roi[], threshold = 0.5): Roi[] {
  const out: Roi[] = [];
  for (const roi of rois) {
    for (let i = out.length - 1; i >= 0; i--) if (iou(boxOf(out[i]!), boxOf(roi)) > threshold) out.splice(i, 1);
    out.push(roi);
  }
  return out;
}
