// Socket.IO from a real browser page on another origin, as p5.js sketches use it: the client loaded with a
// <script> tag (socket.io-client 2.x, as Runway's examples bundle it, and 4.x), over polling (credentialed
// XHR: CORS must name the origin and allow credentials) and WebSocket; a refused origin reads why and gets
// nothing else; and the p5.js examples, run as pasted, find the face in the (fake) webcam.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { BrowserContext, Page } from 'playwright-core';
import { startHarness, until, type Harness } from './helpers/page.ts';
import { startFakeBridge, type FakeBridge } from './helpers/fake-page.ts';
import { assertFaces } from './helpers/assertions.ts';
import { astronautCamera, CLIENTS, exampleContext, serveSketches, TYPES } from './helpers/sketches.ts';

type ClientVersion = keyof typeof CLIENTS;
/** A name that is not loopback (loopback origins are always allowed), resolved by Chromium to 127.0.0.1. */
const SKETCH_HOST = 'sketch.test';
const WAIT_MS = 30_000;

/**
 * The page a sketch would be: the client from a <script> tag, then connect, wait for `info`, query (the
 * astronaut drawn on a canvas, as a JPEG data URI, or `{x: 2}` for the fake page's echo model) and keep
 * what comes in `window.result`. On a refused connection it reads why, as any page can.
 */
function probePage(client: ClientVersion): string {
  return `<!doctype html><meta charset="utf-8"><title>Socket.IO ${client} probe</title>
<script src="/client/${client}.js"></script>
<script>
  const params = new URLSearchParams(location.search);
  const bridge = params.get('bridge');
  const result = window.result = { events: [] };
  const options = { forceNew: true, reconnection: false };
  if (params.get('transport')) options.transports = [params.get('transport')];
  // 2.x polls with credentials always; 4.x only when asked.
  if (params.get('withCredentials')) options.withCredentials = true;
  async function inputs() {
    if (params.get('query') === 'echo') return { x: 2 };
    const img = new Image();
    img.src = '/astronaut.jpg';
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = img.width;
    canvas.height = img.height;
    canvas.getContext('2d').drawImage(img, 0, 0);
    return { image: canvas.toDataURL('image/jpeg') };
  }
  const socket = io(bridge, options);
  for (const event of ['connect', 'info', 'data', 'error', 'disconnect']) socket.on(event, () => result.events.push(event));
  socket.on('connect', () => { result.transport = socket.io.engine.transport.name; });
  socket.on('info', async (info) => {
    result.info = info;
    socket.emit('query', await inputs(), (ack) => { result.ack = ack; });
  });
  socket.on('data', (data) => { result.data = data; });
  socket.on('connect_error', async (err) => {
    const context = err.context && typeof err.context === 'object' ? err.context : {};
    result.connectError = { message: err.message, description: err.description, status: context.status, responseText: context.responseText };
    // socket.io-client 2.x keeps the answer to itself: the handshake, fetched again, says why.
    try {
      const res = await fetch(bridge + '/socket.io/?EIO=${client === 'v2' ? 3 : 4}&transport=polling', { credentials: 'include' });
      result.fetched = { status: res.status, body: await res.text() };
    } catch (e) {
      result.fetched = { error: String(e) };
    }
  });
</script>`;
}

/** The probe pages and the clients they load, beside the examples (test/helpers/sketches.ts). */
function probeRoutes(path: string): { type: string; body: string | Buffer } | undefined {
  const probe = /^\/probe-(v2|v4)\.html$/.exec(path);
  if (probe) return { type: TYPES['.html']!, body: probePage(probe[1] as ClientVersion) };
  const client = /^\/client\/(v2|v4)\.js$/.exec(path);
  if (client) return { type: TYPES['.js']!, body: readFileSync(CLIENTS[client[1] as ClientVersion]) };
  if (path === '/blank.html') return { type: TYPES['.html']!, body: '<!doctype html><title>blank</title>' };
  return undefined;
}

interface ProbeResult {
  events: string[];
  transport?: string;
  info?: { inputs: unknown[] };
  ack?: unknown;
  data?: unknown;
  connectError?: { message: string; description?: unknown; status?: number; responseText?: string };
  fetched?: { status?: number; body?: string; error?: string };
}
const resultOf = (page: Page) => page.evaluate(() => (window as unknown as { result: ProbeResult }).result);

describe('Socket.IO from a browser page on another origin (p5.js style)', () => {
  let h: Harness;
  let sketches: { server: Server; port: number };
  let socketio: string;
  let context: BrowserContext;
  let examples: BrowserContext;
  const camera = astronautCamera();

  before(async () => {
    sketches = await serveSketches(probeRoutes);
    h = await startHarness({ browserArgs: [`--host-resolver-rules=MAP ${SKETCH_HOST} 127.0.0.1`, ...camera.args] });
    socketio = h.bridge.listeners.socketio!;
    context = await h.browser.newContext();
    examples = await exampleContext(h.browser);
  });
  after(async () => {
    await context?.close().catch(() => {});
    await examples?.close().catch(() => {});
    await h?.close();
    sketches?.server.close();
    camera.remove();
  });

  const cases: { client: ClientVersion; transport?: 'websocket'; port?: 'http' }[] = [
    { client: 'v2' },
    { client: 'v2', transport: 'websocket' },
    { client: 'v4' },
    { client: 'v4', transport: 'websocket' },
    // The HTTP port serves Socket.IO too, with the same CORS.
    { client: 'v2', port: 'http' },
  ];
  for (const { client, transport, port } of cases) {
    it(`socket.io-client ${client}, ${transport ?? 'polling (default)'}${port ? ', on the HTTP port' : ''}: info, then a query answered by data and its ack`, async () => {
      const page = await context.newPage();
      try {
        const query = new URLSearchParams({ bridge: port ? h.url : socketio, ...(transport ? { transport } : {}) });
        await page.goto(`http://127.0.0.1:${sketches.port}/probe-${client}.html?${query}`);
        await until(async () => (await resultOf(page)).ack, WAIT_MS, `the ack (${client})`).catch(async (err) => {
          throw new Error(`${err.message}: ${JSON.stringify(await resultOf(page)).slice(0, 600)}`);
        });
        const r = await resultOf(page);
        assert.equal(r.connectError, undefined);
        assert.deepEqual(r.info, await (await fetch(`${h.url}/info`)).json());
        const face = assertFaces(r.ack);
        assert.deepEqual(r.data, r.ack);
        assert.ok(face.score > 0.5);
        assert.deepEqual(r.events.slice(0, 3), ['connect', 'info', 'data']);
        if (transport) assert.equal(r.transport, 'websocket');
      } finally {
        await page.close();
      }
    });
  }

  describe(`a page on http://${SKETCH_HOST}:<port> (not loopback)`, () => {
    for (const client of ['v2', 'v4'] as const) {
      it(`refused without --allow-origin (${client}): the page reads why, naming --allow-origin, and gets no info`, async () => {
        const page = await context.newPage();
        try {
          const origin = `http://${SKETCH_HOST}:${sketches.port}`;
          await page.goto(`${origin}/probe-${client}.html?${new URLSearchParams({ bridge: socketio })}`);
          const r = await until(async () => { const x = await resultOf(page); return x.fetched && x; }, WAIT_MS, 'the refusal');
          const reason = `Origin "${origin}" is not allowed: start the bridge with --allow-origin ${origin} to let that page in`;
          // What the client itself says: 4.x carries the answer; 2.x only its status.
          if (client === 'v4') {
            assert.equal(r.connectError!.status, 403);
            assert.equal(JSON.parse(r.connectError!.responseText!).message, reason);
          } else {
            assert.deepEqual([r.connectError!.message, r.connectError!.description], ['xhr poll error', 403]);
          }
          assert.equal(r.fetched!.status, 403);
          assert.deepEqual(JSON.parse(r.fetched!.body!), { code: 4, message: reason });
          await new Promise((resolve) => setTimeout(resolve, 500));
          const later = await resultOf(page);
          assert.deepEqual(later.events, []);
          assert.equal(later.info, undefined);
        } finally {
          await page.close();
        }
      });
    }

    it('refused by the HTTP API too: a simple request reads why; one that needs a preflight is stopped by it', async () => {
      const page = await context.newPage();
      try {
        const origin = `http://${SKETCH_HOST}:${sketches.port}`;
        await page.goto(`${origin}/blank.html`);
        const seen = await page.evaluate(async (url) => {
          const info = await fetch(`${url}/info`);
          const query = await fetch(`${url}/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
            .then((r) => `status ${r.status}`, (e) => String(e));
          return { status: info.status, body: await info.json(), query };
        }, h.url);
        assert.deepEqual(seen, {
          status: 403,
          body: { error: `Origin "${origin}" is not allowed: start the bridge with --allow-origin ${origin} to let that page in` },
          query: 'TypeError: Failed to fetch',
        });
      } finally {
        await page.close();
      }
    });

    describe('with --allow-origin naming it', () => {
      let f: FakeBridge;
      before(async () => { f = await startFakeBridge({ allowOrigin: [`http://${SKETCH_HOST}:${sketches.port}`] }); });
      after(async () => { await f?.close(); });

      for (const client of ['v2', 'v4'] as const) {
        it(`connects over polling with credentials (${client}): info, a query and its ack`, async () => {
          const page = await context.newPage();
          try {
            const query = new URLSearchParams({ bridge: f.listeners.socketio!, query: 'echo', transport: 'polling', withCredentials: '1' });
            await page.goto(`http://${SKETCH_HOST}:${sketches.port}/probe-${client}.html?${query}`);
            const r = await until(async () => { const x = await resultOf(page); return (x.ack || x.fetched) && x; }, WAIT_MS, 'the ack');
            assert.equal(r.connectError, undefined);
            assert.deepEqual(r.info, { inputs: [{ name: 'x', type: 'number' }], outputs: [{ name: 'y', type: 'number' }] });
            assert.deepEqual(r.ack, { y: 2 });
            assert.equal(r.transport, 'polling');
          } finally {
            await page.close();
          }
        });
      }
    });
  });

  describe('the p5.js examples, run as pasted (p5.js and the client from local files; the fake camera shows the astronaut)', () => {
    for (const example of ['p5-socketio-v2', 'p5-socketio-v4']) {
      it(`${example}: the sketch draws the webcam and gets the face from data events`, async () => {
        const page = await examples.newPage();
        const errors: string[] = [];
        page.on('pageerror', (err) => errors.push(err.message));
        try {
          await page.goto(`http://127.0.0.1:${sketches.port}/examples/${example}/?${new URLSearchParams({ bridge: socketio })}`);
          const faces = await until(() => page.evaluate('faces.length > 0 && faces'), WAIT_MS, `${example} to see a face`).catch(async (err) => {
            throw new Error(`${err.message}; status: ${await page.evaluate('status').catch(() => '?')}; errors: ${errors.join('; ')}`);
          });
          assertFaces({ faces });
          assert.match(String(await page.evaluate('status')), /^1 face$/);
          assert.deepEqual(errors, []);
        } finally {
          await page.close();
        }
      });
    }
  });
});
