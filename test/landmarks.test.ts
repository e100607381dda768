// The parts body and hand pose share (web/runtime/adapters/landmarks/), on fixed numbers: SSD anchors as
// MediaPipe's graphs set them up, box and keypoint decoding, the rotated region and its projection, the
// landmark tensor and its heatmap refinement.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ssdAnchors } from '../web/runtime/adapters/landmarks/anchors.ts';
import { decodeDetections } from '../web/runtime/adapters/landmarks/detections.ts';
import { normalizeRadians, projectFromRoi, roiFromAlignment, rotationBetween, transformRoi, type Roi } from '../web/runtime/adapters/landmarks/roi.ts';
import { boxAround, decodePoints, projectPoints, refineFromHeatmap, sigmoid } from '../web/runtime/adapters/landmarks/points.ts';
import { LandmarkSmoother, OneEuroFilter, POSE_SMOOTHING } from '../web/runtime/adapters/landmarks/smoothing.ts';

const close = (a: number, b: number, eps = 1e-5) => assert.ok(Math.abs(a - b) < eps, `${a} ≉ ${b}`);
const closeAll = (a: readonly number[], b: readonly number[], eps = 1e-5) => a.forEach((v, i) => close(v, b[i]!, eps));
const anchor = (a: Float32Array, i: number) => [...a.subarray(i * 4, i * 4 + 4)];

describe('SSD anchors', () => {
  it("BlazePose's detector: 2254 anchors, 2 per cell of 28×28 and 14×14, 6 per cell of 7×7 (three layers of stride 32)", () => {
    const a = ssdAnchors({ inputWidth: 224, inputHeight: 224, minScale: 0.1484375, maxScale: 0.75, strides: [8, 16, 32, 32, 32], fixedAnchorSize: true });
    assert.equal(a.length / 4, 2254);
    closeAll(anchor(a, 0), [0.5 / 28, 0.5 / 28, 1, 1]);
    closeAll(anchor(a, 1), [0.5 / 28, 0.5 / 28, 1, 1]);
    closeAll(anchor(a, 2), [1.5 / 28, 0.5 / 28, 1, 1]);
    closeAll(anchor(a, 28 * 2), [0.5 / 28, 1.5 / 28, 1, 1]);
    closeAll(anchor(a, 1568), [0.5 / 14, 0.5 / 14, 1, 1]);
    closeAll(anchor(a, 1568 + 392), [0.5 / 7, 0.5 / 7, 1, 1]);
    closeAll(anchor(a, 1568 + 392 + 5), [0.5 / 7, 0.5 / 7, 1, 1]);
    closeAll(anchor(a, 1568 + 392 + 6), [1.5 / 7, 0.5 / 7, 1, 1]);
    closeAll(anchor(a, 2253), [6.5 / 7, 6.5 / 7, 1, 1]);
  });

  it('the palm detector: 2016 anchors, 24×24×2 then 12×12×6', () => {
    const a = ssdAnchors({ inputWidth: 192, inputHeight: 192, minScale: 0.1484375, maxScale: 0.75, strides: [8, 16, 16, 16], fixedAnchorSize: true });
    assert.equal(a.length / 4, 2016);
    closeAll(anchor(a, 1152), [0.5 / 12, 0.5 / 12, 1, 1]);
    closeAll(anchor(a, 1152 + 6), [1.5 / 12, 0.5 / 12, 1, 1]);
  });

  it('anchor sizes, where not fixed: the layer scale per aspect ratio, then one between it and the next scale', () => {
    const a = ssdAnchors({ inputWidth: 64, inputHeight: 32, minScale: 0.2, maxScale: 0.4, strides: [32, 64], aspectRatios: [1, 4] });
    // Layer 0: a 2×1 map, scale 0.2: 0.2×0.2, then 0.4×0.1 (ratio 4), then √(0.2·0.4) square.
    assert.equal(a.length / 4, 2 * 3 + 1 * 3);
    closeAll(anchor(a, 0), [0.25, 0.5, 0.2, 0.2]);
    closeAll(anchor(a, 1), [0.25, 0.5, 0.4, 0.1]);
    closeAll(anchor(a, 2), [0.25, 0.5, Math.sqrt(0.08), Math.sqrt(0.08)]);
    closeAll(anchor(a, 3), [0.75, 0.5, 0.2, 0.2]);
    // Layer 1 (the last): scale 0.4, the in-between one up to 1.
    closeAll(anchor(a, 8), [0.5, 0.5, Math.sqrt(0.4), Math.sqrt(0.4)]);
  });
});

describe('decoding detections', () => {
  it('offsets the box and keypoints from the anchor in input pixels, scaled by its size, keeping scores that pass', () => {
    const anchors = Float32Array.from([0.25, 0.25, 1, 1, 0.75, 0.5, 0.5, 2]);
    const boxes = new Float32Array(2 * 8);
    boxes.set([22.4, -11.2, 44.8, 22.4, 0, 0, 11.2, 22.4], 0);
    boxes.set([22.4, 22.4, 22.4, 22.4, -22.4, 0, 0, 22.4], 8);
    const out = decodeDetections(boxes, Float32Array.from([2, 0.5]), anchors, { numCoords: 8, numKeypoints: 2, scale: 224, minScore: 0.7 });
    assert.equal(out.length, 1, 'sigmoid(2) = 0.88 passes 0.7, sigmoid(0.5) = 0.62 does not');
    const both = decodeDetections(boxes, Float32Array.from([2, 0.5]), anchors, { numCoords: 8, numKeypoints: 2, scale: 224, minScore: 0.5 });
    assert.equal(both.length, 2);
    const [a, b] = both;
    close(a!.score, sigmoid(2));
    // Centre (0.35, 0.2), size (0.2, 0.1).
    closeAll(a!.box, [0.25, 0.15, 0.2, 0.1]);
    closeAll(a!.keypoints.flat(), [0.25, 0.25, 0.3, 0.35]);
    // Anchor 0.5 wide, 2 tall: centre (0.8, 0.7), size (0.05, 0.2).
    closeAll(b!.box, [0.775, 0.6, 0.05, 0.2]);
    closeAll(b!.keypoints.flat(), [0.7, 0.5, 0.75, 0.7]);
  });
});

describe('regions of interest', () => {
  it('normalizes angles to [-π, π)', () => {
    close(normalizeRadians(3 * Math.PI / 2), -Math.PI / 2);
    close(normalizeRadians(-3 * Math.PI / 2), Math.PI / 2);
    close(normalizeRadians(Math.PI), -Math.PI);
    close(normalizeRadians(0.5), 0.5);
  });

  it('turns the direction between two points to upright, measured in pixels', () => {
    close(rotationBetween(0.5, 0.5, 0.5, 0.2, 200, 100), 0, 1e-6); // already up
    close(rotationBetween(0.5, 0.5, 0.7, 0.5, 200, 100), Math.PI / 2); // right: turn 90° clockwise
    close(rotationBetween(0.5, 0.5, 0.3, 0.5, 200, 100), -Math.PI / 2);
    close(rotationBetween(0.5, 0.5, 0.5, 0.8, 200, 100), -Math.PI); // down
    // 45° in pixels on a 2:1 image is 0.1 across and 0.2 up in normalized units.
    close(rotationBetween(0.5, 0.5, 0.6, 0.3, 200, 100), Math.PI / 4);
  });

  it('makes a square region twice the alignment distance, square in pixels', () => {
    const roi = roiFromAlignment([0.5, 0.5], [0.5, 0.25], 200, 100);
    closeAll([roi.cx, roi.cy, roi.width, roi.height, roi.rotation], [0.5, 0.5, 0.25, 0.5, 0]);
  });

  it('shifts along the turned axes, squares on the long side in pixels, then scales', () => {
    const roi: Roi = { cx: 0.5, cy: 0.5, width: 0.2, height: 0.1, rotation: 0 };
    const t = transformRoi(roi, { scaleX: 2, scaleY: 2, shiftY: -0.5, squareLong: true }, 100, 300);
    // 20×30 px → 30×30 px → 60×60; moved up by half the old height (15 px).
    closeAll([t.cx, t.cy, t.width, t.height], [0.5, 0.45, 0.6, 0.2]);
    const turned = transformRoi({ ...roi, rotation: Math.PI / 2 }, { shiftY: -0.5 }, 100, 300);
    // Turned 90° clockwise, the region's up is the image's right: moved right by 15 px.
    closeAll([turned.cx, turned.cy, turned.width, turned.height], [0.65, 0.5, 0.2, 0.1]);
  });

  it('projects crop points back to the image through the rotation', () => {
    const roi: Roi = { cx: 0.5, cy: 0.5, width: 0.5, height: 0.25, rotation: Math.PI / 2 }; // 100×100 px of 200×400
    closeAll(projectFromRoi(0.5, 0.5, roi, 200, 400), [0.5, 0.5]);
    // The crop's top (up) is the image's right, its right the image's down.
    closeAll(projectFromRoi(0.5, 0, roi, 200, 400), [0.75, 0.5]);
    closeAll(projectFromRoi(1, 0.5, roi, 200, 400), [0.5, 0.625]);
    const upright = { ...roi, rotation: 0 };
    closeAll(projectFromRoi(0, 0, upright, 200, 400), [0.25, 0.375]);
    closeAll(projectFromRoi(1, 1, upright, 200, 400), [0.75, 0.625]);
  });

});

describe('landmark tensors', () => {
  it('decodes points in input pixels, z scaled as x and divided by normalizeZ, visibility through a sigmoid', () => {
    const pose = decodePoints([128, 64, 25.6, 0, 9], 1, 5, 256);
    closeAll([pose[0]!.x, pose[0]!.y, pose[0]!.z, pose[0]!.visibility!], [0.5, 0.25, 0.1, 0.5]);
    const hand = decodePoints([0, 0, 0, 224, 112, 22.4], 2, 3, 224, 0.4);
    closeAll([hand[1]!.x, hand[1]!.y, hand[1]!.z], [1, 0.5, 0.25]);
    assert.equal(hand[1]!.visibility, undefined);
  });

  it('refines a point to the confidence-weighted cell of its window, only where the heatmap is confident', () => {
    // A 8×8 heatmap of two channels: channel 0 confident at cell (col 5, row 2), channel 1 nowhere.
    const heat = new Float32Array(8 * 8 * 2).fill(-20);
    heat[(2 * 8 + 5) * 2] = 20;
    const points = [{ x: 0.6, y: 0.3, z: 0 }, { x: 0.6, y: 0.3, z: 0 }];
    refineFromHeatmap(points, heat, 8, 8, 7);
    closeAll([points[0]!.x, points[0]!.y], [5 / 8, 2 / 8], 1e-4);
    closeAll([points[1]!.x, points[1]!.y], [0.6, 0.3]);
  });

  it('projects points with z scaled by the region width, and boxes them inside the image', () => {
    const roi: Roi = { cx: 0.5, cy: 0.5, width: 0.5, height: 0.5, rotation: 0 };
    const [p] = projectPoints([{ x: 1, y: 0, z: 0.2, visibility: 0.9 }], roi, 100, 100);
    closeAll([p!.x, p!.y, p!.z, p!.visibility!], [0.75, 0.25, 0.1, 0.9]);
    closeAll(boxAround([{ x: -0.2, y: 0.3 }, { x: 0.6, y: 1.4 }]), [0, 0.3, 0.6, 0.7]);
  });
});

describe('landmark smoothing (one-euro, as MediaPipe pose)', () => {
  /** A 30 fps sequence's outputs from the filter, with the speed scaled by a 100-pixel body. */
  const run = (values: number[], beta = POSE_SMOOTHING.beta) => {
    const f = new OneEuroFilter({ ...POSE_SMOOTHING, beta });
    return values.map((v, i) => f.apply(v, i / 30, 1 / 100));
  };
  const spread = (values: number[]) => {
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    return Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
  };

  it('passes a point at rest through unchanged, the first frame included', () => {
    assert.deepEqual(run(Array(10).fill(42)), Array(10).fill(42));
  });

  it('stills a trembling point: a pixel of jitter on a 100-pixel body at least halved', () => {
    const jitter = Array.from({ length: 90 }, (_, i) => 200 + (i % 2 ? 1 : -1));
    const out = run(jitter).slice(30);
    assert.ok(spread(out) < 0.5 * spread(jitter.slice(30)), `spread ${spread(out).toFixed(3)} of ${spread(jitter.slice(30))}`);
  });

  it('follows a fast move closely, much closer than the same filter without its speed term', () => {
    const move = Array.from({ length: 30 }, (_, i) => 10 * i); // 300 px/s for a 100 px body
    const lag = (out: number[]) => move.at(-1)! - out.at(-1)!;
    const adaptive = lag(run(move)), fixed = lag(run(move, 0));
    assert.ok(adaptive < 0.1 * fixed && adaptive < 15, `lag ${adaptive.toFixed(2)} px against ${fixed.toFixed(2)} px`);
  });

  it('passes a frame whose time did not advance unfiltered', () => {
    const f = new OneEuroFilter(POSE_SMOOTHING);
    f.apply(0, 1);
    assert.equal(f.apply(50, 1), 50);
  });

  it('smooths keypoints in pixels and their visibility with a low-pass, each track on its own', () => {
    const a = new LandmarkSmoother(), b = new LandmarkSmoother();
    const at = (x: number, visibility: number) => [{ x, y: 0.5, z: 0, visibility }, { x: x + 0.2, y: 0.7, z: 0.1, visibility }];
    const first = a.apply(at(0.3, 1), 0, 640, 480);
    closeAll([first[0]!.x, first[0]!.y, first[0]!.visibility!, first[1]!.z], [0.3, 0.5, 1, 0.1]);
    // One trembling frame: pulled back towards the first; the visibility drop damped by its low-pass (alpha 0.1).
    const second = a.apply(at(0.302, 0), 1 / 30, 640, 480);
    assert.ok(second[0]!.x > 0.3 && second[0]!.x < 0.3015, String(second[0]!.x));
    closeAll([second[0]!.visibility!], [0.9]);
    // Another track's first frame is its own.
    closeAll([b.apply(at(0.302, 0), 1 / 30, 640, 480)[0]!.x], [0.302]);
  });
});
