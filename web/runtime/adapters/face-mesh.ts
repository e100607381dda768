// MediaPipe's face mesh on the TFLite engine, as its face_landmark_front_cpu graph runs it: BlazeFace
// short range (blazeface.ts) finds faces, each face's ROI (landmarks/face-rois.ts) is cut into the
// landmark network's 192x192 input (landmarks/roi.ts), and its 468 points are projected back onto the
// image. A live client's frames (ctx.track) carry each face's next ROI from its landmarks, so the
// detector runs only while fewer than `maxFaces` faces are tracked; a face whose presence score falls
// under the threshold is dropped, and found again by the detector.
import type { Adapter } from './adapter.ts';
import type { Network } from '../engines/engine.ts';
import { decodeImage, rgbaToNhwc } from '../image.ts';
import { detectFaces, TFLITE_HEADS } from './blazeface.ts';
import { roiFromDetection, roiFromLandmarks } from './landmarks/face-rois.ts';
import { associate, cropRoi, projectFromRoi, type Roi } from './landmarks/roi.ts';
import { TrackStates } from './tracks.ts';

export type Point3 = [number, number, number];

export interface MeshFace {
  /** [x, y, width, height] around the points, normalized to the image. */
  box: [number, number, number, number];
  /** [x, y, z]: x and y normalized to the image, z depth from the face's centre plane, scaled as x. */
  keypoints: Point3[];
}

interface Params {
  /** Faces tracked and answered at most; the detector runs while fewer are tracked. */
  maxFaces: number;
  /** Detector: its input square, the least score of a face, the overlap that merges two. */
  detectorSize: number;
  scoreThreshold: number;
  iouThreshold: number;
  /** The least face presence score (the landmark network's) at which a face is kept. */
  presenceThreshold: number;
}

const DEFAULTS: Params = { maxFaces: 1, detectorSize: 128, scoreThreshold: 0.5, iouThreshold: 0.3, presenceThreshold: 0.5 };

/** The ROIs each live client's faces are tracked by, from its last frame's landmarks. */
const tracks = new TrackStates<Roi[]>();

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/**
 * The landmark network's raw points (x, y, z in pixels of its `size`-pixel input, three numbers each) →
 * points on the image: x and y projected out of the ROI, z scaled as the ROI's width scales x
 * (TensorsToLandmarksCalculator, then LandmarkProjectionCalculator).
 */
export function meshFromTensor(raw: ArrayLike<number>, size: number, roi: Roi, imageWidth: number, imageHeight: number): Point3[] {
  const points: Point3[] = [];
  for (let i = 0; i + 2 < raw.length; i += 3) {
    const [x, y] = projectFromRoi(raw[i]! / size, raw[i + 1]! / size, roi, imageWidth, imageHeight);
    points.push([x, y, (raw[i + 2]! / size) * roi.width]);
  }
  return points;
}

/** The face in `roi`, or undefined where the network says there is none. */
async function landmarks(network: Network, image: ImageBitmap, roi: Roi, threshold: number): Promise<Point3[] | undefined> {
  const input = network.inputs[0]!;
  const [, height, width] = input.shape as number[];
  const pixels = cropRoi(image, roi, width!, height!);
  const out = await network.run({ [input.name]: { type: 'float32', dims: [1, height!, width!, 3], data: rgbaToNhwc(pixels, 1 / 255, 0) } });
  // Two outputs: the points (468 × 3) and the face flag (one logit).
  const [mesh, flag] = network.outputs.map((o) => out[o.name]!.data as Float32Array).sort((a, b) => b.length - a.length);
  if (sigmoid(flag![0]!) < threshold) return undefined;
  return meshFromTensor(mesh!, width!, roi, image.width, image.height);
}

const round = (v: number) => Math.round(v * 1e5) / 1e5;

function faceOf(points: Point3[]): MeshFace {
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  const [x0, y0] = [Math.min(...xs), Math.min(...ys)];
  return {
    box: [x0, y0, Math.max(...xs) - x0, Math.max(...ys) - y0].map(round) as MeshFace['box'],
    keypoints: points.map((p) => p.map(round) as Point3),
  };
}

export const faceMesh: Adapter = {
  async run(inputs, { networks, manifest, track }) {
    const p = { ...DEFAULTS, ...manifest.params } as Params;
    const detector = networks.detector!, mesh = networks.landmarks!;
    // Per model too: two face mesh models in one page never share a client's faces.
    const key = track === undefined ? undefined : `${manifest.id}\n${track}`;
    const image = await decodeImage(inputs.image, 'image');
    try {
      const { width, height } = image;
      let rois = tracks.get(key) ?? [];
      const detected = rois.length < p.maxFaces;
      if (detected) {
        const found = await detectFaces(detector, image, TFLITE_HEADS, { ...p, size: p.detectorSize });
        rois = associate(rois, found.map((f) => roiFromDetection(f, width, height))).slice(0, p.maxFaces);
      }
      const faces: MeshFace[] = [];
      const next: Roi[] = [];
      for (const roi of rois) {
        const points = await landmarks(mesh, image, roi, p.presenceThreshold);
        if (!points) continue;
        faces.push(faceOf(points));
        next.push(roiFromLandmarks(points, width, height));
      }
      tracks.set(key, next.length > 0 ? next : undefined);
      return { faces, tracked: !detected };
    } finally {
      image.close();
    }
  },

  draw(ctx, outputs, width, height) {
    const faces = (outputs.faces ?? []) as MeshFace[];
    const r = Math.max(1, Math.min(width, height) / 400);
    for (const f of faces) {
      const [x, y, w, h] = f.box;
      ctx.strokeStyle = '#00e676';
      ctx.lineWidth = r;
      ctx.strokeRect(x * width, y * height, w * width, h * height);
      ctx.fillStyle = '#00e676';
      for (const [px, py] of f.keypoints) ctx.fillRect(px * width - r / 2, py * height - r / 2, r, r);
      // The eyes (and irises, where a mesh has them) over the rest, larger.
      ctx.fillStyle = '#ff1744';
      for (const i of EYES) {
        const pt = f.keypoints[i];
        if (pt) ctx.fillRect(pt[0] * width - r, pt[1] * height - r, 2 * r, 2 * r);
      }
    }
  },
};

/** The eye contours (each eye's lower then upper lid, as MediaPipe's mesh numbers them), and the irises of
 *  a 478-point mesh (468–477). */
export const EYES = [
  33, 7, 163, 144, 145, 153, 154, 155, 133, 246, 161, 160, 159, 158, 157, 173,
  263, 249, 390, 373, 374, 380, 381, 382, 362, 466, 388, 387, 386, 385, 384, 398,
  468, 469, 470, 471, 472, 473, 474, 475, 476, 477,
];
