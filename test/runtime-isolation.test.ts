// Runtime programs cannot take the page down, reach the network or each other's storage, end to end
// (a real `ws` client, the bridge, a headless page whose programs run in the program host frame:
// web/programs/frames.ts, host.ts). A program that exhausts memory, huge and sparse placeholders,
// every way out to the network, storage left for the next program.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dataUri, health, postJson, startHarness, until, type Harness } from './helpers/page.ts';
import { RuntimeClient } from './helpers/runtime-client.ts';
import { assertFaces } from './helpers/assertions.ts';
import { program } from './helpers/runtime-programs.ts';

const main = (content: string) => program([{ filename: 'main.js', content }]);

describe('runtime programs are isolated from the page', () => {
  let h: Harness;
  let c: RuntimeClient;

  before(async () => {
    h = await startHarness({ runtimePort: 0 });
    c = await RuntimeClient.connect(h.bridge.listeners.runtime!);
  });
  after(async () => {
    c?.close();
    await h?.close();
  });

  const renderers = async () => {
    const cdp = await h.browser.newBrowserCDPSession();
    try {
      const { processInfo } = await cdp.send('SystemInfo.getProcessInfo') as { processInfo: { type: string; id: number }[] };
      return processInfo.filter((p) => p.type === 'renderer').map((p) => p.id);
    } finally {
      await cdp.detach();
    }
  };

  it('the program host and its workers are frames of other sites, with renderer processes of their own and no network', async () => {
    const res = await fetch(`${h.url}/program-host.html`);
    assert.equal(res.status, 200);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /connect-src 'none'/);
    assert.match(csp, /default-src 'none'/);
    const before = await renderers();
    const run = await c.request(main("export const ok = 'yes';\n"));
    assert.equal((await c.finished(run.sessionId)).status, 'finished');
    const frames = h.page.frames().map((f) => f.url());
    const frame = h.page.frames().find((f) => f.url().endsWith('program-host.html'));
    const workers = h.page.frames().find((f) => f.url().endsWith('program-host.html?workers'));
    assert.ok(frame && workers, `frames: ${frames.join(', ')}`);
    assert.equal(new URL(h.page.url()).hostname, '127.0.0.1');
    // Other sites: site isolation gives each its own process. Neither learns the pairing token.
    assert.equal(new URL(frame.url()).hostname, 'localhost');
    assert.equal(new URL(workers.url()).hostname, 'workers.localhost');
    assert.ok(frames.every((url) => url === h.page.url() || !url.includes('token')), frames.join(', '));
    const now = await renderers();
    assert.equal(now.length, before.length + 2, `renderer processes before ${before.join(',')}, after ${now.join(',')}`);
    // The frames' own documents reach nothing either: they could not pair as a page or call the HTTP API.
    for (const f of [frame, workers]) {
      assert.match(await f.evaluate(() => fetch('/health').then(() => 'reached', (e: Error) => `failed: ${e.message}`)), /^failed: /);
      assert.match(await f.evaluate(() => fetch(`${location.protocol}//127.0.0.1:${location.port}/health`, { credentials: 'include' })
        .then(() => 'reached', (e: Error) => `failed: ${e.message}`)), /^failed: /);
    }
  });

  describe('no network, no storage', () => {
    let spy: Server;
    let spyUrl: string;
    let spied = 0;
    before(async () => {
      spy = createServer((req, res) => {
        spied++;
        res.writeHead(200, { 'content-type': 'text/javascript', 'access-control-allow-origin': '*', 'cross-origin-resource-policy': 'cross-origin' });
        res.end('export default 1;');
      });
      await new Promise<void>((resolve) => spy.listen(0, '127.0.0.1', resolve));
      spyUrl = `http://127.0.0.1:${(spy.address() as AddressInfo).port}/`;
    });
    after(() => new Promise<void>((resolve) => spy.close(() => resolve())));

    it('fetch, XHR, WebSocket, EventSource, import() and importScripts of any URL fail, the bridge\'s own included', async () => {
      const bridge = h.url; // the page's origin (127.0.0.1); relative URLs resolve to the worker's (workers.localhost)
      const runtimeWs = h.bridge.listeners.runtime!;
      const source = `
const BRIDGE = ${JSON.stringify(bridge)}, SPY = ${JSON.stringify(spyUrl)}, WS = ${JSON.stringify(runtimeWs)};
const within = (p) => Promise.race([p, new Promise((_, reject) => setTimeout(() => reject(new Error('no answer in 5 s')), 5000))]);
const event = (make) => new Promise((resolve, reject) => { const s = make(); s.onopen = () => resolve('open'); s.onerror = () => reject(new Error('error event')); });
const xhr = (url) => new Promise((resolve, reject) => { const x = new XMLHttpRequest(); x.open('GET', url); x.onload = () => resolve(x.status); x.onerror = () => reject(new Error('error event')); x.send(); });
const dynamic = (url) => import(url);
// The browser says which requests the policy stopped before they were made.
export const violations = [];
self.addEventListener('securitypolicyviolation', (e) => violations.push(e.violatedDirective + ' ' + e.blockedURI));
const SELF = new URL('/runtime.js', self.location.href).href; // the worker's own origin (workers.localhost)
const attempts = {
  'import /info': () => dynamic('/info'),
  'import /runtime.js': () => dynamic('/runtime.js'),
  'import the page origin': () => dynamic(BRIDGE + '/runtime.js'),
  'import this origin': () => dynamic(SELF),
  'import elsewhere': () => dynamic(SPY + 'module.js'),
  'fetch /': () => fetch('/'),
  'fetch the page origin': () => fetch(BRIDGE + '/health'),
  'fetch elsewhere': () => fetch(SPY),
  'XHR': () => xhr(BRIDGE + '/health'),
  'WebSocket': () => event(() => new WebSocket(WS)),
  'EventSource': () => event(() => new EventSource(SPY)),
  'importScripts': async () => importScripts(SPY + 'classic.js'),
  'sendBeacon': async () => { if (!navigator.sendBeacon || !navigator.sendBeacon(SPY, 'x')) throw new Error('refused'); },
};
export const results = {};
for (const [what, attempt] of Object.entries(attempts)) {
  try { await within(attempt()); results[what] = 'reached'; } catch (e) { results[what] = 'failed: ' + (e?.message ?? e); }
}
`;
      const run = await c.request(main(source));
      const end = await c.finished(run.sessionId, 60_000);
      assert.equal(end.status, 'finished', JSON.stringify(end));
      const { value } = await c.request({ action: 'get_placeholder', placeholder: { sessionId: run.sessionId, name: 'results' } });
      assert.equal(Object.keys(value).length, 13);
      for (const [what, result] of Object.entries(value as Record<string, string>)) assert.match(result, /^failed: /, `${what}: ${result}`);
      assert.equal(spied, 0, 'a request reached the spy server');
      // Stopped by the policy, not by a missing route: the bridge's origins, the page's and the worker's own, included.
      const { value: violations } = await c.request({ action: 'get_placeholder', placeholder: { sessionId: run.sessionId, name: 'violations' } });
      const frameOrigin = `http://workers.localhost:${new URL(bridge).port}`;
      for (const blocked of [`script-src-elem ${bridge}/runtime.js`, `script-src-elem ${frameOrigin}/runtime.js`, `connect-src ${bridge}/health`, `connect-src ${frameOrigin}/`, 'connect-src ws://']) {
        assert.ok((violations as string[]).some((v) => v.startsWith(blocked)), `no violation for ${blocked}: ${JSON.stringify(violations)}`);
      }
    });

    it('no IndexedDB, Cache Storage, origin-private file system or BroadcastChannel: nothing left for the next program', async () => {
      const probe = `
const found = {
  indexedDB: typeof indexedDB, caches: typeof caches, storage: typeof navigator.storage, BroadcastChannel: typeof BroadcastChannel,
  fromPrototype: typeof Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Object.getPrototypeOf(self)), 'indexedDB'),
};
export const write = { found };
try { indexedDB.open('left-behind'); write.indexedDB = 'opened'; } catch (e) { write.indexedDB = 'failed: ' + e.message; }
try { const root = await navigator.storage.getDirectory(); await root.getFileHandle('left-behind', { create: true }); write.opfs = 'written'; } catch (e) { write.opfs = 'failed: ' + e.message; }
try { await (await caches.open('left-behind')).put('/x', new Response('x')); write.caches = 'written'; } catch (e) { write.caches = 'failed: ' + e.message; }
`;
      for (let i = 0; i < 2; i++) {
        const run = await c.request(main(probe));
        assert.equal((await c.finished(run.sessionId)).status, 'finished');
        const { value } = await c.request({ action: 'get_placeholder', placeholder: { sessionId: run.sessionId, name: 'write' } });
        assert.deepEqual(value.found, { indexedDB: 'undefined', caches: 'undefined', storage: 'undefined', BroadcastChannel: 'undefined', fromPrototype: 'undefined' });
        for (const what of ['indexedDB', 'opfs', 'caches']) assert.match(value[what], /^failed: /, `${what}: ${value[what]}`);
      }
    });
  });

  describe('placeholders are capped; statistics are bounded', () => {
    it('a huge setPlaceholder is an error in the program; a huge export is refused by name; the page goes on', async () => {
      const run = await c.request(main(`
import { setPlaceholder, log } from 'pagebridge:runtime';
try { setPlaceholder('big', 'x'.repeat(80 * 1024 * 1024)); } catch (e) { log('caught: ' + e.message); }
setPlaceholder('small', [1, 2, 3]);
// A program posting its own messages past the API meets the same cap in the program host.
postMessage({ type: 'placeholder', name: 'raw', value: 'y'.repeat(70 * 1024 * 1024) });
const sparse = []; sparse[5] = 3; sparse[10] = 1; sparse[1000] = 2;
export { sparse };
const holes = []; holes[1e9 - 1] = 1; holes[0] = 2; holes[12345] = 3;
export { holes };
`));
      const end = await c.finished(run.sessionId, 30_000);
      assert.equal(end.status, 'finished', JSON.stringify(end.error));
      const status = await c.request({ action: 'status', sessionId: run.sessionId });
      assert.ok(status.log.some((l: string) => /^caught: placeholder "big" was not kept: a string of 83886080 characters is over/.test(l)), JSON.stringify(status.log));
      for (const name of ['big', 'raw', 'holes']) {
        const reply = await c.request({ action: 'get_placeholder', placeholder: { sessionId: run.sessionId, name } });
        if (name === 'big') { assert.equal(reply.code, 'not_found'); continue; } // never kept: the program was told
        assert.equal(reply.code, 'too_large', JSON.stringify(reply));
        assert.match(reply.error, new RegExp(`placeholder "${name}" was not kept: .* keep a summary or a sample instead`));
      }
      const holes = await c.request({ action: 'get_stats', placeholder: { sessionId: run.sessionId, name: 'holes' } });
      assert.equal(holes.code, 'too_large');
      assert.match(holes.error, /an array of 1000000000 items is over/);
      assert.deepEqual((await c.request({ action: 'get_placeholder', placeholder: { sessionId: run.sessionId, name: 'small' } })).value, [1, 2, 3]);
      // A sparse array that fits: its holes are null values.
      const sparse = await c.request({ action: 'get_stats', placeholder: { sessionId: run.sessionId, name: 'sparse' } });
      assert.deepEqual(sparse.shape, [1001]);
      assert.equal(sparse.columns.value.numberOfNullValues, 998);
      assert.equal(sparse.columns.value.mean, 2);
      const face = await postJson(`${h.url}/query`, { image: dataUri('astronaut.jpg', 'image/jpeg') });
      assert.equal(face.status, 200);
      assertFaces(face.body);
    });
  });

  // Playwright reports the program host frame's crash as the page's ("Page crashed"), though the page
  // lives on: nothing after this uses h.page.
  describe('a program that exhausts memory', () => {
    it('fails with the reason; every HTTP query meanwhile is answered; the model stays ready; other sessions keep their placeholders; the next program runs', { timeout: 180_000 }, async () => {
      const keeper = await c.request(main("export const kept = 'before the crash';\n"));
      assert.equal((await c.finished(keeper.sessionId)).status, 'finished');
      const modeller = await c.request(main("export const double = { predict: (x) => 2 * x };\n"));
      assert.equal((await c.finished(modeller.sessionId)).status, 'finished');
      assert.equal((await c.request({ action: 'run_model', model: { sessionId: modeller.sessionId, name: 'double', is_data: true, data: 4 } })).output, 8);

      const run = await c.request(main(`
import { log } from 'pagebridge:runtime';
log('allocating');
const a = [];
for (let i = 0; ; i++) a.push(new Array(1e6).fill(i));
`));
      await until(async () => (await c.request({ action: 'status', sessionId: run.sessionId })).log.includes('allocating'), 20_000, 'the program to start');
      // An HTTP client querying face detection the whole time.
      const statuses: number[] = [];
      let done = false;
      const client = (async () => {
        while (!done) {
          const res = await postJson(`${h.url}/query`, { image: dataUri('astronaut.jpg', 'image/jpeg') });
          statuses.push(res.status);
          if (res.status === 200) assertFaces(res.body);
        }
      })();
      const end = await c.finished(run.sessionId, 120_000);
      const after = statuses.length;
      // A few more after the crash, with the frame gone.
      await until(() => statuses.length >= after + 3, 30_000, 'three queries after the crash');
      done = true;
      await client;

      assert.equal(end.status, 'failed');
      assert.equal(end.error.name, 'ProgramHostCrashed');
      assert.match(end.error.message, /the program host crashed, most likely out of memory/);
      assert.ok(statuses.length > 3, `${statuses.length} queries`);
      assert.deepEqual(statuses.filter((s) => s !== 200), [], `statuses: ${statuses.join(',')}`);
      const state = await health(h.url);
      assert.equal(state.pages, 1);
      assert.equal(state.models.find((m) => m.id === 'face-detection')?.state, 'ready');

      // Sessions that had ended keep their status and placeholders (kept in the host, not the workers'
      // process); a model, which lived in its worker, is gone, and its session's log says why.
      assert.equal((await c.request({ action: 'status', sessionId: keeper.sessionId })).status, 'finished');
      assert.equal((await c.request({ action: 'get_placeholder', placeholder: { sessionId: keeper.sessionId, name: 'kept' } })).value, 'before the crash');
      const modelled = await c.request({ action: 'status', sessionId: modeller.sessionId });
      assert.equal(modelled.status, 'finished');
      assert.deepEqual(modelled.models, []);
      assert.ok(modelled.log.some((l: string) => /program host crashed.*models \(double\) were lost/.test(l)), JSON.stringify(modelled.log));
      const predict = await c.request({ action: 'run_model', model: { sessionId: modeller.sessionId, name: 'double', is_data: true, data: 4 } });
      assert.equal(predict.code, 'not_found');

      // A fresh frame runs the next program.
      const next = await c.request(main("import { models } from 'pagebridge:runtime';\nexport const ids = (await models.list()).map((m) => m.id);\n"));
      assert.equal((await c.finished(next.sessionId)).status, 'finished');
      assert.deepEqual((await c.request({ action: 'get_placeholder', placeholder: { sessionId: next.sessionId, name: 'ids' } })).value, ['face-detection']);
    });
  });
});
