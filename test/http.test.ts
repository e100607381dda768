// The foundation end to end: HTTP clients → bridge → relay → headless page → worker → onnxruntime-web.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dataUri, fixture, health, postJson, startHarness, until, type Harness } from './helpers/page.ts';
import { assertFaces } from './helpers/assertions.ts';

describe('HTTP (Runway) through the real page', () => {
  let h: Harness;
  before(async () => { h = await startHarness({ maxBody: 2 * 1024 * 1024 }); });
  after(async () => { await h?.close(); });

  it('reports the page and its model in /health and /models', async () => {
    const s = await health(h.url);
    assert.equal(s.status, 'ok');
    assert.equal(s.pages, 1);
    const models = (await (await fetch(`${h.url}/models`)).json()) as any;
    assert.equal(models.default, 'face-detection');
    const face = models.models.find((m: any) => m.id === 'face-detection');
    assert.equal(face.state, 'ready');
    assert.ok(['wasm', 'webgpu'].includes(face.backend));
  });

  it('GET /info matches model.json', async () => {
    const manifest = JSON.parse(readFileSync(new URL('../public/models/face-detection/model.json', import.meta.url), 'utf8'));
    const info = await (await fetch(`${h.url}/info`)).json();
    assert.deepEqual(info, { inputs: manifest.inputs, outputs: manifest.outputs });
    assert.deepEqual(await (await fetch(`${h.url}/models/face-detection/info`)).json(), info);
  });

  it('GET /data is {} and /error null before the first query', async () => {
    assert.deepEqual(await (await fetch(`${h.url}/data`)).json(), {});
    assert.deepEqual(await (await fetch(`${h.url}/error`)).json(), { error: null });
  });

  it('finds the face in a PNG data URI, and /data returns the same output', async () => {
    const res = await postJson(`${h.url}/query`, { image: dataUri('astronaut.png', 'image/png') });
    assert.equal(res.status, 200);
    assertFaces(res.body);
    assert.deepEqual(await (await fetch(`${h.url}/data`)).json(), res.body);
    assert.deepEqual(await (await fetch(`${h.url}/models/face-detection/data`)).json(), res.body);
  });

  it('finds the face in an image/jpeg body, and in bare base64', async () => {
    const res = await fetch(`${h.url}/query`, { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: fixture('astronaut.jpg') });
    assert.equal(res.status, 200);
    const out = await res.json();
    assertFaces(out);
    assert.deepEqual(await (await fetch(`${h.url}/data`)).json(), out);
    const bare = await postJson(`${h.url}/models/face-detection/query`, { image: fixture('astronaut.jpg').toString('base64') });
    assert.equal(bare.status, 200);
    assertFaces(bare.body);
  });

  describe('bad input gets its status and a message naming the problem; good queries still work', () => {
    const good = async () => {
      const res = await postJson(`${h.url}/query`, { image: dataUri('astronaut.jpg', 'image/jpeg') });
      assert.equal(res.status, 200);
      assertFaces(res.body);
    };

    it('invalid JSON → 400', async () => {
      const res = await fetch(`${h.url}/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"image": ' });
      assert.equal(res.status, 400);
      assert.match((await res.json()).error, /JSON/);
      await good();
    });

    it('missing image → 400 naming "image"; refused before the model, it leaves /error null', async () => {
      await good();
      const res = await postJson(`${h.url}/query`, { picture: 'x' });
      assert.equal(res.status, 400);
      assert.match(res.body.error, /missing input "image"/);
      assert.deepEqual(await (await fetch(`${h.url}/error`)).json(), { error: null });
      await good();
    });

    it('an image that does not decode → 400 naming "image"', async () => {
      const res = await postJson(`${h.url}/query`, { image: 'data:image/png;base64,' + Buffer.from('not a png at all').toString('base64') });
      assert.equal(res.status, 400);
      assert.match(res.body.error, /"image" does not decode/);
      await good();
    });

    it('bytes that look like a JPEG but are not one → 400 before the page, naming "image" and why', async () => {
      const fake = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(200, 7)]);
      const res = await fetch(`${h.url}/query`, { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: fake });
      assert.equal(res.status, 400);
      assert.match((await res.json()).error, /^input "image" does not decode as an image \(a JPEG of 204 bytes that does not decode: its header is truncated\)$/);
      await good();
    });

    it('a wrong type → 400 naming the input', async () => {
      const res = await postJson(`${h.url}/query`, { image: 42 });
      assert.equal(res.status, 400);
      assert.match(res.body.error, /input "image" must be a string/);
    });

    it('an oversized body → 413 naming the limit', async () => {
      const res = await fetch(`${h.url}/query`, { method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ image: 'A'.repeat(3 * 1024 * 1024) }) });
      assert.equal(res.status, 413);
      assert.match((await res.json()).error, /over the limit of 2097152 bytes/);
      await good();
    });

    it('an unknown model → 404 naming it and the models there are', async () => {
      const res = await postJson(`${h.url}/models/nope/query`, { image: 'x' });
      assert.equal(res.status, 404);
      assert.match(res.body.error, /no model "nope" \(models: face-detection, body-pose, face-detection-short, face-mesh, hand-pose, line-segments, ocr, person-segmentation, voice-activity\)/);
      assert.equal((await fetch(`${h.url}/models/nope/data`)).status, 404);
      await good();
    });

    it('neither JSON nor image → 415', async () => {
      const res = await fetch(`${h.url}/query`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' });
      assert.equal(res.status, 415);
      assert.match((await res.json()).error, /Content-Type/);
      await good();
    });

    it('a DNS-rebinding Host → 403', async () => {
      const { request } = await import('node:http');
      const status = await new Promise<number>((resolve, reject) => {
        const u = new URL(h.url);
        request({ host: u.hostname, port: u.port, path: '/info', headers: { host: 'attacker.example:8000' } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        }).on('error', reject).end();
      });
      assert.equal(status, 403);
    });
  });

  it('the page going away fails the waiting query at once; a new page serves again', async () => {
    const page = h.page;
    // Hold the runtime worker (where the relay answers) so the query cannot be answered before the page
    // closes. The loop starts as soon as this evaluate returns, so it is running before the query is sent.
    const runtime = page.workers().find((w) => w.url().includes('worker'));
    assert.ok(runtime, `the runtime worker among ${page.workers().map((w) => w.url()).join(', ')}`);
    await runtime.evaluate(() => { setTimeout(() => { const end = Date.now() + 1500; while (Date.now() < end) { /* busy */ } }, 0); });
    const pending = postJson(`${h.url}/query`, { image: dataUri('astronaut.jpg', 'image/jpeg') });
    await new Promise((r) => setTimeout(r, 200));
    await page.close({ runBeforeUnload: false });
    const closed = Date.now();
    const res = await pending;
    const waited = Date.now() - closed;
    assert.equal(res.status, 503);
    assert.match(res.body.error, /went away before answering/);
    // Far below the 30 s query timeout: the bridge fails held queries as soon as the relay drops.
    assert.ok(waited < 1000, `the error came ${waited} ms after the page closed`);
    await until(async () => (await health(h.url)).pages === 0, 5000, 'no page in /health');
    const s = await health(h.url);
    assert.equal(s.status, 'waiting');
    const none = await postJson(`${h.url}/query`, { image: dataUri('astronaut.jpg', 'image/jpeg') });
    assert.equal(none.status, 503);
    assert.ok(none.headers.get('retry-after'));
    assert.match(none.body.error, /no page is connected/);

    await h.openPage();
    const again = await postJson(`${h.url}/query`, { image: dataUri('astronaut.jpg', 'image/jpeg') });
    assert.equal(again.status, 200);
    assertFaces(again.body);
  });
});
