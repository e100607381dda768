// Person segmentation, the TFLite engine's model, through the real page: HTTP answers a PNG mask that
// covers the astronaut and not the wall behind her, the page draws her tinted, TCP answers the mask as a PNG frame, OSC sends the mask
// where it fits one datagram and /error where it does not.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { dataUri, fixture, postJson, startHarness, until, type Harness } from './helpers/page.ts';
import { assertFaces } from './helpers/assertions.ts';
import { tcpClient } from './helpers/clients.ts';
import { OscClient } from './helpers/osc.ts';
import { decodeGreyPng, meanIn, type GreyImage } from './helpers/png.ts';

const ASTRONAUT = dataUri('astronaut.jpg', 'image/jpeg');
/** The astronaut's top corners (64 px of 512): the flag and the wall, no person. */
const CORNERS = [[0, 0, 0.125, 0.125], [0.875, 0, 0.125, 0.125]] as const;

/** A PNG data URI's pixels. */
function maskOf(uri: unknown): GreyImage {
  assert.equal(typeof uri, 'string');
  assert.match(uri as string, /^data:image\/png;base64,/);
  return decodeGreyPng(Buffer.from((uri as string).split(',')[1]!, 'base64'));
}

describe('person segmentation through the real page', () => {
  let h: Harness;
  let face: number[];
  before(async () => {
    // The default model too: TCP answers with its mask.
    h = await startHarness({ models: ['person-segmentation', 'face-detection'], model: 'person-segmentation' });
    face = assertFaces((await postJson(`${h.url}/models/face-detection/query`, { image: ASTRONAUT })).body).box;
  });
  after(async () => { await h?.close(); });

  it('is ready on the TFLite engine, on WASM where there is no GPU, saying why', async () => {
    const { models } = (await (await fetch(`${h.url}/models`)).json()) as { models: { id: string; state: string; backend: string; fallbackReason?: string }[] };
    const m = models.find((x) => x.id === 'person-segmentation')!;
    assert.equal(m.state, 'ready', JSON.stringify(m));
    if (m.backend === 'wasm') assert.match(m.fallbackReason ?? '', /WebGPU/);
    else assert.equal(m.backend, 'webgpu');
  });

  for (const variant of ['general', 'landscape', undefined]) {
    it(`masks the astronaut (${variant ?? 'no variant: general'}): her face white, the wall behind her black`, async () => {
      const res = await postJson(`${h.url}/models/person-segmentation/query`, { image: ASTRONAUT, ...(variant ? { variant } : {}) });
      assert.equal(res.status, 200, JSON.stringify(res.body).slice(0, 300));
      assert.equal(res.body.width, 512);
      assert.equal(res.body.height, 512);
      const mask = maskOf(res.body.mask);
      assert.equal(mask.width, 512);
      assert.equal(mask.height, 512);
      const inFace = meanIn(mask, face);
      assert.ok(inFace > 0.8, `mean mask in the face box ${face}: ${inFace.toFixed(3)}`);
      for (const corner of CORNERS) {
        const inCorner = meanIn(mask, corner);
        assert.ok(inCorner < 0.05, `mean mask in the corner ${corner}: ${inCorner.toFixed(3)}`);
      }
    });
  }

  it('answers HTTP with the mask PNG itself when asked (?format=png), the same mask as in JSON', async () => {
    const res = await fetch(`${h.url}/models/person-segmentation/query?format=png`, { method: 'POST', body: fixture('astronaut.jpg'), headers: { 'content-type': 'image/jpeg' } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'image/png');
    const mask = decodeGreyPng(new Uint8Array(await res.arrayBuffer()));
    assert.deepEqual([mask.width, mask.height], [512, 512]);
    assert.ok(meanIn(mask, face) > 0.8, 'her face white');
  });

  it('makes the mask the size of any image, and refuses a variant it does not have before the page', async () => {
    const png = `data:image/png;base64,${fixture('astronaut.png').toString('base64')}`;
    const wide = await h.page.evaluate(async (src) => {
      const img = await createImageBitmap(await (await fetch(src)).blob());
      const c = document.createElement('canvas');
      c.width = 300; c.height = 120;
      c.getContext('2d')!.drawImage(img, 0, 0, 300, 120);
      return c.toDataURL('image/png');
    }, png);
    const res = await postJson(`${h.url}/models/person-segmentation/query`, { image: wide, variant: 'landscape' });
    assert.equal(res.status, 200);
    assert.deepEqual([res.body.width, res.body.height], [300, 120]);
    const mask = maskOf(res.body.mask);
    assert.deepEqual([mask.width, mask.height], [300, 120]);
    const bad = await postJson(`${h.url}/models/person-segmentation/query`, { image: ASTRONAUT, variant: 'portrait' });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error, /input "variant".*one of "general", "landscape"/);
  });

  it('runs in the page on a picked image: the person tinted on its canvas, the mask shown as its size and sent to the bridge', async () => {
    await h.page.selectOption('#model-select', 'person-segmentation');
    await h.page.setInputFiles('#image-input', fileURLToPath(new URL('./fixtures/astronaut.jpg', import.meta.url)));
    const text = await until(async () => {
      const t = await h.page.locator('#output').innerText();
      return t.includes('"mask"') ? t : undefined;
    }, 15_000, 'the output JSON');
    assert.match(JSON.parse(text).mask, /^\(\d+ bytes\)$/);
    // The canvas shows the picture with the tint drawn over the face and not over the corner: each pixel
    // against the same pixel of the picture alone.
    const [faceGain, cornerGain] = await h.page.evaluate(async ([src, points]) => {
      const view = (document.getElementById('view') as HTMLCanvasElement).getContext('2d')!;
      const img = await createImageBitmap(await (await fetch(src)).blob());
      const plain = new OffscreenCanvas(img.width, img.height).getContext('2d')!;
      plain.drawImage(img, 0, 0);
      // (No named functions in here: the test runner's transform would name them with a helper the page lacks.)
      return points.map(([x, y]) => {
        const at = [Math.round(x! * img.width), Math.round(y! * img.height), 1, 1] as const;
        const [r, g] = view.getImageData(...at).data;
        const [r0, g0] = plain.getImageData(...at).data;
        return (g! - r!) - (g0! - r0!);
      });
    }, [ASTRONAUT, [[face[0]! + face[2]! / 2, face[1]! + face[3]! / 2], [0.95, 0.05]]] as const);
    assert.ok(faceGain! > 50, `the face got greener by ${faceGain}`);
    assert.ok(Math.abs(cornerGain!) < 5, `the corner changed by ${cornerGain}`);
    // The page's own output reaches the bridge with the mask as bytes, a data URI in /data (512 wide: the
    // query before was 300×120).
    const data = await until(async () => {
      const d = (await (await fetch(`${h.url}/models/person-segmentation/data`)).json()) as { mask?: string };
      return d.mask ? d : undefined;
    }, 5000, "/data to show the page's output");
    assert.equal(maskOf(data.mask).width, 512);
  });

  it('answers a JPEG over TCP with the mask as a PNG frame: the astronaut white, the wall black', async () => {
    const tcp = await tcpClient(h.bridge.listeners);
    const frame = (await tcp.once(fixture('astronaut.jpg'))) as Buffer;
    tcp.close();
    assert.deepEqual([...frame.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], 'a PNG');
    const mask = decodeGreyPng(frame);
    assert.deepEqual([mask.width, mask.height], [512, 512]);
    assert.ok(meanIn(mask, face) > 0.8, `mean mask in the face box: ${meanIn(mask, face).toFixed(3)}`);
    for (const corner of CORNERS) assert.ok(meanIn(mask, corner) < 0.05, `mean mask in the corner ${corner}`);
  });

  it('sends OSC clients the mask where it fits one datagram, /error where it does not', async () => {
    const osc = await OscClient.open(h.bridge.listeners.osc!);
    try {
      osc.send('/models/person-segmentation/server/connect');
      osc.send('/models/person-segmentation/info');
      await osc.nextJson('/models/person-segmentation/info');
      // The astronaut's 512×512 mask: about 26 KB of JSON.
      osc.send('/models/person-segmentation/query', { type: 'b', value: fixture('astronaut.jpg') });
      const data = await osc.nextJson('/models/person-segmentation/data');
      assert.equal(maskOf(data.mask).width, 512);
      // 960×540 (from HTTP: every client gets every output): its mask is over 65,000 bytes as JSON.
      const large = await h.page.evaluate(async (src) => {
        const img = await createImageBitmap(await (await fetch(src)).blob());
        const c = document.createElement('canvas');
        c.width = 960; c.height = 540;
        c.getContext('2d')!.drawImage(img, 210, 0, 540, 540);
        return c.toDataURL('image/jpeg', 0.8);
      }, ASTRONAUT);
      assert.equal((await postJson(`${h.url}/models/person-segmentation/query`, { image: large })).status, 200);
      const { error } = await osc.nextJson('/models/person-segmentation/error');
      assert.match(error, /^the output is \d+ bytes, too large for OSC .*use HTTP/);
      osc.send('/models/person-segmentation/server/disconnect');
    } finally {
      osc.close();
    }
  });
});
