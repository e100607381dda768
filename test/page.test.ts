// The page as a person uses it: models listed with their backend, an image picked through the file
// input, the output drawn over it and shown as JSON, and that output reaching the bridge's /data.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { io } from 'socket.io-client';
import { postJson, startHarness, until, type Harness } from './helpers/page.ts';
import { affineModel } from './helpers/onnx.ts';
import { assertFaces } from './helpers/assertions.ts';

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
    assert.match(await item.innerText(), /Face detection[\s\S]*WASM · 0\.7 MB · loaded in \d+ ms/);
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
    assertFaces(out);
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

  it('loads a dropped .onnx with its info from the graph, and serves it over HTTP', async () => {
    await h.page.setInputFiles('#onnx-input', { name: 'My Affine.onnx', mimeType: 'application/octet-stream', buffer: Buffer.from(affineModel()) });
    const item = h.page.locator('li[data-model="my-affine"]');
    await until(async () => (await item.getAttribute('data-state')) === 'ready', 20_000, 'the dropped model to load');
    const info = await until(async () => {
      const res = await fetch(`${h.url}/models/my-affine/info`);
      return res.status === 200 ? res.json() : undefined;
    }, 5000, 'the bridge to know the dropped model');
    assert.deepEqual(info, {
      inputs: [{ name: 'x', type: 'tensor', dtype: 'float32', dims: ['N', 4], description: 'float32 [N, 4]' }],
      outputs: [{ name: 'y', type: 'tensor', dtype: 'float32', dims: ['N', 4], description: 'float32 [N, 4]' }],
    });
    const res = await postJson(`${h.url}/models/my-affine/query`, { x: { dtype: 'float32', dims: [2, 4], data: [1, 2, 3, 4, 5, 6, 7, 8] } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body, { y: { dtype: 'float32', dims: [2, 4], data: [3, 5, 7, 9, 11, 13, 15, 17] } });
    // A wrong shape is the caller's error, named.
    const bad = await postJson(`${h.url}/models/my-affine/query`, { x: { dims: [2, 4], data: [1, 2] } });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error, /input "x": dims \[2, 4\] hold 8 values, data has 2/);
    // The page offers a JSON box for it, prefilled with a runnable example.
    assert.equal(await h.page.locator('#json-input').isHidden(), false);
    await h.page.click('#json-run');
    await until(async () => (await h.page.locator('#output').innerText()).includes('"y"'), 5000, 'the JSON run');
    assert.deepEqual(JSON.parse(await h.page.locator('#output').innerText()).y.data, [1, 1, 1, 1]);
    await h.page.screenshot({ path: `${shots}page-dropped-model.png` });
  });

  it('shows the bridge\'s real address in the Network panel, with a curl snippet that works as pasted', async () => {
    await h.page.selectOption('#model-select', 'face-detection');
    const panel = h.page.locator('#network [role="tabpanel"]');
    await until(async () => (await panel.getAttribute('data-protocol')) === 'http', 5000, 'the HTTP tab');
    assert.equal(await panel.locator('.address').innerText(), h.url);
    assert.notEqual(new URL(h.url).port, '8000', 'the harness runs the bridge on a non-default port');
    const curl = await panel.locator('pre[data-snippet="curl"]').innerText();
    assert.ok(curl.includes(`${h.url}/models/face-detection/query`), curl);
    // Run it as a person would: in a folder holding photo.jpg.
    const dir = mkdtempSync(join(tmpdir(), 'pagebridge-snippet-'));
    copyFileSync(fileURLToPath(new URL('./fixtures/astronaut.jpg', import.meta.url)), join(dir, 'photo.jpg'));
    // Asynchronously: the bridge under test shares this process's event loop.
    const out = JSON.parse((await promisify(execFile)('bash', ['-c', curl], { cwd: dir, encoding: 'utf8' })).stdout);
    assert.ok(out.faces[0].score > 0.5, JSON.stringify(out));
    // The tabs are reachable from the keyboard.
    await h.page.focus('#tab-http');
    assert.equal(await h.page.evaluate(() => document.activeElement?.id), 'tab-http');
    await h.page.screenshot({ path: `${shots}page-network.png`, fullPage: true });
  });

  it('logs requests from clients in the Activity panel', async () => {
    await postJson(`${h.url}/models/face-detection/query`, { image: 'not an image' });
    const row = h.page.locator('#activity li.bad', { hasText: 'does not decode as an image' }).first();
    await row.waitFor({ timeout: 5000 });
    assert.match((await row.textContent()) ?? '', /http.*face-detection.*error: input "image" does not decode as an image/);
    const ok = h.page.locator('#activity li:not(.bad)', { hasText: 'face-detection' }).first();
    assert.match((await ok.textContent()) ?? '', /http.*face-detection\d+ ms.*ok/);
  });

  it('runs the model live on the camera; live outputs reach a Socket.IO listener and /data', async () => {
    await h.page.selectOption('#model-select', 'face-detection');
    await h.page.selectOption('#fps', '15');
    await h.page.click('#camera');
    await until(async () => /live: \d+ fps/.test(await h.page.locator('#run-state').innerText()), 15_000, 'live outputs');
    assert.equal(await h.page.getAttribute('#camera', 'aria-pressed'), 'true');
    // Chromium's fake camera shows no face: live outputs are empty face lists. They reach a passive
    // Socket.IO listener and /data like any other output.
    const listener = io(h.bridge.listeners.socketio!, { forceNew: true, reconnection: false });
    try {
      const live = await new Promise<{ faces: unknown[] }>((resolve) => listener.on('data', (d: { faces: unknown[] }) => { if (d.faces.length === 0) resolve(d); }));
      assert.deepEqual(live, { faces: [] });
    } finally {
      listener.close();
    }
    await fetch(`${h.url}/query`, { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: readFileSync(new URL('./fixtures/astronaut.jpg', import.meta.url)) });
    await until(async () => {
      const d = (await (await fetch(`${h.url}/data`)).json()) as { faces?: unknown[] };
      return Array.isArray(d.faces) && d.faces.length === 0;
    }, 5000, 'a live output in /data after the HTTP one');
    await h.page.screenshot({ path: `${shots}page-camera.png` });
    await h.page.click('#pause');
    assert.equal(await h.page.getAttribute('#pause', 'aria-pressed'), 'true');
    await h.page.click('#camera');
    assert.equal(await h.page.getAttribute('#camera', 'aria-pressed'), 'false');
  });

  it('fits a narrow window without sideways scrolling', async () => {
    await h.page.setViewportSize({ width: 400, height: 900 });
    assert.ok(await h.page.evaluate(() => document.documentElement.scrollWidth <= 400));
    await h.page.screenshot({ path: `${shots}page-narrow.png`, fullPage: true });
    await h.page.setViewportSize({ width: 1100, height: 760 });
  });

  it('unloads a model (the bridge then says it is not ready) and loads it again', async () => {
    const item = h.page.locator('li[data-model="face-detection"]');
    await item.locator('button[data-action="unload"]').click();
    await until(async () => (await item.getAttribute('data-state')) === 'unloaded', 5000, 'unloaded');
    const gone = await until(async () => {
      const r = await postJson(`${h.url}/models/face-detection/query`, { image: readFileSync(new URL('./fixtures/astronaut.jpg', import.meta.url)).toString('base64') });
      return r.status === 503 ? r : undefined;
    }, 5000, 'a 503 while unloaded');
    assert.match(gone.body.error, /not ready on any page \(unloaded\)/);
    await item.locator('button[data-action="load"]').click();
    await until(async () => (await item.getAttribute('data-state')) === 'ready', 20_000, 'loaded again');
    const res = await until(async () => {
      const r = await fetch(`${h.url}/query`, { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: readFileSync(new URL('./fixtures/astronaut.jpg', import.meta.url)) });
      return r.status === 200 ? r.json() : undefined;
    }, 5000, 'answers again');
    assert.ok((res as { faces: { score: number }[] }).faces[0]!.score > 0.5);
  });
});
