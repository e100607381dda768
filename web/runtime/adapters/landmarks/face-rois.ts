// Where the face mesh looks: the ROI from a face detection or from the previous frame's landmarks, as
// MediaPipe's face_detection_front_detection_to_roi and face_landmark_landmarks_to_roi graphs make it
// (DetectionsToRectsCalculator: a box and the rotation that levels two points; RectTransformationCalculator:
// scaled 1.5 and squared on its long side). Tracked and detected ROIs merge with roi.ts's `associate`.
import { rotationBetween, transformRoi, type Roi } from './roi.ts';

type Point = readonly [number, number, ...number[]];

/** The rotation that levels the line from `from` to `to` (left to right), in pixels. */
const levelling = (from: Point, to: Point, imageWidth: number, imageHeight: number) =>
  rotationBetween(from[0], from[1], to[0], to[1], imageWidth, imageHeight, 0);

/** How much the crop around a face is larger than the face, on its long side (both graphs'
 *  RectTransformationCalculator). */
const AROUND_FACE = { scaleX: 1.5, scaleY: 1.5, squareLong: true };

/** From a BlazeFace detection (face-detection's box and six keypoints): levelled on the eyes (0 → 1). */
export function roiFromDetection(face: { box: readonly number[]; keypoints: readonly Point[] }, imageWidth: number, imageHeight: number): Roi {
  const [x, y, w, h] = face.box as [number, number, number, number];
  const rotation = levelling(face.keypoints[0]!, face.keypoints[1]!, imageWidth, imageHeight);
  return transformRoi({ cx: x + w / 2, cy: y + h / 2, width: w, height: h, rotation }, AROUND_FACE, imageWidth, imageHeight);
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
  const rotation = levelling(points[EYE_CORNERS[0]]!, points[EYE_CORNERS[1]]!, imageWidth, imageHeight);
  return transformRoi({ cx: (x0 + x1) / 2, cy: (y0 + y1) / 2, width: x1 - x0, height: y1 - y0, rotation }, AROUND_FACE, imageWidth, imageHeight);
}
