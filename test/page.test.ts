// The page as a person uses it: models listed with their backend, an image picked through the file
// input, the output drawn over it and shown as JSON, and that output reaching the bridge's /data.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startHarness, until, type Harness } from './helpers/page.ts';

const shots = fileURLToPath(new URL('../test-results/', import.meta.url));

describe('the page', () => {
  let h: Harness;
  before(async () => {
    mkdirSync(shots, { recursive: true });
    h = await startHarness();
    await h.page.setViewportSize({ width: 1100, height: 760 });
  });
  after(async () => { await h?.close(); });

  it('lists the model as ready, with its backend and size', async () => {
    const item = h.page.locator('li[data-model="face-detection"]');
    await item.waitFor();
    assert.equal(await item.getAttribute('data-state'), 'ready');
    assert.match(await item.innerText(), /Face detection[\s\S]*WASM · 0\.6 MB · loaded in \d+ ms/);
    assert.match(await item.innerText(), /WASM because/);
    assert.equal(await h.page.locator('#bridge-state').innerText(), 'bridge connected');
  });

  it('runs the model on a picked image, draws the faces, shows the JSON, and publishes to /data', async () => {
    await h.page.setInputFiles('#image-input', fileURLToPath(new URL('./fixtures/astronaut.jpg', import.meta.url)));
    const text = await until(async () => {
      const t = await h.page.locator('#output').innerText();
      return t.includes('faces') ? t : undefined;
    }, 15_000, 'the output JSON');
    const out = JSON.parse(text);
    assert.ok(out.faces[0].score > 0.5);
    // The box is drawn in green over the image: sample a pixel on the box's top edge.
    const [x, y, w] = out.faces[0].box as number[];
    const pixel = await h.page.evaluate(([px, py]) => {
      const c = document.getElementById('view') as HTMLCanvasElement;
      return [...c.getContext('2d')!.getImageData(Math.round(px! * c.width), Math.round(py! * c.height), 1, 1).data];
    }, [x! + w! / 2, y!]);
    assert.ok(pixel[1]! > 180 && pixel[0]! < 80 && pixel[2]! < 160, `expected the green box edge, got rgba(${pixel})`);
    assert.match(await h.page.locator('#run-state').innerText(), /face-detection: \d+ ms on WASM/);
    await h.page.screenshot({ path: `${shots}page-face-detection.png` });
    // An output made in the page is an output like any other.
    const data = await until(async () => {
      const d = (await (await fetch(`${h.url}/data`)).json()) as { faces?: unknown[] };
      return d.faces ? d : undefined;
    }, 5000, '/data to show the page\'s output');
    assert.deepEqual(data, out);
  });
});
