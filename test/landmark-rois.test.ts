// The face mesh's geometry without a browser, on fixed numbers: a ROI's crop and its projection back
// (web/runtime/adapters/landmarks/roi.ts), the ROI from a detection and from landmarks, their merge
// (landmarks/face-rois.ts), and the landmark network's points on the image (face-mesh.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { associate, cropRoi, projectFromRoi, rotationBetween, transformRoi, type Roi } from '../web/runtime/adapters/landmarks/roi.ts';
import { roiFromDetection, roiFromLandmarks } from '../web/runtime/adapters/landmarks/face-rois.ts';
import { meshFromTensor } from '../web/runtime/adapters/face-mesh.ts';
import { FakeCanvas, withFakeCanvas } from './helpers/fake-canvas.ts';

const close = (a: number, b: number, eps = 1e-9) => assert.ok(Math.abs(a - b) < eps, `${a} ≉ ${b}`);
const closeAll = (a: readonly number[], b: readonly number[], eps = 1e-9) => {
  assert.equal(a.length, b.length);
  a.forEach((v, i) => close(v, b[i]!, eps));
};

/** 400×200 px: a wide image, where normalized x and y differ in scale. */
const W = 400, H = 200;

describe('projectFromRoi', () => {
  it('puts the crop of an upright ROI on its rectangle: centre on centre, corners on corners', () => {
    const roi: Roi = { cx: 0.5, cy: 0.4, width: 0.2, height: 0.4, rotation: 0 };
    closeAll(projectFromRoi(0.5, 0.5, roi, W, H), [0.5, 0.4]);
    closeAll(projectFromRoi(0, 0, roi, W, H), [0.4, 0.2]);
    closeAll(projectFromRoi(1, 1, roi, W, H), [0.6, 0.6]);
  });

  it('turns a rotated ROI clockwise in pixels: a quarter turn takes the crop\'s right edge below the centre', () => {
    // 80×80 px about (200, 80): the crop's right middle is 40 px right of the centre before the turn.
    const roi: Roi = { cx: 0.5, cy: 0.4, width: 0.2, height: 0.4, rotation: Math.PI / 2 };
    closeAll(projectFromRoi(1, 0.5, roi, W, H), [0.5, 0.6]); // (200, 120)
    closeAll(projectFromRoi(0.5, 0, roi, W, H), [0.6, 0.4]); // the top middle goes right: (240, 80)
    // 30°: the right middle at 40 px along a line 30° below the horizontal.
    const [x, y] = projectFromRoi(1, 0.5, { ...roi, rotation: Math.PI / 6 }, W, H);
    closeAll([x * W - 200, y * H - 80], [40 * Math.cos(Math.PI / 6), 40 * Math.sin(Math.PI / 6)]);
  });
});

describe('cropRoi', () => {
  it('draws each point of the image where projectFromRoi says it came from in the crop', async () => {
    await withFakeCanvas(() => {
      const roi: Roi = { cx: 0.45, cy: 0.55, width: 0.3, height: 0.6, rotation: 0.7 };
      const pixels = cropRoi({ width: W, height: H } as unknown as ImageBitmap, roi, 192, 192);
      assert.equal(pixels.length, 192 * 192 * 4);
      const [a, b, c, d, e, f] = FakeCanvas.drawn as [number, number, number, number, number, number];
      for (const [u, v] of [[0.5, 0.5], [0, 0], [1, 0.25], [0.2, 0.9]] as const) {
        const [x, y] = projectFromRoi(u, v, roi, W, H);
        const [px, py] = [x * W, y * H];
        closeAll([a * px + c * py + e, b * px + d * py + f], [u * 192, v * 192], 1e-6);
      }
    });
  });
});

describe('face ROIs', () => {
  it('levels two points in pixels (a target of 0 radians): clockwise positive where the second is lower', () => {
    close(rotationBetween(0.4, 0.5, 0.6, 0.5, W, H, 0), 0);
    // 80 px right, 20 px down on 400×200.
    close(rotationBetween(0.4, 0.5, 0.6, 0.6, W, H, 0), Math.atan2(20, 80));
    close(rotationBetween(0.6, 0.5, 0.4, 0.5, W, H, 0), -Math.PI); // upside down
  });

  it('scales a ROI on its long side in pixels, square on the image', () => {
    // 0.1 × 400 = 40 px wide, 0.3 × 200 = 60 px high → 90 px square.
    const r = transformRoi({ cx: 0.5, cy: 0.5, width: 0.1, height: 0.3, rotation: 0.2 }, { scaleX: 1.5, scaleY: 1.5, squareLong: true }, W, H);
    closeAll([r.cx, r.cy, r.width, r.height, r.rotation], [0.5, 0.5, 90 / W, 90 / H, 0.2]);
  });

  it('makes a detection\'s ROI about its box, 1.5 times its long side, levelled on its eyes', () => {
    const face = { box: [0.3, 0.2, 0.2, 0.3], keypoints: [[0.35, 0.3], [0.45, 0.35], [0, 0], [0, 0], [0, 0], [0, 0]] as [number, number][] };
    const r = roiFromDetection(face, W, H);
    // 80×60 px → 120 px square; eyes 40 px apart, the right one 10 px lower.
    closeAll([r.cx, r.cy, r.width, r.height, r.rotation], [0.4, 0.35, 120 / W, 120 / H, Math.atan2(10, 40)]);
  });

  it('makes the next ROI from a mesh: its bounds, levelled on the eye corners 33 and 263', () => {
    const points: [number, number, number][] = Array.from({ length: 468 }, () => [0.5, 0.5, 0]);
    points[0] = [0.25, 0.25, 0];
    points[1] = [0.55, 0.75, 0];
    points[33] = [0.3, 0.4, 0];
    points[263] = [0.5, 0.4, 0];
    const r = roiFromLandmarks(points, W, H);
    // 120×100 px → 180 px square, level.
    closeAll([r.cx, r.cy, r.width, r.height, r.rotation], [0.4, 0.5, 180 / W, 180 / H, 0]);
  });

  it('keeps a tracked face\'s ROI over a detection of the same face, and adds a face not tracked', () => {
    const tracked: Roi = { cx: 0.5, cy: 0.5, width: 0.2, height: 0.2, rotation: 0.1 };
    const same: Roi = { cx: 0.51, cy: 0.5, width: 0.2, height: 0.2, rotation: 0 };
    const other: Roi = { cx: 0.2, cy: 0.5, width: 0.2, height: 0.2, rotation: 0 };
    assert.deepEqual(associate([tracked], [same, other]), [tracked, other]);
    assert.deepEqual(associate([], [other]), [other]);
    // Touching is not overlapping enough: IoU 0.33.
    const beside: Roi = { ...tracked, cx: 0.6 };
    assert.deepEqual(associate([tracked], [beside]), [tracked, beside]);
  });
});

describe('mesh points', () => {
  it('projects the network\'s pixels out of the ROI and scales z as x', () => {
    const roi: Roi = { cx: 0.5, cy: 0.5, width: 0.48, height: 0.96, rotation: 0 };
    // 192 px square: the centre, the top-left corner, a point 48 px right of the centre and 19.2 deep.
    const raw = new Float32Array([96, 96, 0, 0, 0, -9.6, 144, 96, 19.2]);
    const mesh = meshFromTensor(raw, 192, roi, W, H);
    assert.equal(mesh.length, 3);
    closeAll(mesh[0]!, [0.5, 0.5, 0], 1e-6);
    closeAll(mesh[1]!, [0.26, 0.02, -0.024], 1e-6);
    closeAll(mesh[2]!, [0.62, 0.5, 0.048], 1e-6);
  });
});
