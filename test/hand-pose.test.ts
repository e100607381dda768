// Hand pose (MediaPipe Hands on the TFLite engine): its regions on fixed numbers, then through the real page
// on real photos of a left and a right hand (test/fixtures/README.md): 21 keypoints along the fingers,
// the handedness, both hands at once; over Socket.IO each socket tracks its own hands.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { io, type Socket } from 'socket.io-client';
import { HAND_KEYPOINTS, handRoi, palmRoi } from '../web/runtime/adapters/hand-pose.ts';
import { associate } from '../web/runtime/adapters/landmarks/roi.ts';
import type { Roi } from '../web/runtime/adapters/landmarks/roi.ts';
import { dataUri, postJson, startHarness, type Harness } from './helpers/page.ts';

const LEFT = dataUri('hand-left.jpg', 'image/jpeg');
const RIGHT = dataUri('hand-right.jpg', 'image/jpeg');

interface Keypoint { name: string; x: number; y: number; z: number }
interface Hand { handedness: string; score: number; handednessScore: number; box: number[]; keypoints: Keypoint[] }
interface Answer { hands: Hand[]; tracked: boolean }

const closeAll = (got: readonly number[], want: readonly number[], eps = 1e-6) =>
  got.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < eps, `${got} ≉ ${want}`));
const roiNumbers = (r: Roi) => [r.cx, r.cy, r.width, r.height, r.rotation];
const byName = (hand: Hand) => Object.fromEntries(hand.keypoints.map((k) => [k.name, k]));
const dist = (a: Keypoint, b: Keypoint) => Math.hypot(a.x - b.x, a.y - b.y);

describe('hand regions (pure)', () => {
  it("a palm's: its box turned along wrist → middle finger, moved half its height that way, squared, 2.6×", () => {
    const palm = { box: [0.4, 0.4, 0.2, 0.1] as [number, number, number, number], score: 1,
      keypoints: [[0.5, 0.6], [0, 0], [0.5, 0.4]] as [number, number][] };
    closeAll(roiNumbers(palmRoi(palm, 100, 100)), [0.5, 0.45 - 0.05, 0.52, 0.52, 0]);
    const sideways = { ...palm, keypoints: [[0.4, 0.45], [0, 0], [0.6, 0.45]] as [number, number][] };
    // Fingers to the right: the region's up is the image's right, and it moves right.
    closeAll(roiNumbers(palmRoi(sideways, 100, 100)), [0.55, 0.45, 0.52, 0.52, Math.PI / 2]);
  });

  // An upright hand's palm-side keypoints inside x 0.4..0.6, y 0.5..0.9; the PIP joints' mean straight above the wrist.
  const upright: [number, number][] = Array(21).fill([0.5, 0.7]);
  Object.entries({ 0: [0.5, 0.9], 1: [0.42, 0.85], 2: [0.4, 0.8], 3: [0.4, 0.75], 5: [0.45, 0.6], 6: [0.45, 0.5], 9: [0.5, 0.6],
    10: [0.5, 0.5], 13: [0.55, 0.6], 14: [0.55, 0.5], 17: [0.6, 0.65], 18: [0.6, 0.55] }).forEach(([i, p]) => { upright[Number(i)] = p as [number, number]; });

  it("a tracked hand's: the box around its palm-side keypoints along wrist → PIP joints, moved a tenth that way, squared, 2×", () => {
    const points = upright.map(([x, y]) => ({ x, y }));
    closeAll(roiNumbers(handRoi(points, 100, 100)), [0.5, 0.66, 0.8, 0.8, 0]);
    // The same hand turned 90° clockwise about (0.5, 0.7): fingers to the right.
    const turned = upright.map(([x, y]) => ({ x: 0.5 - (y - 0.7), y: 0.7 + (x - 0.5) }));
    closeAll(roiNumbers(handRoi(turned, 100, 100)), [0.54, 0.7, 0.8, 0.8, Math.PI / 2]);
  });

  it('keeps a tracked hand over a detection of it, and adds the detections of other hands', () => {
    const tracked: Roi = { cx: 0.3, cy: 0.5, width: 0.2, height: 0.2, rotation: 0 };
    const same: Roi = { ...tracked, cx: 0.31 };
    const other: Roi = { ...tracked, cx: 0.7 };
    assert.deepEqual(associate([tracked], [same, other]), [tracked, other]);
    assert.deepEqual(associate([], [same, other]), [same, other]);
  });
});

async function socket(url: string): Promise<Socket> {
  const s = io(`${url}/models/hand-pose`, { forceNew: true, reconnection: false, transports: ['websocket'] });
  await new Promise<void>((resolve, reject) => { s.once('connect', () => resolve()); s.once('connect_error', reject); });
  return s;
}
const ask = async (s: Socket, inputs: object) => (await s.timeout(30_000).emitWithAck('query', inputs)) as Answer;

/** A hand whose fingers point right in the photo: each tip further from the wrist than its first joint. */
function assertOpenHand(hand: Hand, handedness: string, thumbUp: boolean): void {
  assert.equal(hand.handedness, handedness);
  assert.ok(hand.score > 0.9 && hand.handednessScore > 0.75, `scores ${hand.score}, ${hand.handednessScore}`);
  assert.deepEqual(hand.keypoints.map((k) => k.name), [...HAND_KEYPOINTS]);
  const k = byName(hand);
  for (const finger of ['index_finger', 'middle_finger', 'ring_finger', 'pinky_finger']) {
    assert.ok(dist(k[`${finger}_tip`]!, k.wrist!) > dist(k[`${finger}_mcp`]!, k.wrist!) + 0.1, `${finger} reaches out from the wrist`);
    assert.ok(k[`${finger}_tip`]!.x > k.wrist!.x + 0.4, `${finger} points right`);
  }
  // The thumb is on top for the left palm, below for the right palm.
  assert.equal(k.thumb_tip!.y < k.index_finger_mcp!.y, thumbUp, `thumb tip y ${k.thumb_tip!.y}, index base y ${k.index_finger_mcp!.y}`);
  const [x, y, w, h] = hand.box;
  for (const p of hand.keypoints) assert.ok(p.x >= x! - 1e-6 && p.x <= x! + w! + 1e-6 && p.y >= y! - 1e-6 && p.y <= y! + h! + 1e-6, `${p.name} outside the box`);
}

describe('hand pose through the real page', () => {
  let h: Harness;
  let both: string;
  let mirroredLeft: string;
  before(async () => {
    h = await startHarness({ models: ['hand-pose'] });
    [both, mirroredLeft] = await h.page.evaluate(async ([left, right]) => {
      const [l, r] = await Promise.all([left!, right!].map(async (src) => createImageBitmap(await (await fetch(src)).blob())));
      // Both photos side by side on white, the left hand on the left; and the left hand flipped.
      const c = document.createElement('canvas');
      c.width = l!.width + r!.width; c.height = Math.max(l!.height, r!.height);
      const g = c.getContext('2d')!;
      g.fillStyle = '#fff'; g.fillRect(0, 0, c.width, c.height);
      g.drawImage(l!, 0, 0);
      g.drawImage(r!, l!.width, 0);
      const m = document.createElement('canvas');
      m.width = l!.width; m.height = l!.height;
      const mg = m.getContext('2d')!;
      mg.scale(-1, 1);
      mg.drawImage(l!, -l!.width, 0);
      return [c.toDataURL('image/jpeg', 0.92), m.toDataURL('image/jpeg', 0.92)];
    }, [LEFT, RIGHT]);
  });
  after(async () => { await h?.close(); });

  it('is ready on the TFLite engine', async () => {
    const { models } = (await (await fetch(`${h.url}/models`)).json()) as { models: { id: string; state: string }[] };
    assert.equal(models.find((x) => x.id === 'hand-pose')?.state, 'ready');
  });

  for (const variant of ['full', 'lite']) {
    it(`finds a left and a right hand in photos of each (${variant})`, async () => {
      const left = await postJson(`${h.url}/models/hand-pose/query`, { image: LEFT, variant });
      assert.equal(left.status, 200, JSON.stringify(left.body).slice(0, 300));
      assert.equal(left.body.tracked, false);
      assert.equal(left.body.hands.length, 1);
      assertOpenHand(left.body.hands[0], 'Left', true);
      const right = await postJson(`${h.url}/models/hand-pose/query`, { image: RIGHT, variant });
      assert.equal(right.body.hands.length, 1);
      assertOpenHand(right.body.hands[0], 'Right', false);
    });
  }

  it('finds both hands side by side, and one with maxHands 1; none in the astronaut picture (no hand shows)', async () => {
    const two = (await postJson(`${h.url}/models/hand-pose/query`, { image: both })).body as Answer;
    assert.equal(two.hands.length, 2);
    const [l, r] = [two.hands.find((x) => x.handedness === 'Left')!, two.hands.find((x) => x.handedness === 'Right')!];
    assert.ok(l && r, JSON.stringify(two.hands.map((x) => x.handedness)));
    assert.ok(l.box[0]! + l.box[2]! < 0.5 + 0.02 && r.box[0]! > 0.5 - 0.02, `left hand ${l.box}, right hand ${r.box}`);
    const one = (await postJson(`${h.url}/models/hand-pose/query`, { image: both, maxHands: 1 })).body as Answer;
    assert.equal(one.hands.length, 1);
    assert.deepEqual((await postJson(`${h.url}/models/hand-pose/query`, { image: dataUri('astronaut.jpg', 'image/jpeg') })).body, { hands: [], tracked: false });
  });

  it('tracks each Socket.IO client on its own: detector skipped once maxHands are tracked, no hand shared', async () => {
    const [a, b] = [await socket(h.bridge.listeners.socketio!), await socket(h.bridge.listeners.socketio!)];
    try {
      const a1 = await ask(a, { image: LEFT, maxHands: 1 });
      const a2 = await ask(a, { image: LEFT, maxHands: 1 });
      assert.deepEqual([a1.tracked, a2.tracked], [false, true]);
      // b's first frame runs the palm detector, and its hand is b's own: the left hand mirrored shows as a right one.
      const b1 = await ask(b, { image: mirroredLeft, maxHands: 1 });
      assert.equal(b1.tracked, false);
      assert.equal(b1.hands[0]?.handedness, 'Right');
      const wristA = byName(a2.hands[0]!).wrist!, wristB = byName(b1.hands[0]!).wrist!;
      assert.ok(Math.abs(wristB.x - (1 - wristA.x)) < 0.03, `b's wrist ${wristB.x} mirrors a's ${wristA.x}`);
      const [b2, a3] = [await ask(b, { image: mirroredLeft, maxHands: 1 }), await ask(a, { image: LEFT, maxHands: 1 })];
      assert.deepEqual([b2.tracked, a3.tracked, b2.hands[0]?.handedness, a3.hands[0]?.handedness], [true, true, 'Right', 'Left']);
      // With room for two hands and one in sight, the palm detector runs every frame (as MediaPipe's graph does).
      assert.deepEqual([(await ask(a, { image: LEFT })).tracked, (await ask(a, { image: LEFT })).tracked], [false, false]);
      // Two hands tracked: the detector rests.
      const c = await socket(h.bridge.listeners.socketio!);
      const twoHands = [await ask(c, { image: both }), await ask(c, { image: both })];
      c.close();
      assert.deepEqual(twoHands.map((x) => [x.tracked, x.hands.length]), [[false, 2], [true, 2]]);
    } finally {
      a.close();
      b.close();
    }
  });

  it('runs the palm detector once in a 30-frame stream of one hand with maxHands 1', async () => {
    const s = await socket(h.bridge.listeners.socketio!);
    try {
      const tracked: boolean[] = [];
      for (let i = 0; i < 30; i++) tracked.push((await ask(s, { image: RIGHT, maxHands: 1 })).tracked);
      assert.deepEqual(tracked, [false, ...Array(29).fill(true)]);
    } finally {
      s.close();
    }
  });
});
