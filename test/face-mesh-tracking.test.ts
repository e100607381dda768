// The face mesh adapter's tracking without a browser: fake networks that see the faces a test puts in
// a fake picture, to check when the detector runs (while fewer than maxFaces faces are tracked), that a
// lost face is dropped and found again without a double, and that keys and models keep apart.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ModelManifest } from '../web/contract/index.ts';
import type { Network } from '../web/runtime/engines/engine.ts';
import { faceMesh, type MeshFace } from '../web/runtime/adapters/face-mesh.ts';
import { FakeBitmap, FakeCanvas, withFakeCanvas } from './helpers/fake-canvas.ts';

/** A square picture (so the detector's letterbox adds no border), in pixels. */
const SIZE = 400;
/** Face centres the fake networks can see, by name: two cells of the detector's 16×16 anchor grid. */
const FACES = { left: [4.5 / 16, 8.5 / 16], right: [11.5 / 16, 8.5 / 16] } as const;
type Name = keyof typeof FACES;

const tensor = (name: string, shape: number[]) => ({ name, type: 'float32', shape });

/** Fake networks over a scene: the detector finds each visible face (a box 0.2 wide, the eyes level),
 *  the landmark network a face where one is visible at its crop's centre. */
function scene() {
  const visible = new Set<Name>(['left', 'right']);
  const calls = { detector: 0, landmarks: 0 };
  const detector: Network = {
    inputs: [tensor('input', [1, 128, 128, 3])],
    outputs: [tensor('regressors', [1, 896, 16]), tensor('classificators', [1, 896, 1])],
    async run() {
      calls.detector++;
      const scores = new Float32Array(896).fill(-10);
      const boxes = new Float32Array(896 * 16);
      for (const name of visible) {
        const [x, y] = FACES[name];
        const i = (Math.floor(y * 16) * 16 + Math.floor(x * 16)) * 2;
        scores[i] = 10;
        // Offsets from the anchor in input pixels: the box, then the eyes 0.08 apart.
        boxes.set([0, 0, 25.6, 25.6, -5.12, -3.84, 5.12, -3.84], i * 16);
      }
      return { regressors: { type: 'float32', dims: [1, 896, 16], data: boxes }, classificators: { type: 'float32', dims: [1, 896, 1], data: scores } };
    },
    async release() {},
  };
  const landmarks: Network = {
    inputs: [tensor('input_1', [1, 192, 192, 3])],
    outputs: [tensor('conv2d_21', [1, 1, 1, 1404]), tensor('conv2d_31', [1, 1, 1, 1])],
    async run() {
      calls.landmarks++;
      // Where the crop's centre is on the picture: the last drawImage's transform, inverted.
      const [a, b, c, d, e, f] = FakeCanvas.drawn as [number, number, number, number, number, number];
      const det = a * d - b * c;
      const [u, v] = [96 - e, 96 - f];
      const centre = [(d * u - c * v) / det / SIZE, (a * v - b * u) / det / SIZE];
      const seen = [...visible].some((n) => Math.hypot(FACES[n][0] - centre[0]!, FACES[n][1] - centre[1]!) < 0.05);
      // 468 points over the middle two thirds of the crop (so the next crop is as large), eye corners level.
      const mesh = new Float32Array(1404);
      for (let i = 0; i < 468; i++) mesh.set([32 + (i % 22) * (128 / 21), 32 + Math.floor(i / 22) * (128 / 21), 0], i * 3);
      mesh.set([60, 80, 0], 33 * 3);
      mesh.set([132, 80, 0], 263 * 3);
      return {
        conv2d_21: { type: 'float32', dims: [1, 1, 1, 1404], data: mesh },
        conv2d_31: { type: 'float32', dims: [1, 1, 1, 1], data: new Float32Array([seen ? 5 : -5]) },
      };
    },
    async release() {},
  };
  return { visible, calls, networks: { detector, landmarks } };
}

const manifest = (id: string, maxFaces: number) => ({ id, file: 'landmarks.tflite', adapter: 'face-mesh', inputs: [], outputs: [], params: { maxFaces } }) as ModelManifest;

/** One frame through the adapter: its faces' centres (rounded to 0.01) and whether the detector ran. */
async function frame(s: ReturnType<typeof scene>, m: ModelManifest, track?: string) {
  const image = new FakeBitmap(SIZE, SIZE);
  const out = await withFakeCanvas(() => faceMesh.run({ image }, { network: s.networks.landmarks, networks: s.networks, files: {}, manifest: m, track }));
  assert.ok(image.closed, 'the picture is closed');
  const faces = (out.faces as MeshFace[]).map((f) => [f.box[0] + f.box[2] / 2, f.box[1] + f.box[3] / 2].map((v) => Math.round(v * 100) / 100));
  return { faces, detected: !out.tracked };
}

const LEFT = [0.28, 0.53], RIGHT = [0.72, 0.53];
const sorted = (faces: number[][]) => [...faces].sort((p, q) => p[0]! - q[0]!);

describe('face mesh tracking', () => {
  it('tracks two faces with maxFaces 2, runs the detector again when one is lost, and finds it without a double', async () => {
    const s = scene();
    const m = manifest('mesh-2', 2);
    assert.deepEqual(await frame(s, m, 'k').then((f) => ({ ...f, faces: sorted(f.faces) })), { faces: [LEFT, RIGHT], detected: true });
    assert.deepEqual(await frame(s, m, 'k').then((f) => ({ ...f, faces: sorted(f.faces) })), { faces: [LEFT, RIGHT], detected: false });
    assert.equal(s.calls.detector, 1);
    s.visible.delete('left');
    // Both were tracked: no detector; the landmark network drops the face that went.
    assert.deepEqual(await frame(s, m, 'k'), { faces: [RIGHT], detected: false });
    // One of two tracked: the detector runs, finds the right face again, and it is kept once.
    assert.deepEqual(await frame(s, m, 'k'), { faces: [RIGHT], detected: true });
    s.visible.add('left');
    assert.deepEqual(await frame(s, m, 'k').then((f) => ({ ...f, faces: sorted(f.faces) })), { faces: [LEFT, RIGHT], detected: true });
    assert.equal((await frame(s, m, 'k')).detected, false);
  });

  it('answers one face with maxFaces 1, tracked from then on', async () => {
    const s = scene();
    const m = manifest('mesh-1', 1);
    const first = await frame(s, m, 'k');
    assert.equal(first.faces.length, 1);
    assert.equal(first.detected, true);
    assert.deepEqual(await frame(s, m, 'k'), { faces: first.faces, detected: false });
  });

  it('keeps keys and models apart, and detects every time without a key', async () => {
    const s = scene();
    const [m, other] = [manifest('mesh-a', 2), manifest('mesh-b', 2)];
    assert.equal((await frame(s, m, 'k')).detected, true);
    assert.equal((await frame(s, m, 'k')).detected, false);
    assert.equal((await frame(s, m, 'k2')).detected, true, 'another key');
    assert.equal((await frame(s, other, 'k')).detected, true, 'the same key for another model');
    assert.equal((await frame(s, m)).detected, true, 'no key');
    assert.equal((await frame(s, m)).detected, true, 'no key, again');
    assert.equal((await frame(s, m, 'k')).detected, false, 'k still tracked');
  });
});
