// A rotated region of interest, as MediaPipe's NormalizedRect: what a landmark model looks at. Made from a
// detection (AlignmentPointsRectsCalculator, DetectionsToRectsCalculator) or from the last frame's
// landmarks, enlarged and squared (RectTransformationCalculator), cut out of the image into the model's
// input (ImageToTensorCalculator with a rect), and the model's points taken back to the image
// (LandmarkProjectionCalculator). Tracked and detected regions merge as AssociationNormRectCalculator merges them.
import { iou } from './detections.ts';

/** cx, cy, width, height normalized to the image's width and height; rotation in radians, clockwise on
 *  the screen (y down), as MediaPipe's. */
export interface Roi { cx: number; cy: number; width: number; height: number; rotation: number }

/** An angle in [-π, π). */
export function normalizeRadians(angle: number): number {
  return angle - 2 * Math.PI * Math.floor((angle + Math.PI) / (2 * Math.PI));
}

/** The rotation that turns the direction from (x0, y0) to (x1, y1) (normalized points, measured in
 *  pixels) to `target` radians (π/2: pointing up), as DetectionsToRectsCalculator computes it. */
export function rotationBetween(x0: number, y0: number, x1: number, y1: number, imageWidth: number, imageHeight: number,
  target = Math.PI / 2): number {
  return normalizeRadians(target - Math.atan2(-(y1 - y0) * imageHeight, (x1 - x0) * imageWidth));
}

/**
 * AlignmentPointsRectsCalculator: a square (in pixels) centred on `center`, twice as wide as the distance
 * to `scale`, turned so that center → scale points up.
 */
export function roiFromAlignment(center: readonly [number, number], scale: readonly [number, number], imageWidth: number,
  imageHeight: number): Roi {
  const size = 2 * Math.hypot((scale[0] - center[0]) * imageWidth, (scale[1] - center[1]) * imageHeight);
  return {
    cx: center[0], cy: center[1], width: size / imageWidth, height: size / imageHeight,
    rotation: rotationBetween(center[0], center[1], scale[0], scale[1], imageWidth, imageHeight),
  };
}

export interface RoiTransform { scaleX?: number; scaleY?: number; shiftX?: number; shiftY?: number; squareLong?: boolean }

/** RectTransformationCalculator: shifted along its own (rotated) axes by a fraction of its size, squared
 *  on its longer side in pixels, then scaled. */
export function transformRoi(roi: Roi, t: RoiTransform, imageWidth: number, imageHeight: number): Roi {
  const { scaleX = 1, scaleY = 1, shiftX = 0, shiftY = 0 } = t;
  const cos = Math.cos(roi.rotation), sin = Math.sin(roi.rotation);
  const dx = roi.width * imageWidth * shiftX, dy = roi.height * imageHeight * shiftY;
  let width = roi.width, height = roi.height;
  if (t.squareLong) {
    const long = Math.max(width * imageWidth, height * imageHeight);
    width = long / imageWidth;
    height = long / imageHeight;
  }
  return {
    cx: roi.cx + (dx * cos - dy * sin) / imageWidth,
    cy: roi.cy + (dx * sin + dy * cos) / imageHeight,
    width: width * scaleX, height: height * scaleY, rotation: roi.rotation,
  };
}

/**
 * The region's pixels, turned upright and resized to width×height, as RGBA (an OffscreenCanvas
 * transform; what lies outside the image is black). The region fills the whole output: give a region
 * of the output's aspect (the landmark models' regions are squared, their inputs square).
 */
export function cropRoi(image: ImageBitmap | OffscreenCanvas, roi: Roi, width: number, height: number): Uint8ClampedArray {
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('OffscreenCanvas 2D context is not available');
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, width, height);
  // Image → crop: about the region's centre, turned back by its rotation, its size to the output's.
  ctx.translate(width / 2, height / 2);
  ctx.scale(width / (roi.width * image.width), height / (roi.height * image.height));
  ctx.rotate(-roi.rotation);
  ctx.translate(-roi.cx * image.width, -roi.cy * image.height);
  ctx.drawImage(image, 0, 0);
  return ctx.getImageData(0, 0, width, height).data;
}

/** A point of the crop (0..1 of it) → the image (0..1 of it): cropRoi's transform undone. */
export function projectFromRoi(x: number, y: number, roi: Roi, imageWidth: number, imageHeight: number): [number, number] {
  const dx = (x - 0.5) * roi.width * imageWidth;
  const dy = (y - 0.5) * roi.height * imageHeight;
  const cos = Math.cos(roi.rotation), sin = Math.sin(roi.rotation);
  return [roi.cx + (cos * dx - sin * dy) / imageWidth, roi.cy + (sin * dx + cos * dy) / imageHeight];
}

/** A region's axis-aligned box, rotation ignored, as MediaPipe's association compares them. */
export const roiBox = (r: Roi): [number, number, number, number] => [r.cx - r.width / 2, r.cy - r.height / 2, r.width, r.height];

/** The tracked regions, then each detected one that overlaps none of them by more than `threshold` (IoU
 *  of their boxes, rotation ignored): a tracked hand or face keeps its region, a detection adds only a new one. */
export function associate(tracked: readonly Roi[], detected: readonly Roi[], threshold = 0.5): Roi[] {
  return [...tracked, ...detected.filter((d) => tracked.every((t) => iou(roiBox(t), roiBox(d)) <= threshold))];
}
