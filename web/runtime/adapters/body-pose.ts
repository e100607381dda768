// BlazePose (MediaPipe Pose), as its PoseLandmarkCpu graph runs it: the pose detector finds a body and two
// alignment keypoints (hips' centre, and a point giving the body's size and rotation); the rotated region
// they give, enlarged 1.25× and squared, is cut out into the landmark model (full or lite), whose 33
// keypoints, refined on its heatmap, go back to the image. One person, as MediaPipe's pipeline finds.
// Live input (ctx.track): the last frame's two auxiliary keypoints give the next region, and the detector
// runs only when there is none or the landmark model no longer sees a body there (then at once, in the
// same frame, rather than answering it empty as MediaPipe's graph does); the keypoints are smoothed from
// frame to frame as MediaPipe smooths them (landmarks/smoothing.ts).
import type { Values } from '../../contract/index.ts';
import type { Adapter } from './adapter.ts';
import type { Network } from '../engines/engine.ts';
import { InputError } from '../errors.ts';
import { decodeImage, rgbaToNhwc } from '../image.ts';
import { TrackStates } from './tracks.ts';
import { ssdAnchors } from './landmarks/anchors.ts';
import { detect, type DetectorSpec } from './landmarks/detections.ts';
import { cropRoi, roiFromAlignment, transformRoi, type Roi } from './landmarks/roi.ts';
import { boxAround, decodePoints, projectPoints, refineFromHeatmap, round5, type Point } from './landmarks/points.ts';
import { drawLabel, drawSkeleton, type NamedPoint } from './landmarks/draw.ts';
import { LandmarkSmoother } from './landmarks/smoothing.ts';

export const POSE_KEYPOINTS = [
  'nose', 'left_eye_inner', 'left_eye', 'left_eye_outer', 'right_eye_inner', 'right_eye', 'right_eye_outer',
  'left_ear', 'right_ear', 'mouth_left', 'mouth_right', 'left_shoulder', 'right_shoulder', 'left_elbow',
  'right_elbow', 'left_wrist', 'right_wrist', 'left_pinky', 'right_pinky', 'left_index', 'right_index',
  'left_thumb', 'right_thumb', 'left_hip', 'right_hip', 'left_knee', 'right_knee', 'left_ankle', 'right_ankle',
  'left_heel', 'right_heel', 'left_foot_index', 'right_foot_index',
] as const;

/** BlazePose's connections (MediaPipe's POSE_CONNECTIONS), by keypoint index. */
export const POSE_BONES: readonly (readonly [number, number])[] = [
  [0, 1], [1, 2], [2, 3], [3, 7], [0, 4], [4, 5], [5, 6], [6, 8], [9, 10], [11, 12], [11, 13], [13, 15], [15, 17],
  [15, 19], [15, 21], [17, 19], [12, 14], [14, 16], [16, 18], [16, 20], [16, 22], [18, 20], [11, 23], [12, 24],
  [23, 24], [23, 25], [24, 26], [25, 27], [26, 28], [27, 29], [28, 30], [29, 31], [30, 32], [27, 31], [28, 32],
];

/** The detector as MediaPipe's PoseDetectionCpu graph sets it up: 224×224 in [-1, 1], 2254 anchors,
 *  4 keypoints. */
export const POSE_DETECTOR: DetectorSpec = {
  size: 224, pixelScale: 1 / 127.5, pixelOffset: -1, numCoords: 12, numKeypoints: 4, minScore: 0.5, iouThreshold: 0.3,
  anchors: ssdAnchors({ inputWidth: 224, inputHeight: 224, minScale: 0.1484375, maxScale: 0.75, strides: [8, 16, 32, 32, 32], fixedAnchorSize: true }),
};

/** The landmark model's input side; 33 keypoints and 2 auxiliary ones (the next region's alignment points)
 *  plus 4 unused, 5 values each. */
const INPUT = 256;
const POINTS = 39;
/** A body is there when the landmark model's presence score reaches this (ThresholdingCalculator). */
const PRESENCE = 0.5;
/** MediaPipe's PoseDetectionToRoi and PoseLandmarksToRoi graphs: both regions grow 1.25×, squared. */
const GROW = { scaleX: 1.25, scaleY: 1.25, squareLong: true };

export interface Pose {
  box: [number, number, number, number];
  score: number;
  keypoints: { name: string; x: number; y: number; z: number; score: number }[];
}

/** The region from a detection's first two keypoints or the landmarks' two auxiliary ones. */
export function poseRoi(center: readonly [number, number], scale: readonly [number, number], width: number, height: number): Roi {
  return transformRoi(roiFromAlignment(center, scale, width, height), GROW, width, height);
}

interface Found { score: number; points: Point[] }

/** The landmark model on one region: its presence score and 39 points in image coordinates. */
async function landmarks(network: Network, image: ImageBitmap, roi: Roi): Promise<Found> {
  const pixels = cropRoi(image, roi, INPUT, INPUT);
  const out = await network.run({ [network.inputs[0]!.name]: { type: 'float32', dims: [1, INPUT, INPUT, 3], data: rgbaToNhwc(pixels, 1 / 255, 0) } });
  // Outputs told apart by shape: landmarks [1, 195], presence [1, 1], heatmap [1, 64, 64, 39] (the
  // segmentation mask and world landmarks are not used).
  const tensors = Object.values(out);
  const raw = tensors.find((t) => t.dims.at(-1) === POINTS * 5)?.data as Float32Array;
  const flag = tensors.find((t) => t.dims.length === 2 && t.dims[1] === 1)?.data as Float32Array;
  const heatmap = tensors.find((t) => t.dims.length === 4 && t.dims[3] === POINTS);
  if (!raw || !flag) throw new Error('the pose landmark model gave no landmarks or presence score');
  const score = flag[0]!;
  if (score < PRESENCE) return { score, points: [] };
  const points = decodePoints(raw, POINTS, 5, INPUT);
  if (heatmap) refineFromHeatmap(points, heatmap.data as Float32Array, heatmap.dims[1]!, heatmap.dims[2]!);
  return { score, points: projectPoints(points, roi, image.width, image.height) };
}

/** A live client's body: the region its next frame starts from, and its keypoints' filters. */
interface Tracked { roi: Roi; smoother: LandmarkSmoother }

// Per model (one adapter may serve several).
const tracks = new Map<string, TrackStates<Tracked>>();

export const bodyPose: Adapter = {
  async run(inputs: Values, { networks, manifest, track }) {
    const variant = inputs.variant ?? 'full';
    const network = typeof variant === 'string' && variant !== 'detector' ? networks[variant] : undefined;
    if (!network) throw new InputError(`input "variant" must be one of ${Object.keys(networks).filter((k) => k !== 'detector').map((k) => JSON.stringify(k)).join(', ')}`);
    const states = tracks.get(manifest.id) ?? tracks.set(manifest.id, new TrackStates()).get(manifest.id)!;
    const seconds = performance.now() / 1000;
    const image = await decodeImage(inputs.image, 'image');
    try {
      const [width, height] = [image.width, image.height];
      const state = states.get(track);
      let roi = state?.roi;
      let found = roi && (await landmarks(network, image, roi));
      // `tracked`: the region came from the last frame and the detector did not run.
      const tracked = found !== undefined && found.score >= PRESENCE;
      if (!tracked) {
        const [body] = await detect(networks.detector!, image, POSE_DETECTOR, 1);
        roi = body && poseRoi(body.keypoints[0]!, body.keypoints[1]!, width, height);
        found = roi && (await landmarks(network, image, roi));
      }
      if (!found || found.score < PRESENCE) {
        states.set(track, undefined);
        return { poses: [], tracked: false };
      }
      const { points } = found;
      const smoother = state?.smoother ?? new LandmarkSmoother();
      states.set(track, { roi: poseRoi([points[33]!.x, points[33]!.y], [points[34]!.x, points[34]!.y], width, height), smoother });
      // Only a live track is smoothed: a query that stands alone answers what the model saw.
      const shown = track === undefined ? points : smoother.apply(points.slice(0, POSE_KEYPOINTS.length), seconds, width, height);
      const keypoints = POSE_KEYPOINTS.map((name, i) => {
        const p = shown[i]!;
        return { name, x: round5(p.x), y: round5(p.y), z: round5(p.z), score: round5(p.visibility ?? 0) };
      });
      const pose: Pose = { box: boxAround(keypoints).map(round5) as Pose['box'], score: round5(found.score), keypoints };
      return { poses: [pose], tracked };
    } finally {
      image.close();
    }
  },

  draw(ctx, outputs, width, height) {
    for (const pose of (outputs.poses ?? []) as Pose[]) {
      drawSkeleton(ctx, pose.keypoints as NamedPoint[], POSE_BONES, '#00e676', width, height);
      drawLabel(ctx, pose.score.toFixed(2), pose.box, '#00e676', width, height);
    }
  },
};
