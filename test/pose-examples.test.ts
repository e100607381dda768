// The body pose examples as users run them: both p5.js sketches (Socket.IO and the embed API) in Chromium
// against the real page running body-pose, on a fake camera that shows the astronaut, must draw a skeleton
// with her nose in her face; the Processing sketch's OSC exchange (examples/processing/pose/pose.pde),
// replayed by a real UDP client, must bring every keypoint its bones name, in numbers.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { BrowserContext } from 'playwright-core';
import { POSE_KEYPOINTS } from '../web/runtime/adapters/body-pose.ts';
import { fixture, startHarness, until, type Harness } from './helpers/page.ts';
import { ASTRONAUT_FACE } from './helpers/assertions.ts';
import { OscClient, type Received } from './helpers/osc.ts';
import { astronautCamera, exampleContext, repo, serveSketches } from './helpers/sketches.ts';

const WAIT_MS = 60_000;
const EXAMPLES = {
  'p5-pose-socketio': repo('examples/p5-pose-socketio/sketch.js'),
  'p5-pose-embed': repo('examples/p5-pose-embed/index.html'),
  'processing/pose': repo('examples/processing/pose/pose.pde'),
};

/** The bones an example draws: every pair of quoted names in its BONES list. */
function bonesOf(source: string): [string, string][] {
  const list = /BONES\s*=\s*[[{]([\s\S]*?)[\]}];/.exec(source)?.[1] ?? '';
  return [...list.matchAll(/[[{]\s*['"](\w+)['"],\s*['"](\w+)['"]\s*[\]}]/g)].map((m) => [m[1]!, m[2]!]);
}

/** Near the astronaut's face centre (normalized), as far as a nose is from it. */
const nearFace = (x: number, y: number) => Math.hypot(x - ASTRONAUT_FACE[0], y - ASTRONAUT_FACE[1]) < 0.1;

describe('the body pose examples', () => {
  it("name BlazePose's bones by its keypoint names, the same 35 in each", () => {
    const bones = Object.values(EXAMPLES).map((file) => bonesOf(readFileSync(file, 'utf8')));
    for (const list of bones) {
      assert.equal(list.length, 35);
      for (const [a, b] of list) assert.ok(POSE_KEYPOINTS.includes(a as never) && POSE_KEYPOINTS.includes(b as never), `${a}–${b}`);
    }
    assert.deepEqual(bones[1], bones[0]);
    assert.deepEqual(bones[2], bones[0]);
  });

  describe('against the real page (body-pose; the fake camera shows the astronaut)', () => {
    let h: Harness;
    let sketches: { server: Server; port: number };
    let examples: BrowserContext;
    const camera = astronautCamera();

    before(async () => {
      sketches = await serveSketches();
      h = await startHarness({ models: ['body-pose'], browserArgs: camera.args });
      examples = await exampleContext(h.browser);
    });
    after(async () => {
      await examples?.close().catch(() => {});
      await h?.close();
      sketches?.server.close();
      camera.remove();
    });

    const cases = [
      { example: 'p5-pose-socketio', bridge: () => h.bridge.listeners.socketio! },
      // The embed API loads the runtime and the model's files from the bridge's HTTP port.
      { example: 'p5-pose-embed', bridge: () => h.url },
    ];
    for (const { example, bridge } of cases) {
      it(`${example}: draws the skeleton over the webcam, the nose in the astronaut's face`, async () => {
        const page = await examples.newPage();
        const errors: string[] = [];
        page.on('pageerror', (err) => errors.push(err.message));
        try {
          await page.goto(`http://127.0.0.1:${sketches.port}/examples/${example}/?${new URLSearchParams({ bridge: bridge() })}`);
          type Drawn = { bones: number; nose: [number, number] | null };
          const drawn = await until(() => page.evaluate(() => {
            const d = (window as unknown as { drawn?: Drawn }).drawn;
            return d && d.bones > 0 && d.nose ? d : undefined;
          }), WAIT_MS, `${example} to draw a skeleton`).catch(async (err) => {
            throw new Error(`${err.message}; errors: ${errors.join('; ')}`);
          });
          const [x, y] = drawn.nose!;
          assert.ok(x >= 0 && x <= 640 && y >= 0 && y <= 480, `nose (${x}, ${y}) outside the 640×480 canvas`);
          assert.ok(nearFace(x / 640, y / 480), `nose (${x}, ${y}) not in the astronaut's face`);
          // Her face and shoulders are in the picture: the face's bones, the shoulders' and more.
          assert.ok(drawn.bones >= 10, `${drawn.bones} bones drawn`);
          assert.deepEqual(errors, []);
        } finally {
          await page.close();
        }
      });
    }

    it("processing/pose: its OSC exchange (numeric, one slot, a JPEG blob) brings the nose and each bone's keypoints", async () => {
      const pde = readFileSync(EXAMPLES['processing/pose'], 'utf8');
      const prefix = /final String PREFIX = "([^"]+)";/.exec(pde)![1]!;
      const client = await OscClient.open(h.bridge.listeners.osc!);
      try {
        // What the sketch sends: its connect (port, numeric, one slot) and the astronaut scaled to 256 px.
        client.send(`${prefix}/server/connect`, { type: 'i', value: client.port }, { type: 's', value: 'numeric' }, { type: 'i', value: 1 });
        client.send(`${prefix}/query`, { type: 'b', value: new Uint8Array(fixture('astronaut-256.jpg')) });
        // What it reads, up to the output's last message.
        const got = new Map<string, unknown[]>();
        for (let m: Received | undefined; m?.address !== `${prefix}/tracked`;) {
          m = await client.next(`${prefix}/tracked`, WAIT_MS);
          got.set(m.address, m.args);
        }
        assert.deepEqual(got.get(`${prefix}/poses/count`), [1]);
        const keypoint = (name: string) => got.get(`${prefix}/poses/0/keypoints/${name}`) as number[] | undefined;
        for (const [a, b] of bonesOf(pde)) assert.ok(keypoint(a)?.length === 4 && keypoint(b)?.length === 4, `${a}–${b}: ${[...got.keys()].join(' ')}`);
        const [x, y, , score] = keypoint('nose')!;
        assert.ok(nearFace(x!, y!), `nose (${x}, ${y}) not in the astronaut's face`);
        assert.ok(score! > 0.9, `nose visibility ${score}`);
      } finally {
        client.close();
      }
    });
  });
});
