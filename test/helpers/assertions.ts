// Assertions more than one test file makes about the models' outputs.
import assert from 'node:assert/strict';

/** The astronaut's face in test/fixtures/astronaut*.{png,jpg} is centred near (225, 125) px of 512×512. */
export const ASTRONAUT_FACE: readonly [number, number] = [225 / 512, 125 / 512];

export interface Face { box: [number, number, number, number]; score: number; keypoints: [number, number][] }

const unit = (v: unknown) => typeof v === 'number' && v >= 0 && v <= 1;

/**
 * A face-detection output that found the astronaut: `faces` is an array, and among them a face scored
 * over 0.5 whose box `[x, y, w, h]` (normalized to the image) holds the astronaut's face centre and that
 * has six keypoints `[x, y]`. Returns that face.
 */
export function assertFaces(output: unknown, centre: readonly [number, number] = ASTRONAUT_FACE): Face {
  const shown = () => JSON.stringify(output)?.slice(0, 400);
  const faces = (output as { faces?: unknown } | null)?.faces;
  assert.ok(Array.isArray(faces), `no "faces" array in ${shown()}`);
  const [cx, cy] = centre;
  const face = (faces as Face[]).find((f) => f.score > 0.5 && Array.isArray(f.box) &&
    f.box[0] < cx && cx < f.box[0] + f.box[2] && f.box[1] < cy && cy < f.box[1] + f.box[3]);
  assert.ok(face, `no face scored over 0.5 around (${cx.toFixed(3)}, ${cy.toFixed(3)}) in ${shown()}`);
  assert.ok(face.score <= 1, `score ${face.score}`);
  assert.equal(face.box.length, 4);
  assert.ok(face.box.every(unit) && face.box[2] > 0 && face.box[3] > 0, `box ${face.box} is not normalized`);
  assert.equal(face.keypoints.length, 6, `keypoints ${JSON.stringify(face.keypoints)}`);
  for (const k of face.keypoints) assert.ok(k.length === 2 && k.every(unit), `keypoint ${k} is not normalized`);
  return face;
}
