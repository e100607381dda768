// Several pages, and pages on other machines (docs/scale.md). Fake pages (the real relay client in
// Node): a query on every protocol whose page leaves mid-run is answered by another page, and one that
// loses its page twice gets the error; a page joining from another machine (simulated on loopback:
// connecting from 127.0.0.2 with a LAN origin) serves with a credential and gets nothing without.
// Real Chromium: `--pages 2` with face detection, one page's Chromium killed with queries in flight and
// started again; and a page "on another machine" (test/helpers/lan-proxy.ts) joining the bridge.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { chromium, type Browser } from 'playwright-core';
import { startBridge, networkAddresses, type Bridge } from '../bridge/bridge.ts';
import { silentLog } from '../bridge/log.ts';
import { FakePage, relayUrl, startFakeBridge, type FakeBridge } from './helpers/fake-page.ts';
import { ECHO } from './helpers/fake-page-answers.ts';
import { httpClient, socketioClient, tcpClient, runtimeClient } from './helpers/clients.ts';
import { request } from 'node:http';
import { CHROMIUM, CHROMIUM_ARGS, dataUri, health, postJson, until } from './helpers/page.ts';
import { lanProxy, FROM, LAN_ADDRESS, type LanProxy } from './helpers/lan-proxy.ts';

const FACE = { image: dataUri('astronaut.jpg', 'image/jpeg') };

/** Opens a WebSocket with these headers from `localAddress`; resolves with "open" or the HTTP status it was refused with. */
function tryWebSocket(url: string, headers: Record<string, string>, localAddress = FROM): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers, localAddress });
    ws.on('open', () => { ws.close(); resolve('open'); });
    ws.on('unexpected-response', (_req, res) => resolve(String(res.statusCode)));
    ws.on('error', (err) => resolve(`error: ${err.message}`));
  });
}

describe('pages: a query whose page leaves runs once more on another (fake pages)', () => {
  let f: FakeBridge;
  let second: FakePage;
  before(async () => {
    f = await startFakeBridge({ maxClientQueue: 64 });
    second = await f.openPage();
  });
  after(async () => { await f?.close(); });

  // OSC and LabGraph publish every output to every listener, so their answers cannot be told apart here;
  // the retry is the core's, the same for them (test/core.test.ts, test/live-core.test.ts).
  it('on HTTP, Socket.IO, TCP and the runtime WebSocket: what the leaving page held is answered by the other page', async () => {
    const l = f.listeners;
    const clients = await Promise.all([httpClient(l, 'echo'), socketioClient(l, 'echo'), tcpClient(l), runtimeClient(l, 'echo')]);
    try {
      const held = () => f.page.held.length + second.held.length;
      const answers = clients.map((c, i) => c.once({ x: 1000 + i, act: 'hold' }));
      await until(() => held() === clients.length, 10_000, 'every query held by a page');
      const [leaving, staying] = f.page.held.length >= second.held.length ? [f.page, second] : [second, f.page];
      const moved = leaving.held.length;
      assert.ok(moved >= 1);
      const before = f.bridge.core.retries;
      leaving.held.length = 0;
      leaving.drop();
      await until(() => staying.held.length === clients.length, 10_000, 'the left page’s queries on the other page');
      assert.equal(f.bridge.core.retries, before + moved);
      staying.release();
      const got = await Promise.all(answers);
      // TCP answers a frame of JSON; the others their outputs.
      const ys = got.map((g) => (Buffer.isBuffer(g) ? JSON.parse(g.toString()) : g) as { y: number }).map((o) => o.y);
      assert.deepEqual(ys, clients.map((_, i) => 1000 + i));
      assert.equal((await (await fetch(`${f.url}/models/echo/error`)).json()).error, null);
      await leaving.ready(f.bridge.core, new Map([['echo', 2]]));
    } finally {
      for (const c of clients) c.close();
    }
  });

  it('a query whose second page leaves too gets the error, naming why; it was run twice, not more', async () => {
    await until(() => f.bridge.core.model('echo').pages === 2, 10_000, 'echo on both pages');
    const res = await postJson(`${f.url}/models/echo/query`, { x: 4242, act: 'leave' });
    assert.equal(res.status, 503);
    assert.match(res.body.error, /the page running "echo" went away before answering/);
    const ran = [f.page, second].flatMap((p) => p.queries).filter((q) => q.inputs.x === 4242).length;
    assert.equal(ran, 2);
    await f.page.ready(f.bridge.core, new Map([['echo', 2]]));
    await second.ready(f.bridge.core, new Map([['echo', 2]]));
  });

  it('/health lists each page with its models, backend and load; the pages hear the list', async () => {
    await until(() => f.bridge.core.pageCount === 2, 10_000, 'two pages');
    const h = await (await fetch(`${f.url}/health`)).json();
    assert.equal(h.pages, 2);
    assert.equal(h.pageList.length, 2);
    for (const p of h.pageList) {
      assert.match(p.id, /^page-\d+$/);
      assert.equal(p.address, '127.0.0.1');
      assert.deepEqual(p.models.find((m: any) => m.id === 'echo'), { id: 'echo', state: 'ready', backend: 'wasm' });
      assert.deepEqual([p.inFlight, p.queued], [0, 0]);
    }
    // Three held queries on one page: one running, two queued behind it (as the page runs them).
    const solo = await f.openPage({ models: [{ ...ECHO, id: 'solo' }] });
    const q = [1, 2, 3].map((x) => f.bridge.core.query('solo', { x, act: 'hold' }, { source: 'test' }));
    await until(() => solo.held.length === 3, 5000, 'three held');
    const listed = (await (await fetch(`${f.url}/health`)).json()).pageList.find((p: any) => p.models.some((m: any) => m.id === 'solo'));
    assert.deepEqual([listed.inFlight, listed.queued], [3, 2]);
    // Every page hears the bridge's pages in its activity feed, and knows its own id from its hello.
    await until(() => second.activity.some((a) => a.pages?.length === 3 && a.pages.some((p) => p.inFlight === 3)), 5000, 'the pages in the feed');
    assert.ok(second.activity.at(-1)!.pages!.some((p) => p.id === second.hellos.at(-1)!.page));
    solo.release();
    await Promise.all(q);
    solo.close();
    await until(() => f.bridge.core.pageCount === 2, 5000, 'the third page gone');
  });
});

describe('pages on other machines (fake pages from 127.0.0.2)', () => {
  let f: FakeBridge;
  let port: number;
  let lanOrigin: string;
  before(async () => {
    f = await startFakeBridge({ pageModels: false });
    port = Number(new URL(f.url).port);
    lanOrigin = `http://${LAN_ADDRESS}:${port}`;
  });
  after(async () => { await f?.close(); });

  it('a page at the bridge’s LAN address with the token serves queries; /health shows where it is', async () => {
    const remote = await f.openPage({ from: { localAddress: FROM, origin: lanOrigin, host: `${LAN_ADDRESS}:${port}` } });
    const res = await postJson(`${f.url}/models/echo/query`, { x: 7 });
    assert.deepEqual([res.status, res.body], [200, { y: 7 }]);
    assert.equal(remote.queries.at(-1)!.inputs.x, 7);
    const listed = (await health(f.url)).pageList as { address: string }[];
    assert.deepEqual(listed.map((p) => p.address), [FROM]);
    assert.ok(f.log.infos.some((l) => l.includes(`relay: a page at ${lanOrigin} (from ${FROM}) paired by its token`)), f.log.infos.join('\n'));
    remote.close();
    await until(() => f.bridge.core.pageCount === 0, 5000, 'the remote page gone');
  });

  it('with a wrong token it is refused and gets nothing: no queries, no model added, no data written', async () => {
    const impostor = new FakePage(relayUrl(f.url, 'wrong-token'), {
      models: [{ ...ECHO, id: 'impostor' }], from: { localAddress: FROM, origin: lanOrigin, host: `${LAN_ADDRESS}:${port}` },
    });
    impostor.client.connect();
    try {
      await until(() => impostor.states.filter((s) => s === 'disconnected').length >= 2, 10_000, 'two refused attempts');
      assert.ok(!impostor.states.includes('connected'));
      assert.deepEqual(impostor.hellos, []);
      assert.deepEqual(impostor.queries, []);
      assert.equal(f.bridge.core.pageCount, 0);
      assert.equal(f.bridge.core.models().some((m) => m.id === 'impostor'), false);
      // Nothing it could say reached the bridge: it never got a socket to say it on.
      assert.equal(impostor.wire.in.length, 0);
      assert.equal((await (await fetch(`${f.url}/health`)).json()).pageList.length, 0);
      assert.ok(f.log.warnings.some((w) => w.startsWith(`relay: refused a page from ${FROM} (origin ${lanOrigin}): Wrong or missing pairing token`)), f.log.warnings.join('\n'));
    } finally {
      impostor.close();
    }
  });

  it('Host and Origin hold: another origin, a rebinding name, no credential: refused, with or without the token', async () => {
    const url = relayUrl(f.url, f.bridge.token);
    const host = `${LAN_ADDRESS}:${port}`;
    // The bridge's own LAN origin with the token: a page.
    assert.equal(await tryWebSocket(url, { origin: lanOrigin, host }), 'open');
    // Without a credential: 401.
    assert.equal(await tryWebSocket(`${f.url.replace('http', 'ws')}/runtime`, { origin: lanOrigin, host }), '401');
    // Another machine's page (not the bridge's own address), even with the token: 403.
    assert.equal(await tryWebSocket(url, { origin: `http://192.0.2.99:${port}`, host }), '403');
    assert.equal(await tryWebSocket(url, { origin: `http://${LAN_ADDRESS}:${port + 1}`, host }), '403');
    assert.equal(await tryWebSocket(url, { origin: 'https://evil.example', host }), '403');
    // A rebinding name whose Origin matches its Host: the Host check refuses it first.
    assert.equal(await tryWebSocket(url, { origin: `http://evil.example:${port}`, host: `evil.example:${port}` }), '403');
    // The HTTP API: the bridge's own origin is same-origin (its page's module scripts carry Origin); others are not.
    // node:http, since fetch sends the URL's own Host.
    const get = (origin: string) => new Promise<number>((resolve, reject) => {
      request(`${f.url}/`, { headers: { origin, host }, localAddress: FROM }, (res) => { res.resume(); resolve(res.statusCode!); }).on('error', reject).end();
    });
    assert.equal(await get(lanOrigin), 200);
    assert.equal(await get(`http://192.0.2.99:${port}`), 403);
    assert.equal(await get(`http://evil.example:${port}`), 403);
    // The runtime WebSocket (programs) stays closed to it: it is not the HTTP port's origin, nor localhost.
    assert.equal(await tryWebSocket(f.listeners.runtime!, { origin: lanOrigin }), '403');
  });

  it('the printed LAN links: none on loopback; --host itself, or each interface’s address for a wildcard', () => {
    assert.deepEqual(networkAddresses('127.0.0.1'), []);
    assert.deepEqual(networkAddresses('localhost'), []);
    assert.deepEqual(networkAddresses('192.0.2.10'), ['192.0.2.10']);
    for (const a of networkAddresses('0.0.0.0')) assert.match(a, /^\d+\.\d+\.\d+\.\d+$/);
    assert.deepEqual(f.bridge.networkPageUrls, []);
  });
});

describe('a real page on another machine (Chromium through a proxy on 127.0.0.2)', () => {
  let bridge: Bridge;
  let proxy: LanProxy;
  let browser: Browser;
  let port: number;
  before(async () => {
    bridge = await startBridge({
      host: '127.0.0.1', httpPort: 0, socketioPort: 0, oscPort: 0, oscqueryPort: 0, labgraphPort: 0, tcpPort: 0, runtimePort: 0,
      oscReplyPort: 0, mdns: false, headless: false, quiet: true,
    }, silentLog);
    port = Number(new URL(bridge.httpUrl).port);
    proxy = await lanProxy(port);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_ARGS, proxy.proxyArg] });
  });
  after(async () => {
    await browser?.close().catch(() => {});
    await proxy?.close();
    await bridge?.close();
  });

  it('opened at the LAN address with the token, it joins, is listed on its Network panel, and serves face detection', async () => {
    const page = await browser.newPage();
    await page.goto(`http://${LAN_ADDRESS}:${port}/#token=${bridge.token}&models=face-detection`);
    await until(async () => (await health(bridge.httpUrl)).status === 'ok', 60_000, 'the remote page ready');
    // No secure context over plain http on another machine: WASM without threads (docs/scale.md).
    assert.deepEqual(await page.evaluate(() => [isSecureContext, crossOriginIsolated]), [false, false]);
    const listed = (await health(bridge.httpUrl)).pageList as { id: string; address: string; models: { id: string; backend: string }[] }[];
    assert.deepEqual(listed.map((p) => [p.address, p.models.find((m) => m.id === 'face-detection')?.backend]), [[FROM, 'wasm']]);
    const res = await postJson(`${bridge.httpUrl}/query`, FACE);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.ok(res.body.faces.some((face: { score: number }) => face.score > 0.5));
    // A second page (a fake one on this machine): the Network panel lists both, this one marked.
    const local = await FakePage.open(bridge, { models: [{ ...ECHO, id: 'local-echo' }] });
    try {
      const item = page.locator(`#bridge-pages li[data-page="${listed[0]!.id}"]`);
      await until(async () => (await page.locator('#bridge-pages li').count()) === 2, 10_000, 'two pages on the Network panel');
      assert.match(await item.innerText(), new RegExp(`this page, ${FROM.replace(/\./g, '\\.')}.*face-detection \\(wasm\\)`));
      assert.match(await page.locator('#bridge-pages h3').innerText(), /Pages of this bridge: 2/);
    } finally {
      local.close();
    }
    await page.close();
    await until(() => bridge.core.pageCount === 0, 10_000, 'the page gone');
  });

  it('with a wrong token it is refused: no page, no model, no query reaches it', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`http://${LAN_ADDRESS}:${port}/#token=0123456789abcdef0123456789abcdef&models=face-detection`);
      await until(async () => /disconnected/.test(await page.locator('#bridge-state').innerText()), 20_000, 'the page refused');
      assert.equal(bridge.core.pageCount, 0);
      assert.equal((await health(bridge.httpUrl)).status, 'waiting');
      const res = await postJson(`${bridge.httpUrl}/query`, FACE);
      assert.equal(res.status, 503);
    } finally {
      await page.close();
    }
  });
});

describe('--pages 2 with headless Chromium', () => {
  let bridge: Bridge;
  before(async () => {
    bridge = await startBridge({
      host: '127.0.0.1', httpPort: 0, socketioPort: 0, oscPort: 0, oscqueryPort: 0, labgraphPort: 0, tcpPort: 0, runtimePort: 0,
      oscReplyPort: 0, mdns: false, headless: true, pages: 2, browser: CHROMIUM, quiet: true,
    }, silentLog);
  });
  after(async () => { await bridge?.close(); });

  const faceReady = async () => ((await health(bridge.httpUrl)).pageList as { label?: string; models: { id: string; state: string }[] }[])
    .filter((p) => p.models.some((m) => m.id === 'face-detection' && m.state === 'ready')).map((p) => p.label).sort();

  it('both pages are listed with face detection ready, each a Chromium of its own', async () => {
    await until(async () => (await faceReady()).length === 2, 120_000, 'two pages with face detection');
    assert.deepEqual(await faceReady(), ['headless-1', 'headless-2']);
    assert.equal(bridge.hostedPages.length, 2);
    assert.notEqual(bridge.hostedPages[0]!.pid, bridge.hostedPages[1]!.pid);
  });

  it('one page’s Chromium killed with queries in flight: every query answered by the other, then it comes back', async () => {
    await until(async () => (await faceReady()).length === 2, 120_000, 'two pages with face detection');
    const before = bridge.core.retries;
    const inflight = Array.from({ length: 16 }, () => postJson(`${bridge.httpUrl}/query`, FACE));
    // Each page holds some of them (the least busy first).
    await until(async () => ((await health(bridge.httpUrl)).pageList as { inFlight: number }[]).every((p) => p.inFlight > 0), 10_000, 'both pages busy');
    const killed = bridge.hostedPages[0]!;
    const pid = killed.pid!;
    const removed: string[] = [];
    bridge.core.on('pageRemoved', (e) => { if (e.label) removed.push(e.label); });
    process.kill(pid, 'SIGKILL');
    // /health shows one page (the bridge waits a second before starting that Chromium again).
    const one = until(async () => ((await health(bridge.httpUrl)).pageList as { label: string }[]).map((p) => p.label).join() === 'headless-2', 10_000, 'one page listed');
    const settled = await Promise.all(inflight);
    await one;
    assert.deepEqual(settled.map((r) => r.status), settled.map(() => 200), JSON.stringify(settled.map((r) => r.body.error).filter(Boolean)));
    for (const r of settled) assert.ok(r.body.faces.some((face: { score: number }) => face.score > 0.5));
    assert.ok(bridge.core.retries > before, 'some queries were run again on the other page');
    assert.deepEqual(removed, ['headless-1']);
    // The bridge starts that Chromium again; its page pairs and is listed again.
    await until(async () => (await faceReady()).length === 2, 120_000, 'the killed page back');
    assert.deepEqual(await faceReady(), ['headless-1', 'headless-2']);
    assert.notEqual(killed.pid, pid);
    assert.equal((await postJson(`${bridge.httpUrl}/query`, FACE)).status, 200);
  });
});
