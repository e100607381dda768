// BlazeFace's pure parts (web/runtime/adapters/blazeface.ts) on fixed tensors: anchors, decoding, weighted NMS, letterbox.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { anchorGrid, decodeHead, type Face } from '../web/runtime/adapters/blazeface.ts';
import { iou, unletterbox, weightedNms } from '../web/runtime/adapters/landmarks/detections.ts';

const close = (a: number, b: number, eps = 1e-5) => assert.ok(Math.abs(a - b) < eps, `${a} ≉ ${b}`);

describe('anchorGrid', () => {
  it('puts perCell anchors at each cell centre, row by row', () => {
    const a = anchorGrid(16, 2);
    assert.equal(a.length, 16 * 16 * 2 * 2);
    assert.deepEqual([...a.slice(0, 4)], [0.5 / 16, 0.5 / 16, 0.5 / 16, 0.5 / 16]);
    close(a[4]!, 1.5 / 16); // next cell, same row
    close(a[16 * 2 * 2 + 1]!, 1.5 / 16); // first cell of the second row
    assert.equal(anchorGrid(8, 6).length / 2, 384);
  });
});

describe('decodeHead', () => {
  const size = 256;
  const anchors = anchorGrid(2, 1); // centres (0.25,0.25) (0.75,0.25) (0.25,0.75) (0.75,0.75)

  it('keeps anchors above the threshold and offsets them by the box regression, in pixels', () => {
    const scores = new Float32Array([-5, 3, -5, -5]); // only anchor 1 passes 0.5
    const boxes = new Float32Array(4 * 16);
    boxes.set([25.6, -12.8, 64, 32, ...Array.from({ length: 12 }, (_, i) => i)], 16);
    const faces = decodeHead(scores, boxes, anchors, size, 0.5);
    assert.equal(faces.length, 1);
    const f = faces[0]!;
    close(f.score, 1 / (1 + Math.exp(-3)));
    // centre (0.75 + 0.1, 0.25 - 0.05), size (0.25, 0.125)
    close(f.box[0], 0.85 - 0.125); close(f.box[1], 0.2 - 0.0625); close(f.box[2], 0.25); close(f.box[3], 0.125);
    assert.equal(f.keypoints.length, 6);
    close(f.keypoints[0]![0], 0.75 + 0 / size); close(f.keypoints[0]![1], 0.25 + 1 / size);
    close(f.keypoints[5]![0], 0.75 + 10 / size); close(f.keypoints[5]![1], 0.25 + 11 / size);
  });

  it('clips huge logits instead of overflowing', () => {
    const faces = decodeHead(new Float32Array([1e9, -1e9, 0, 0]), new Float32Array(64), anchors, size, 0.4);
    assert.equal(faces.length, 3);
    close(faces[0]!.score, 1);
    close(faces[1]!.score, 0.5);
  });
});

describe('weightedNms', () => {
  const face = (x: number, y: number, w: number, score: number, kp = x): Face =>
    ({ box: [x, y, w, w], score, keypoints: Array.from({ length: 6 }, () => [kp, kp] as [number, number]) });

  it('merges overlapping candidates into their score-weighted mean, keeping the best score', () => {
    const out = weightedNms([face(0.10, 0.10, 0.2, 0.6), face(0.12, 0.10, 0.2, 0.9)], 0.3, 10);
    assert.equal(out.length, 1);
    close(out[0]!.score, 0.9);
    close(out[0]!.box[0], (0.10 * 0.6 + 0.12 * 0.9) / 1.5);
    close(out[0]!.keypoints[0]![0], (0.10 * 0.6 + 0.12 * 0.9) / 1.5);
  });

  it('keeps separate faces apart, best first, and honours maxFaces', () => {
    const out = weightedNms([face(0.1, 0.1, 0.1, 0.7), face(0.6, 0.6, 0.1, 0.95), face(0.3, 0.6, 0.1, 0.8)], 0.3, 10);
    assert.deepEqual(out.map((f) => f.score), [0.95, 0.8, 0.7]);
    assert.equal(weightedNms([face(0.1, 0.1, 0.1, 0.7), face(0.6, 0.6, 0.1, 0.95)], 0.3, 1).length, 1);
    assert.deepEqual(weightedNms([], 0.3, 10), []);
  });

  it('iou of identical, disjoint and half-overlapping boxes', () => {
    close(iou([0, 0, 1, 1], [0, 0, 1, 1]), 1);
    close(iou([0, 0, 1, 1], [2, 2, 1, 1]), 0);
    close(iou([0, 0, 2, 1], [1, 0, 2, 1]), 1 / 3);
  });
});

describe('unletterbox', () => {
  it('maps square model coordinates back to a wide image', () => {
    // A 2:1 image fills the square's width and the middle half of its height.
    const lb = { scaleX: 1, scaleY: 0.5, padX: 0, padY: 0.25 };
    const f = unletterbox({ box: [0.5, 0.25, 0.1, 0.1], score: 1, keypoints: [[0.5, 0.75]] }, lb);
    assert.deepEqual(f.box.map((v) => +v.toFixed(6)), [0.5, 0, 0.1, 0.2]);
    assert.deepEqual(f.keypoints[0], [0.5, 1]);
  });
});
