// The face mesh through the real page, checked against face-detection on the same photo: the 468 points
// on the astronaut's face, the nose tip and the eyes where face-detection puts them, also turned 30°;
// each live client tracked on its own (the detector skipped while its face is tracked); OSC as JSON and
// as numbers; the mesh drawn on TCP's annotated picture.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dataUri, fixture, postJson, startHarness, type Harness } from './helpers/page.ts';
import { assertFaces, type Face } from './helpers/assertions.ts';
import { socketioClient, tcpClient } from './helpers/clients.ts';
import { OscClient } from './helpers/osc.ts';
import { greenness } from './helpers/greenness.ts';

const ASTRONAUT = dataUri('astronaut.jpg', 'image/jpeg');
/** A printed page: no face. */
const NO_FACE = dataUri('page.png', 'image/png');
type Point = [number, number, number];
interface MeshFace { box: [number, number, number, number]; keypoints: Point[] }

/** Each eye's lid contours in MediaPipe's mesh: the first is the eye on the image's left. */
const EYES = [
  [33, 7, 163, 144, 145, 153, 154, 155, 133, 246, 161, 160, 159, 158, 157, 173],
  [263, 249, 390, 373, 374, 380, 381, 382, 362, 466, 388, 387, 386, 385, 384, 398],
];
const mean = (points: Point[]) => [0, 1].map((k) => points.reduce((s, p) => s + p[k]!, 0) / points.length) as [number, number];
const distance = (a: readonly number[], b: readonly number[]) => Math.hypot(a[0]! - b[0]!, a[1]! - b[1]!);

/** The one face of a face-mesh output, its 468 points numbers in range. */
function meshOf(output: any): MeshFace {
  assert.ok(Array.isArray(output?.faces), JSON.stringify(output).slice(0, 300));
  assert.equal(output.faces.length, 1, `faces: ${output.faces.length}`);
  const face = output.faces[0] as MeshFace;
  assert.equal(face.keypoints.length, 468);
  for (const p of face.keypoints) assert.ok(p.length === 3 && p.every(Number.isFinite) && Math.abs(p[2]) < 0.2, `point ${p}`);
  return face;
}

/** The mesh agrees with face-detection's face: every point in its box (grown by a tenth each side), the
 *  nose tip (1) and each eye's centre within `tolerance` of its box width from its keypoints. */
function assertOnFace(mesh: MeshFace, face: Pick<Face, 'box' | 'keypoints'>, tolerance = 0.12): void {
  const [x, y, w, h] = face.box;
  for (const [i, p] of mesh.keypoints.entries()) {
    assert.ok(p[0] > x - w / 10 && p[0] < x + w * 1.1 && p[1] > y - h / 10 && p[1] < y + h * 1.1, `point ${i} ${p} is off the face ${face.box}`);
  }
  const near = (what: string, a: readonly number[], b: readonly number[]) =>
    assert.ok(distance(a, b) < tolerance * w, `${what}: ${a.slice(0, 2)} is ${(distance(a, b) / w).toFixed(3)} face widths from ${b}`);
  near('nose tip', mesh.keypoints[1]!, face.keypoints[2]!);
  near('eye on the left', mean(EYES[0]!.map((i) => mesh.keypoints[i]!)), face.keypoints[0]!);
  near('eye on the right', mean(EYES[1]!.map((i) => mesh.keypoints[i]!)), face.keypoints[1]!);
  const [bx, by, bw, bh] = mesh.box;
  for (const p of mesh.keypoints) assert.ok(p[0] >= bx && p[0] <= bx + bw + 1e-5 && p[1] >= by && p[1] <= by + bh + 1e-5, 'the box holds every point');
}

describe('face mesh through the real page', () => {
  let h: Harness;
  let face: Face;
  before(async () => {
    // The default model too: TCP answers with it, annotated.
    h = await startHarness({ models: ['face-mesh', 'face-detection'], model: 'face-mesh' });
    face = assertFaces((await postJson(`${h.url}/models/face-detection/query`, { image: ASTRONAUT })).body);
  });
  after(async () => { await h?.close(); });

  it('is ready on the TFLite engine, on WASM where there is no GPU, saying why', async () => {
    const { models } = (await (await fetch(`${h.url}/models`)).json()) as { models: { id: string; state: string; backend: string; fallbackReason?: string }[] };
    const m = models.find((x) => x.id === 'face-mesh')!;
    assert.equal(m.state, 'ready', JSON.stringify(m));
    if (m.backend === 'wasm') assert.match(m.fallbackReason ?? '', /WebGPU/);
    else assert.equal(m.backend, 'webgpu');
  });

  it('puts 468 points on the astronaut\'s face, where face-detection finds it; a query that stands alone always detects', async () => {
    for (let i = 0; i < 2; i++) {
      const res = await postJson(`${h.url}/models/face-mesh/query`, { image: ASTRONAUT });
      assert.equal(res.status, 200, JSON.stringify(res.body).slice(0, 300));
      assertOnFace(meshOf(res.body), face);
      assert.equal(res.body.tracked, false);
    }
    const none = await postJson(`${h.url}/models/face-mesh/query`, { image: NO_FACE });
    assert.deepEqual(none.body, { faces: [], tracked: false });
  });

  it('follows a face turned 30°: the nose tip and the eyes where face-detection\'s turn with the picture', async () => {
    const turn = Math.PI / 6;
    const turned = await h.page.evaluate(async ([src, angle]) => {
      const img = await createImageBitmap(await (await fetch(src)).blob());
      const c = document.createElement('canvas');
      c.width = img.width; c.height = img.height;
      const g = c.getContext('2d')!;
      g.translate(c.width / 2, c.height / 2);
      g.rotate(angle);
      g.translate(-c.width / 2, -c.height / 2);
      g.drawImage(img, 0, 0);
      return c.toDataURL('image/png');
    }, [ASTRONAUT, turn] as const);
    // The picture is square: a point turns about (0.5, 0.5) as its pixels do.
    const rotate = ([x, y]: readonly number[]): [number, number] =>
      [0.5 + Math.cos(turn) * (x! - 0.5) - Math.sin(turn) * (y! - 0.5), 0.5 + Math.sin(turn) * (x! - 0.5) + Math.cos(turn) * (y! - 0.5)];
    const mesh = meshOf((await postJson(`${h.url}/models/face-mesh/query`, { image: turned })).body);
    const corners = [[face.box[0], face.box[1]], [face.box[0] + face.box[2], face.box[1]], [face.box[0], face.box[1] + face.box[3]], [face.box[0] + face.box[2], face.box[1] + face.box[3]]].map(rotate);
    const xs = corners.map((p) => p[0]), ys = corners.map((p) => p[1]);
    const box = [Math.min(...xs), Math.min(...ys), Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys)];
    assertOnFace(mesh, { box: box as Face['box'], keypoints: face.keypoints.map(rotate) }, 0.12 * face.box[2] / box[2]!);
    // The eyes' line turned with the face.
    const [left, right] = EYES.map((eye) => mean(eye.map((i) => mesh.keypoints[i]!)));
    const angle = Math.atan2(right![1] - left![1], right![0] - left![0]);
    assert.ok(Math.abs(angle - turn) < 0.1, `eyes at ${(angle * 180 / Math.PI).toFixed(1)}°`);
  });

  it('tracks each Socket.IO client apart: the detector runs on a client\'s first frame and when its face is lost, not while it is tracked', async () => {
    const [a, b] = [await socketioClient(h.bridge.listeners, 'face-mesh'), await socketioClient(h.bridge.listeners, 'face-mesh')];
    try {
      const ran = async (client: typeof a, image = ASTRONAUT) => !((await client.once({ image })) as { tracked: boolean }).tracked;
      assert.equal(await ran(a), true, 'a: first frame');
      assert.equal(await ran(a), false, 'a: tracked');
      assert.equal(await ran(b), true, 'b: first frame, though a is tracked');
      assert.equal(await ran(a), false, 'a: still tracked');
      assert.equal(await ran(b), false, 'b: tracked');
      // b loses its face (the landmark network finds none where it was tracked), and finds it again with
      // the detector; a is not disturbed.
      const lost = (await b.once({ image: NO_FACE })) as { faces: unknown[]; tracked: boolean };
      assert.deepEqual(lost, { faces: [], tracked: true }, 'b: its face lost');
      assert.equal(await ran(a), false, 'a: tracked through b\'s loss');
      assert.equal(await ran(b), true, 'b: found again');
      // A tracked frame's mesh is on the face as a detected one's is.
      const tracked = (await a.once({ image: ASTRONAUT })) as { tracked: boolean };
      assert.equal(tracked.tracked, true);
      assertOnFace(meshOf(tracked), face);
      // A query that stands alone has no key: it detects, and a's tracking goes on.
      assert.equal((await postJson(`${h.url}/models/face-mesh/query`, { image: ASTRONAUT })).body.tracked, false);
      assert.equal(await ran(a), false);
    } finally {
      a.close();
      b.close();
    }
  });

  it('runs the detector once in a 30-frame stream of one picture', async () => {
    const c = await socketioClient(h.bridge.listeners, 'face-mesh');
    try {
      const ran: boolean[] = [];
      for (let i = 0; i < 30; i++) ran.push(!((await c.once({ image: ASTRONAUT })) as { tracked: boolean }).tracked);
      assert.deepEqual(ran, [true, ...new Array(29).fill(false)]);
    } finally {
      c.close();
    }
  });

  it('answers OSC as JSON in one datagram, and as numbers: the 1,404 coordinates in chunks', async () => {
    const osc = await OscClient.open(h.bridge.listeners.osc!);
    try {
      osc.send('/models/face-mesh/server/connect');
      osc.send('/models/face-mesh/query', { type: 'b', value: fixture('astronaut.jpg') });
      const data = await osc.nextJson('/models/face-mesh/data');
      assertOnFace(meshOf(data), face);
      // About 12 KB: a single datagram (up to 65,000 bytes) holds it.
      const bytes = Buffer.byteLength(JSON.stringify(data));
      assert.ok(bytes > 8000 && bytes < 20_000, `${bytes} bytes of JSON`);
      osc.send('/models/face-mesh/server/disconnect');

      osc.send('/models/face-mesh/server/connect', { type: 's', value: 'numeric' });
      osc.send('/models/face-mesh/query', { type: 'b', value: fixture('astronaut.jpg') });
      const got: { address: string; args: unknown[] }[] = [];
      while (got.at(-1)?.address !== '/models/face-mesh/tracked') got.push(await osc.next('the numeric answer'));
      const numbers = got.filter((m) => m.address === '/models/face-mesh/faces/0/keypoints');
      assert.deepEqual(got.find((m) => m.address === '/models/face-mesh/faces/0/keypoints/count')?.args, [1404]);
      const flat = numbers.flatMap((m) => m.args.slice(1) as number[]);
      assert.equal(flat.length, 1404);
      const nose = flat.slice(3, 5);
      assert.ok(distance(nose, face.keypoints[2]!) < 0.12 * face.box[2], `nose ${nose}`);
      osc.send('/models/face-mesh/server/disconnect');
    } finally {
      osc.close();
    }
  });

  it('draws the mesh on TCP\'s annotated picture: the face changed, a corner not', async () => {
    const tcp = await tcpClient(h.bridge.listeners);
    const annotated = (await tcp.once(fixture('astronaut.jpg'))) as Buffer;
    tcp.close();
    assert.deepEqual([...annotated.subarray(0, 2)], [0xff, 0xd8], 'a JPEG');
    const after = `data:image/jpeg;base64,${annotated.toString('base64')}`;
    const faceGain = (await greenness(h.page, after, face.box)) - (await greenness(h.page, ASTRONAUT, face.box));
    assert.ok(faceGain > 15, `the face got greener by ${faceGain.toFixed(1)}`);
    const corner = [0.875, 0, 0.125, 0.125];
    const cornerGain = (await greenness(h.page, after, corner)) - (await greenness(h.page, ASTRONAUT, corner));
    assert.ok(Math.abs(cornerGain) < 5, `the corner changed by ${cornerGain.toFixed(1)}`);
  });
});
