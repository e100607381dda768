// Pages come and go: several pages share the work, what a closing page held runs once more on another,
// and a page killed while loading can simply be opened again.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { io } from 'socket.io-client';
import WebSocket from 'ws';
import { dataUri, health, postJson, startHarness, until, type Harness } from './helpers/page.ts';

const FACE = { image: dataUri('astronaut.jpg', 'image/jpeg') };

describe('reliability', () => {
  let h: Harness;
  before(async () => { h = await startHarness(); });
  after(async () => { await h?.close(); });

  it('spreads queries over two pages; closing one loses nothing queued on the other', async () => {
    const first = h.page;
    const second = await h.openPage();
    await until(async () => (await health(h.url)).pages === 2, 10_000, 'two pages');
    const results = await Promise.all(Array.from({ length: 24 }, () => postJson(`${h.url}/query`, FACE)));
    assert.ok(results.every((r) => r.status === 200), JSON.stringify(results.map((r) => r.status)));
    // Each page's model list shows "last run" once that page has answered a query.
    for (const page of [first, second]) {
      await until(async () => /last run/.test(await page.locator('li[data-model="face-detection"]').innerText()), 3000, 'both pages to have answered');
    }

    // Now close the first page while queries are in flight: the second page answers them all, its own
    // and, once more, those the first page held (docs/scale.md); none hang.
    const inflight = Array.from({ length: 16 }, () => postJson(`${h.url}/query`, FACE));
    await new Promise((r) => setTimeout(r, 30));
    await first.close({ runBeforeUnload: false });
    const settled = await Promise.all(inflight);
    assert.deepEqual(settled.map((r) => r.status), settled.map(() => 200), JSON.stringify(settled.map((r) => r.body.error).filter(Boolean)));
    await until(async () => (await health(h.url)).pages === 1, 5000, 'one page left');
    const after = await postJson(`${h.url}/query`, FACE);
    assert.equal(after.status, 200);
  });

  it('a page killed while loading its models can be opened again, and everything works', async () => {
    const page = await h.context.newPage();
    await page.goto(`${h.bridge.pageUrl}&models=face-detection`);
    await page.close({ runBeforeUnload: false }); // before the model is ready
    const again = await h.openPage();
    assert.ok(again);
    const res = await postJson(`${h.url}/query`, FACE);
    assert.equal(res.status, 200);
    assert.ok(res.body.faces[0].score > 0.5);
  });

  it('a page reload settles every held query at once (answered or failed) and serves again after', async () => {
    const held = Array.from({ length: 8 }, () => postJson(`${h.url}/query`, FACE));
    await new Promise((r) => setTimeout(r, 20));
    const reloaded = Date.now();
    await h.page.reload();
    const settled = await Promise.all(held);
    // Far below the 30 s query timeout: what the old page held fails when its relay drops.
    assert.ok(Date.now() - reloaded < 5000);
    for (const r of settled) {
      assert.ok(r.status === 200 || (r.status === 503 && /went away before answering/.test(r.body.error)), JSON.stringify(r));
    }
    await until(async () => (await health(h.url)).status === 'ok', 30_000, 'the reloaded page');
    assert.equal((await postJson(`${h.url}/query`, FACE)).status, 200);
  });

  it('caps what one client may have waiting; others are served meanwhile', async () => {
    // Runtime WebSocket run_model: in-order requests, under the per-client cap (live frames, as Socket.IO
    // sends, are bounded by latest wins instead: test/live.test.ts).
    const flood = new WebSocket(h.bridge.listeners.runtime!);
    const other = io(h.bridge.listeners.socketio!, { forceNew: true, reconnection: false, transports: ['websocket'] });
    try {
      await Promise.all([
        new Promise((r, j) => { flood.once('open', r); flood.once('error', j); }),
        new Promise<void>((r) => other.once('connect', () => r())),
      ]);
      const replies = new Map<number, any>();
      flood.on('message', (d) => { const m = JSON.parse(d.toString()); replies.set(m.id, m); });
      for (let id = 0; id < 24; id++) flood.send(JSON.stringify({ action: 'run_model', id, model: { name: 'face-detection', is_data: true, data: FACE } }));
      await until(() => replies.size === 24, 60_000, '24 replies');
      const answers = [...replies.values()];
      const busy = answers.filter((a) => /this client has 16 queries waiting/.test(a.error ?? ''));
      assert.equal(busy.length, 24 - 16, JSON.stringify(answers.map((a) => a.error ?? 'ok')));
      assert.equal(answers.filter((a) => a.output?.faces).length, 16);
      const theirs = await other.timeout(30_000).emitWithAck('query', FACE);
      assert.ok(theirs.faces[0].score > 0.5);
    } finally {
      flood.close();
      other.close();
    }
  });
});
