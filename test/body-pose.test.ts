// Body pose (BlazePose on the TFLite engine) through the real page: the astronaut's keypoints where her face
// and shoulders are, over HTTP with the detector every time; over Socket.IO each socket tracks on its own
// (the detector skipped after its first frame, one socket's region never used for another's frames).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import osc, { type OscPacket } from 'osc';
import { io, type Socket } from 'socket.io-client';
import type { Port } from '../web/contract/index.ts';
import { encodeNumeric } from '../bridge/protocols/osc/numeric/index.ts';
import { POSE_KEYPOINTS, poseRoi } from '../web/runtime/adapters/body-pose.ts';
import { dataUri, postJson, startHarness, type Harness } from './helpers/page.ts';
import { assertFaces } from './helpers/assertions.ts';

const ASTRONAUT = dataUri('astronaut.jpg', 'image/jpeg');

interface Keypoint { name: string; x: number; y: number; z: number; score: number }
interface Pose { box: number[]; score: number; keypoints: Keypoint[] }
interface Answer { poses: Pose[]; tracked: boolean }

const byName = (pose: Pose) => Object.fromEntries(pose.keypoints.map((k) => [k.name, k]));
const inBox = (k: Keypoint, [x, y, w, h]: number[]) => k.x > x! && k.x < x! + w! && k.y > y! && k.y < y! + h!;

async function socket(url: string): Promise<Socket> {
  const s = io(`${url}/models/body-pose`, { forceNew: true, reconnection: false, transports: ['websocket'] });
  await new Promise<void>((resolve, reject) => { s.once('connect', () => resolve()); s.once('connect_error', reject); });
  return s;
}
const ask = async (s: Socket, inputs: object) => (await s.timeout(30_000).emitWithAck('query', inputs)) as Answer;

describe("a body's region (pure)", () => {
  it('is centred on the hips, 1.25 × twice the distance to the scale point, square in pixels, upright along it', () => {
    const roi = poseRoi([0.5, 0.6], [0.5, 0.4], 640, 480);
    // 96 px to the scale point: a 192 px square grown to 240 px.
    for (const [got, want] of [[roi.cx, 0.5], [roi.cy, 0.6], [roi.width, 240 / 640], [roi.height, 240 / 480], [roi.rotation, 0]] as const) {
      assert.ok(Math.abs(got - want) < 1e-6, `${got} ≉ ${want}`);
    }
  });
});

describe('body pose through the real page', () => {
  let h: Harness;
  let face: number[];
  let mirrored: string;
  before(async () => {
    h = await startHarness({ models: ['body-pose', 'face-detection'] });
    face = assertFaces((await postJson(`${h.url}/models/face-detection/query`, { image: ASTRONAUT })).body).box;
    // The astronaut flipped left to right: her nose moves to 1 - x.
    mirrored = await h.page.evaluate(async (src) => {
      const img = await createImageBitmap(await (await fetch(src)).blob());
      const c = document.createElement('canvas');
      c.width = img.width; c.height = img.height;
      const g = c.getContext('2d')!;
      g.scale(-1, 1);
      g.drawImage(img, -img.width, 0);
      return c.toDataURL('image/jpeg', 0.9);
    }, ASTRONAUT);
  });
  after(async () => { await h?.close(); });

  it('is ready on the TFLite engine', async () => {
    const { models } = (await (await fetch(`${h.url}/models`)).json()) as { models: { id: string; state: string; backend: string }[] };
    const m = models.find((x) => x.id === 'body-pose')!;
    assert.equal(m.state, 'ready', JSON.stringify(m));
    assert.ok(['wasm', 'webgpu'].includes(m.backend));
  });

  for (const variant of ['full', 'lite', undefined]) {
    it(`finds the astronaut's pose (${variant ?? 'no variant: full'}): nose and eyes in her face box, shoulders below, on the right sides`, async () => {
      const res = await postJson(`${h.url}/models/body-pose/query`, { image: ASTRONAUT, ...(variant ? { variant } : {}) });
      assert.equal(res.status, 200, JSON.stringify(res.body).slice(0, 300));
      const { poses, tracked } = res.body as Answer;
      assert.equal(tracked, false, 'HTTP queries stand alone: the detector runs');
      assert.equal(poses.length, 1);
      const [pose] = poses;
      assert.ok(pose!.score > 0.5 && pose!.score <= 1, `score ${pose!.score}`);
      assert.deepEqual(pose!.keypoints.map((k) => k.name), [...POSE_KEYPOINTS]);
      const k = byName(pose!);
      for (const name of ['nose', 'left_eye', 'right_eye', 'mouth_left', 'mouth_right']) {
        assert.ok(inBox(k[name]!, face), `${name} (${k[name]!.x}, ${k[name]!.y}) outside the face box ${face}`);
        assert.ok(k[name]!.score > 0.9, `${name} visible: ${k[name]!.score}`);
      }
      const eyes = Math.max(k.left_eye!.y, k.right_eye!.y);
      assert.ok(k.mouth_left!.y > eyes && k.nose!.y > Math.min(k.left_eye!.y, k.right_eye!.y), 'mouth and nose below the eyes');
      for (const side of ['left', 'right']) {
        const s = k[`${side}_shoulder`]!;
        assert.ok(s.y > face[1]! + face[3]!, `${side} shoulder (y ${s.y}) below the face`);
        assert.ok(s.score > 0.9, `${side} shoulder visible: ${s.score}`);
      }
      // She faces the camera: her left is the picture's right.
      assert.ok(k.left_shoulder!.x > k.nose!.x && k.nose!.x > k.right_shoulder!.x, 'left shoulder, nose, right shoulder from right to left');
      assert.ok(k.left_eye!.x > k.right_eye!.x);
      const [x, y, w, hgt] = pose!.box;
      assert.ok(inBox(k.nose!, [x!, y!, w!, hgt!]) && x! >= 0 && y! >= 0 && x! + w! <= 1 + 1e-6 && y! + hgt! <= 1 + 1e-6, `box ${pose!.box}`);
    });
  }

  it('finds no one on a page of text, and refuses a variant it does not have', async () => {
    const res = await postJson(`${h.url}/models/body-pose/query`, { image: dataUri('page.png', 'image/png') });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { poses: [], tracked: false });
    const bad = await postJson(`${h.url}/models/body-pose/query`, { image: ASTRONAUT, variant: 'heavy' });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error, /input "variant".*one of "full", "lite"/);
  });

  it('tracks each Socket.IO client on its own: the detector skipped after its first frame, no region shared', async () => {
    const [a, b] = [await socket(h.bridge.listeners.socketio!), await socket(h.bridge.listeners.socketio!)];
    try {
      const a1 = await ask(a, { image: ASTRONAUT });
      const a2 = await ask(a, { image: ASTRONAUT });
      assert.deepEqual([a1.tracked, a2.tracked], [false, true], 'a: detected, then tracked');
      // b's first frame is its own: a's region does not reach it, and b's pose is of b's (mirrored) picture.
      const b1 = await ask(b, { image: mirrored });
      assert.equal(b1.tracked, false, "b's first frame runs the detector though a is tracking");
      const noseA = byName(a2.poses[0]!).nose!, noseB = byName(b1.poses[0]!).nose!;
      assert.ok(Math.abs(noseB.x - (1 - noseA.x)) < 0.03 && Math.abs(noseB.y - noseA.y) < 0.03, `b's nose ${noseB.x} mirrors a's ${noseA.x}`);
      const b2 = await ask(b, { image: mirrored });
      const a3 = await ask(a, { image: ASTRONAUT });
      assert.deepEqual([b2.tracked, a3.tracked], [true, true], 'each goes on tracking its own');
      assert.ok(Math.abs(byName(a3.poses[0]!).nose!.x - noseA.x) < 0.02, "a's nose stays on a's picture");
      assert.ok(Math.abs(byName(b2.poses[0]!).nose!.x - noseB.x) < 0.02, "b's nose stays on b's picture");
      // A query that stands alone, in between, neither tracks nor disturbs them.
      assert.equal(((await postJson(`${h.url}/models/body-pose/query`, { image: ASTRONAUT })).body as Answer).tracked, false);
      assert.equal((await ask(a, { image: ASTRONAUT })).tracked, true);
      // Tracking lost (no one in the frame): the next frame detects again.
      assert.deepEqual(await ask(a, { image: dataUri('page.png', 'image/png') }), { poses: [], tracked: false });
      assert.equal((await ask(a, { image: ASTRONAUT })).tracked, false);
    } finally {
      a.close();
      b.close();
    }
  });

  it('runs the detector once in a 30-frame stream of one picture', async () => {
    const s = await socket(h.bridge.listeners.socketio!);
    try {
      const tracked: boolean[] = [];
      for (let i = 0; i < 30; i++) tracked.push((await ask(s, { image: ASTRONAUT })).tracked);
      assert.deepEqual(tracked, [false, ...Array(29).fill(true)]);
    } finally {
      s.close();
    }
  });

  it('sends numeric OSC clients each keypoint by name, and all 33 as zeros when no one is there', async () => {
    const ports = (JSON.parse(readFileSync(new URL('../public/models/body-pose/model.json', import.meta.url), 'utf8')) as { outputs: Port[] }).outputs;
    const addresses = (outputs: object) => encodeNumeric('body-pose', ports, outputs as never, { slots: 1 })
      .flatMap((d) => { const flat = (p: OscPacket): string[] => 'packets' in p ? p.packets.flatMap(flat) : [`${p.address} ${(p.args as { type: string }[]).map((x) => x.type).join('')}`]; return flat(osc.readPacket(d, { metadata: true })); });
    const found = addresses((await postJson(`${h.url}/models/body-pose/query`, { image: ASTRONAUT })).body);
    assert.ok(found.includes('/body-pose/poses/0/keypoints/nose ffff'), found.join('\n'));
    assert.ok(found.includes('/body-pose/poses/0/box ffff') && found.includes('/body-pose/tracked i'));
    const none = addresses({ poses: [], tracked: false });
    assert.deepEqual(none.filter((a) => a.includes('/keypoints/')), POSE_KEYPOINTS.map((n) => `/body-pose/poses/0/keypoints/${n} ffff`));
  });
});
