// MediaPipe Hands, as its HandLandmarkTrackingCpu graph runs it: the palm detector finds palms and seven
// keypoints each; the region from a palm's box, turned so that wrist → middle finger points up, grown
// 2.6× and moved half its height towards the fingers, is cut out into the hand landmark model, whose 21
// keypoints, presence and handedness come back per hand. Up to `maxHands` hands (MediaPipe's default: 2).
// Live input (ctx.track): each hand's keypoints give its next region, and the palm detector runs only
// while fewer hands than `maxHands` are tracked (a hand it finds where a tracked one is stays the
// tracked one).
import type { Values } from '../../contract/index.ts';
import type { Adapter } from './adapter.ts';
import type { Network } from '../engines/engine.ts';
import { InputError } from '../errors.ts';
import { decodeImage, rgbaToNhwc } from '../image.ts';
import { TrackStates } from './tracks.ts';
import { ssdAnchors } from './landmarks/anchors.ts';
import { detect, iou, type Detection, type DetectorSpec } from './landmarks/detections.ts';
import { associate, cropRoi, rotationBetween, transformRoi, type Roi } from './landmarks/roi.ts';
import { boxAround, decodePoints, projectPoints, round5, type Point } from './landmarks/points.ts';
import { drawLabel, drawSkeleton, type NamedPoint } from './landmarks/draw.ts';

export const HAND_KEYPOINTS = [
  'wrist', 'thumb_cmc', 'thumb_mcp', 'thumb_ip', 'thumb_tip', 'index_finger_mcp', 'index_finger_pip', 'index_finger_dip',
  'index_finger_tip', 'middle_finger_mcp', 'middle_finger_pip', 'middle_finger_dip', 'middle_finger_tip', 'ring_finger_mcp',
  'ring_finger_pip', 'ring_finger_dip', 'ring_finger_tip', 'pinky_finger_mcp', 'pinky_finger_pip', 'pinky_finger_dip',
  'pinky_finger_tip',
] as const;

/** MediaPipe's HAND_CONNECTIONS, by keypoint index. */
export const HAND_BONES: readonly (readonly [number, number])[] = [
  [0, 1], [1, 2], [2, 3], [3, 4], [0, 5], [5, 6], [6, 7], [7, 8], [5, 9], [9, 10], [10, 11], [11, 12], [9, 13],
  [13, 14], [14, 15], [15, 16], [13, 17], [0, 17], [17, 18], [18, 19], [19, 20],
];

/** The palm detector as MediaPipe's PalmDetectionCpu graph sets it up: 192×192 in [0, 1], 2016 anchors,
 *  7 keypoints. */
export const PALM_DETECTOR: DetectorSpec = {
  size: 192, pixelScale: 1 / 255, pixelOffset: 0, numCoords: 18, numKeypoints: 7, minScore: 0.5, iouThreshold: 0.3,
  anchors: ssdAnchors({ inputWidth: 192, inputHeight: 192, minScale: 0.1484375, maxScale: 0.75, strides: [8, 16, 16, 16], fixedAnchorSize: true }),
};

const INPUT = 224;
/** A hand is there when the landmark model's presence score reaches this (ThresholdingCalculator). */
const PRESENCE = 0.5;
/** Regions overlapping more than this are one hand (AssociationNormRectCalculator). */
const SAME_HAND = 0.5;

export interface Hand {
  handedness: 'Left' | 'Right';
  score: number;
  handednessScore: number;
  box: [number, number, number, number];
  keypoints: { name: string; x: number; y: number; z: number }[];
}

/** MediaPipe's PalmDetectionDetectionToRoi graph: the palm's box turned along wrist (keypoint 0) → middle finger
 *  (keypoint 2), grown 2.6×, moved half its height towards the fingers, squared. */
export function palmRoi(palm: Detection, width: number, height: number): Roi {
  const [x, y, w, h] = palm.box;
  const [[x0, y0], , [x1, y1]] = palm.keypoints as [[number, number], unknown, [number, number]];
  const raw = { cx: x + w / 2, cy: y + h / 2, width: w, height: h, rotation: rotationBetween(x0, y0, x1, y1, width, height) };
  return transformRoi(raw, { scaleX: 2.6, scaleY: 2.6, shiftY: -0.5, squareLong: true }, width, height);
}

/** Which keypoints MediaPipe's HandLandmarksToRectCalculator boxes: not the fingertips nor the joints next to them. */
const ROI_POINTS = [0, 1, 2, 3, 5, 6, 9, 10, 13, 14, 17, 18];

/** MediaPipe's HandLandmarkLandmarksToRoi graph: the box around the hand's palm-side keypoints, turned so that
 *  wrist → the index, middle and ring PIP joints points up, grown 2×, moved a tenth towards the fingers. */
export function handRoi(points: readonly { x: number; y: number }[], width: number, height: number): Roi {
  const p = ROI_POINTS.map((i) => points[i]!);
  const wrist = p[0]!, index = p[4]!, middle = p[6]!, ring = p[8]!;
  const tx = ((index.x + ring.x) / 2 + middle.x) / 2, ty = ((index.y + ring.y) / 2 + middle.y) / 2;
  const rotation = rotationBetween(wrist.x, wrist.y, tx, ty, width, height);
  // The points' extent along the turned axes, in pixels about their axis-aligned centre.
  const xs = p.map((q) => q.x), ys = p.map((q) => q.y);
  const ax = (Math.min(...xs) + Math.max(...xs)) / 2, ay = (Math.min(...ys) + Math.max(...ys)) / 2;
  const cos = Math.cos(-rotation), sin = Math.sin(-rotation);
  const turned = p.map((q) => {
    const dx = (q.x - ax) * width, dy = (q.y - ay) * height;
    return [dx * cos - dy * sin, dx * sin + dy * cos] as const;
  });
  const us = turned.map((t) => t[0]), vs = turned.map((t) => t[1]);
  const [u0, u1, v0, v1] = [Math.min(...us), Math.max(...us), Math.min(...vs), Math.max(...vs)];
  const cu = (u0 + u1) / 2, cv = (v0 + v1) / 2;
  const raw = {
    cx: ax + (cu * Math.cos(rotation) - cv * Math.sin(rotation)) / width,
    cy: ay + (cu * Math.sin(rotation) + cv * Math.cos(rotation)) / height,
    width: (u1 - u0) / width, height: (v1 - v0) / height, rotation,
  };
  return transformRoi(raw, { scaleX: 2, scaleY: 2, shiftY: -0.1, squareLong: true }, width, height);
}


interface Found { score: number; left: number; points: Point[] }

/** The landmark model on one region: presence, the "Left" score, 21 points in image coordinates. */
async function landmarks(network: Network, image: ImageBitmap, roi: Roi): Promise<Found> {
  const pixels = cropRoi(image, roi, INPUT, INPUT);
  const out = await network.run({ [network.inputs[0]!.name]: { type: 'float32', dims: [1, INPUT, INPUT, 3], data: rgbaToNhwc(pixels, 1 / 255, 0) } });
  // In the model's order (MediaPipe's HandLandmarkCpu graph splits them so): landmarks, presence,
  // handedness, world landmarks.
  const [raw, flag, handedness] = network.outputs.map((m) => out[m.name]?.data as Float32Array | undefined);
  if (!raw || !flag || !handedness) throw new Error('the hand landmark model gave no landmarks, presence or handedness');
  const score = flag[0]!;
  if (score < PRESENCE) return { score, left: 0, points: [] };
  return { score, left: handedness[0]!, points: projectPoints(decodePoints(raw, 21, 3, INPUT, 0.4), roi, image.width, image.height) };
}

// Each live client's tracked hands (their next regions), per model.
const tracks = new Map<string, TrackStates<Roi[]>>();

export const handPose: Adapter = {
  async run(inputs: Values, { networks, manifest, track }) {
    const variant = inputs.variant ?? 'full';
    const palm = networks[`palm-${String(variant)}`], network = networks[`landmark-${String(variant)}`];
    if (!palm || !network) throw new InputError('input "variant" must be one of "full", "lite"');
    const maxHands = Math.max(1, Math.floor(Number(inputs.maxHands ?? 2)) || 1);
    const states = tracks.get(manifest.id) ?? tracks.set(manifest.id, new TrackStates()).get(manifest.id)!;
    const image = await decodeImage(inputs.image, 'image');
    try {
      const [width, height] = [image.width, image.height];
      const previous = (states.get(track) ?? []).slice(0, maxHands);
      let rois = previous;
      const tracked = previous.length >= maxHands;
      if (!tracked) {
        const palms = await detect(palm, image, PALM_DETECTOR, maxHands);
        rois = associate(previous, palms.map((d) => palmRoi(d, width, height)), SAME_HAND);
      }
      const hands: (Hand & { roi: Roi })[] = [];
      for (const roi of rois) {
        if (hands.length >= maxHands) break;
        const found = await landmarks(network, image, roi);
        if (found.score < PRESENCE) continue;
        const keypoints = HAND_KEYPOINTS.map((name, i) => ({ name, x: round5(found.points[i]!.x), y: round5(found.points[i]!.y), z: round5(found.points[i]!.z) }));
        const box = boxAround(keypoints).map(round5) as Hand['box'];
        // Two regions that came to rest on one hand: the first kept.
        if (hands.some((h) => iou(h.box, box) > SAME_HAND)) continue;
        hands.push({
          // MediaPipe's labels assume a mirrored (selfie) image: swapped, they say the hand's own side in the
          // image as given.
          handedness: found.left > 0.5 ? 'Right' : 'Left',
          score: round5(found.score), handednessScore: round5(Math.max(found.left, 1 - found.left)), box, keypoints,
          roi: handRoi(found.points, width, height),
        });
      }
      states.set(track, hands.length > 0 ? hands.map((h) => h.roi) : undefined);
      return { hands: hands.map(({ roi: _, ...h }) => h), tracked };
    } finally {
      image.close();
    }
  },

  draw(ctx, outputs, width, height) {
    for (const hand of (outputs.hands ?? []) as Hand[]) {
      const color = hand.handedness === 'Left' ? '#ff9100' : '#00b0ff';
      drawSkeleton(ctx, hand.keypoints as NamedPoint[], HAND_BONES, color, width, height);
      drawLabel(ctx, `${hand.handedness} ${hand.score.toFixed(2)}`, hand.box, color, width, height);
    }
  },
};
