// The embed API in a page that is not the bridge's, with no bridge running: the runtime module is
// loaded from a copy of dist/ on the page's own server, or from another origin, and runs the model
// in the page: load, query an image, stream frames from a fake camera, dispose.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS, until } from './helpers/page.ts';
import { assertFaces } from './helpers/assertions.ts';
import { bigPng } from './helpers/media.ts';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const example = fileURLToPath(new URL('../examples/plain-html/', import.meta.url));

/** A plain static server; `cors` makes it the "other origin" a page may load the runtime from. */
async function staticServer(roots: { prefix: string; root: string }[], cors: boolean, isolated = false): Promise<{ url: string; app: FastifyInstance }> {
  const app = Fastify();
  for (const [i, { prefix, root }] of roots.entries()) {
    await app.register(fastifyStatic, {
      root, prefix, decorateReply: i === 0,
      setHeaders: (res) => {
        if (cors) res.header('Access-Control-Allow-Origin', '*');
        res.header('Cross-Origin-Resource-Policy', 'cross-origin');
        if (isolated) {
          res.header('Cross-Origin-Opener-Policy', 'same-origin');
          res.header('Cross-Origin-Embedder-Policy', 'require-corp');
        }
      },
    });
  }
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, app };
}

describe('embed API, no bridge', () => {
  let site: Awaited<ReturnType<typeof staticServer>>;
  let other: Awaited<ReturnType<typeof staticServer>>;
  let browser: Browser;
  let page: Page;

  before(async () => {
    site = await staticServer([{ prefix: '/', root: example }, { prefix: '/pagebridge/', root: dist }], false);
    other = await staticServer([{ prefix: '/', root: dist }], true);
    browser = await chromium.launch({
      executablePath: CHROMIUM, headless: true,
      args: [...CHROMIUM_ARGS, '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'],
    });
    page = await browser.newPage();
    page.on('pageerror', (err) => console.log(`# page error: ${err.message}`));
  });
  after(async () => {
    await browser?.close();
    await site?.app.close();
    await other?.app.close();
  });

  it('loads the model from its own copy of the runtime and finds the face in a picked image', async () => {
    await page.goto(`${site.url}/?runtime=/pagebridge/runtime.js`);
    await until(async () => /Ready on (WASM|WEBGPU)/.test(await page.locator('#state').innerText()), 30_000, 'the model to load');
    await page.setInputFiles('#file', fileURLToPath(new URL('./fixtures/astronaut.jpg', import.meta.url)));
    await until(async () => (await page.locator('#state').innerText()) === '1 face(s)', 15_000, 'one face');
    const out = JSON.parse(await page.locator('#output').innerText());
    assertFaces(out);
  });

  it('queries a canvas, a Blob and bytes; info and backend are there', async () => {
    const r = await page.evaluate(async () => {
      const { model } = (window as any).pagebridgeExample;
      const img = await createImageBitmap(await (await fetch('/pagebridge/models/face-detection/model.json')).blob()).catch(() => null);
      const canvas = document.createElement('canvas');
      canvas.width = 320; canvas.height = 240;
      canvas.getContext('2d')!.fillRect(0, 0, 320, 240);
      const blank = await model.query({ image: canvas });
      return { img, blank, info: model.info, backend: model.backend };
    });
    assert.deepEqual(r.blank, { faces: [] });
    assert.equal(r.info.inputs[0].name, 'image');
    assert.ok(['wasm', 'webgpu'].includes(r.backend));
  });

  it('refuses an image that declares more pixels than the limit before decoding it, and answers the next query', async () => {
    const png = bigPng(20000, 20000).toString('base64');
    const r = await page.evaluate(async (png) => {
      const { model } = (window as any).pagebridgeExample;
      const bytes = Uint8Array.from(atob(png), (c) => c.charCodeAt(0));
      const refused = await model.query({ image: bytes }).then(() => 'answered', (e: Error) => e.message);
      const canvas = document.createElement('canvas');
      canvas.width = 64; canvas.height = 64;
      return { refused, next: await model.query({ image: canvas }) };
    }, png);
    assert.match(r.refused, /20000×20000 PNG is 400000000 pixels, over the limit of 40000000 \(--max-pixels\)/);
    assert.deepEqual(r.next, { faces: [] });
  });

  it('streams frames from a fake camera, latest frame first, then disposes the worker and sessions', async () => {
    const r = await page.evaluate(async () => {
      const { model } = (window as any).pagebridgeExample;
      const video = document.createElement('video');
      video.muted = true;
      video.srcObject = await navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 240 } });
      await video.play();
      let outputs = 0;
      let lastStats: any;
      const stream = model.stream(video, (out: any, stats: any) => { if (Array.isArray(out.faces)) outputs++; lastStats = stats; }, { fps: 15 });
      await new Promise((res) => setTimeout(res, 3000));
      stream.stop();
      const after = outputs;
      await new Promise((res) => setTimeout(res, 500));
      return { outputs, afterStop: outputs - after, stats: lastStats };
    });
    assert.ok(r.outputs >= 5, `only ${r.outputs} outputs in 3 s`);
    assert.equal(r.afterStop, 0, 'outputs after stop()');
    assert.ok(r.stats.fps > 0 && r.stats.fps <= 16, `fps ${r.stats.fps}`);

    assert.equal(page.workers().length > 0, true);
    const disposed = await page.evaluate(async () => {
      const { model } = (window as any).pagebridgeExample;
      await model.dispose();
      return model.query({ image: new Uint8Array([1]) }).then(() => 'answered', (e: Error) => e.message);
    });
    assert.match(disposed, /disposed/);
    await until(() => page.workers().length === 0, 5000, 'the runtime worker to end');
  });

  it('runs from a runtime on another origin (as from the bridge\'s port)', async () => {
    const p = await browser.newPage();
    p.on('pageerror', (err) => console.log(`# page error: ${err.message}`));
    try {
      await p.goto(`${site.url}/?runtime=${encodeURIComponent(`${other.url}/runtime.js`)}`);
      await until(async () => /Ready on/.test(await p.locator('#state').innerText()), 30_000, 'the model to load cross-origin');
      await p.setInputFiles('#file', fileURLToPath(new URL('./fixtures/astronaut.jpg', import.meta.url)));
      await until(async () => (await p.locator('#state').innerText()) === '1 face(s)', 15_000, 'one face');
    } finally {
      await p.close();
    }
  });

  it('runs a TFLite model (person segmentation) from a runtime on another origin, isolated or not', async () => {
    // The isolated page gets LiteRT's threaded build, whose threads start from a blob of its script; the
    // other gets the single-threaded one.
    const isolated = await staticServer([{ prefix: '/', root: example }], false, true);
    const workers: Record<string, number> = {};
    try {
      for (const url of [site.url, isolated.url]) {
        const p = await browser.newPage();
        p.on('pageerror', (err) => console.log(`# page error: ${err.message}`));
        try {
          // The example page, its face detection from the other origin too: one runtime, two engines.
          await p.goto(`${url}/?runtime=${encodeURIComponent(`${other.url}/runtime.js`)}`);
          await until(async () => /Ready on/.test(await p.locator('#state').innerText()), 30_000, 'face detection to load');
          const r = await p.evaluate(async ([runtime, src]) => {
            const { loadModel } = await import(runtime!);
            const model = await loadModel('person-segmentation');
            const out = await model.query({ image: await (await fetch(src!)).blob() });
            const canvas = new OffscreenCanvas(out.width, out.height);
            model.draw(canvas.getContext('2d'), out, out.width, out.height);
            const tinted = canvas.getContext('2d')!.getImageData(225, 125, 1, 1).data[1]!;
            await model.dispose();
            const mask = out.mask as ImageData;
            // Grey pixels: white on her face (225, 125), black on the wall at the top left (10, 10).
            const face = mask.data[(125 * mask.width + 225) * 4]!, wall = mask.data[(10 * mask.width + 10) * 4]!;
            return { isolated: crossOriginIsolated, backend: model.backend, width: out.width, mask: [mask instanceof ImageData, mask.width, mask.height, face, wall], tinted };
          }, [`${other.url}/runtime.js`, `data:image/jpeg;base64,${readFileSync(fileURLToPath(new URL('./fixtures/astronaut.jpg', import.meta.url))).toString('base64')}`]);
          assert.equal(r.isolated, url === isolated.url);
          assert.equal(r.width, 512);
          const [isImageData, width, height, face, wall] = r.mask;
          assert.deepEqual([isImageData, width, height], [true, 512, 512], 'the mask as ImageData the size of the image');
          assert.ok((face as number) > 200 && (wall as number) < 30, `mask ${face} on the face, ${wall} on the wall`);
          assert.ok(r.tinted > 100, `the face is drawn tinted (green ${r.tinted})`);
          workers[url] = p.workers().length;
        } finally {
          await p.close();
        }
      }
      // LiteRT's threads are workers of their own.
      assert.ok(workers[isolated.url]! > workers[site.url]!, JSON.stringify(workers));
    } finally {
      await isolated.app.close();
    }
  });
});
