// The relay without a browser: the bridge's relay server against the real relay client (web/relay) in
// Node, and against a page that speaks the relay by hand. Batching both ways, images as bytes, what the
// bridge refuses from a page, pairing, reconnecting, and answers over the frame limit.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { io } from 'socket.io-client';
import { startBridge } from '../bridge/bridge.ts';
import { silentLog } from '../bridge/log.ts';
import { ANNOTATED, BROKEN, CANNED_FACES, ECHO, FAKE_MODELS, LOADING } from './helpers/fake-page-answers.ts';
import { FakePage, RawPage, relayUrl, startFakeBridge, stubStaticDir, type FakeBridge } from './helpers/fake-page.ts';
import { dataUri, fixture } from './helpers/fixtures.ts';
import { sleep, until } from './helpers/wait.ts';

const JPEG = fixture('astronaut-256.jpg');

const post = async (url: string, body: unknown) => {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() as any };
};
const getJson = async (url: string) => (await fetch(url)).json() as Promise<any>;

/** The JSON header of the first frame of a relay message: [u32 LE length][JSON]… */
function header(message: Uint8Array): { h: any; $bins: number[]; length: number } {
  const n = new DataView(message.buffer, message.byteOffset).getUint32(0, true);
  return { ...JSON.parse(Buffer.from(message.subarray(4, 4 + n)).toString('utf8')), length: n };
}

/** Opens a WebSocket with the given headers; resolves with "open" or the HTTP status it was refused with. */
function tryWebSocket(url: string, headers: Record<string, string>): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.on('open', () => { ws.close(); resolve('open'); });
    ws.on('unexpected-response', (_req, res) => resolve(String(res.statusCode)));
    ws.on('error', (err) => resolve(`error: ${err.message}`));
  });
}

describe('the relay: bridge and relay client, no browser', () => {
  let f: FakeBridge;
  before(async () => { f = await startFakeBridge({ maxClientQueue: 64 }); });
  after(async () => { await f?.close(); });

  it('greets the page with the listeners and the frame limit; its models appear in /models and /health', async () => {
    const hello = f.page.hellos.at(-1)!;
    assert.deepEqual(hello.listeners, f.listeners);
    assert.equal(hello.maxFrameBytes, 2 * 16 * 1024 * 1024);
    const models = await getJson(`${f.url}/models`);
    assert.equal(models.default, 'echo');
    assert.deepEqual(models.models.map((m: any) => m.id), FAKE_MODELS.map((m) => m.id));
    const echo = models.models.find((m: any) => m.id === 'echo');
    assert.deepEqual(echo, { ...ECHO, pages: 1 });
    assert.deepEqual(models.models.find((m: any) => m.id === 'loading'), { ...LOADING, pages: 0 });
    assert.deepEqual(models.models.find((m: any) => m.id === 'broken'), { ...BROKEN, pages: 0 });
    const health = await getJson(`${f.url}/health`);
    assert.equal(health.status, 'ok');
    assert.equal(health.pages, 1);
    assert.deepEqual(health.models, FAKE_MODELS.map((m) => ({ id: m.id, state: m.state, backend: m.backend ?? null, pages: m.state === 'ready' ? 1 : 0, dropped: 0 })));
    assert.deepEqual(health.listeners, f.listeners);
    assert.equal(typeof health.memory.rssBytes, 'number');
  });

  it('a page announcing again changes the models: one that finished loading is served', async () => {
    assert.equal((await post(`${f.url}/models/loading/query`, { x: 1 })).status, 503);
    f.page.models = FAKE_MODELS.map((m) => (m.id === 'loading' ? { ...m, state: 'ready' as const, backend: 'webgpu' as const } : m));
    f.page.client.announce();
    await until(() => f.bridge.core.models().find((m) => m.id === 'loading')?.state === 'ready', 5000, '"loading" ready');
    assert.deepEqual(await post(`${f.url}/models/loading/query`, { x: 1 }), { status: 200, body: { y: 1 } });
    assert.equal((await getJson(`${f.url}/health`)).models.find((m: any) => m.id === 'loading').backend, 'webgpu');
    f.page.models = FAKE_MODELS;
    f.page.client.announce();
    await until(() => f.bridge.core.models().find((m) => m.id === 'loading')?.state === 'loading', 5000, '"loading" loading again');
  });

  it('many queries in flight leave in one message; answered out of order, in one message, each reaches its own asker', async () => {
    f.page.wire.clear();
    const N = 40;
    // In one turn of the event loop, as a burst of requests from any protocol arrives.
    const answers = Array.from({ length: N }, (_, i) => f.bridge.core.query('echo', { x: i, act: 'hold' }, { source: 'test' }));
    await until(() => f.page.held.length === N, 10_000, `${N} queries with the page`);
    const queryMessages = f.page.wire.framesIn().filter((frames) => frames.some((m: any) => m.type === 'query'));
    assert.equal(queryMessages.length, 1, 'the bridge sent the burst as one message');
    assert.equal(queryMessages[0]!.length, N);

    f.page.release((held) => held.reverse());
    const outputs = await Promise.all(answers);
    assert.deepEqual(outputs.map((o) => o.y), Array.from({ length: N }, (_, i) => i));
    const resultMessages = f.page.wire.framesOut().filter((frames) => frames.some((m: any) => m.type === 'result'));
    assert.equal(resultMessages.length, 1, 'the page sent its answers as one message');
    const ids = resultMessages[0]!.map((m: any) => m.id as number);
    assert.equal(ids.length, N);
    assert.deepEqual(ids, [...ids].sort((a, b) => b - a), 'in the order the page answered them (the reverse)');
  });

  it('an image crosses as raw bytes after the header both ways: the query’s input and the annotated picture', async () => {
    f.page.wire.clear();
    const { outputs, image } = await f.bridge.core.annotate('picture', { image: dataUri('astronaut-256.jpg', 'image/jpeg') }, { source: 'test' });
    assert.deepEqual(outputs, { faces: CANNED_FACES, received: JPEG.byteLength });
    assert.ok(Buffer.from(image).equals(Buffer.from(ANNOTATED)), 'the annotated picture as the page drew it');

    const query = f.page.wire.in.find((m) => header(m).h.type === 'query')!;
    const q = header(query);
    assert.deepEqual(q.h, { type: 'query', id: q.h.id, model: 'picture', inputs: { image: { $bin: 0 } }, annotate: true });
    assert.deepEqual(q.$bins, [JPEG.byteLength]);
    assert.equal(query.byteLength, 4 + q.length + JPEG.byteLength, 'no base64: the JPEG itself follows the header');
    assert.ok(Buffer.from(query.subarray(4 + q.length)).equals(JPEG));

    const result = f.page.wire.out.find((m) => header(m).h.type === 'result')!;
    const r = header(result);
    assert.deepEqual(r.h, { type: 'result', id: q.h.id, outputs: { faces: CANNED_FACES, received: JPEG.byteLength }, annotated: { $bin: 0 } });
    assert.deepEqual(r.$bins, [ANNOTATED.byteLength]);
    assert.equal(result.byteLength, 4 + r.length + ANNOTATED.byteLength);

    // The picture is the asker's alone: /data holds the outputs only.
    assert.deepEqual(await getJson(`${f.url}/models/picture/data`), outputs);
  });

  it('an output the page makes on its own is published; one for a model it does not hold is ignored', async () => {
    f.page.client.publish('echo', { y: 77 }, 'camera');
    await until(async () => (await getJson(`${f.url}/models/echo/data`)).y === 77, 5000, 'the published output in /data');
    f.page.client.publish('nope', { y: 1 });
    f.page.client.publish('echo', { y: 78 });
    await until(async () => (await getJson(`${f.url}/models/echo/data`)).y === 78, 5000, 'the next output');
    assert.equal(f.bridge.core.models().some((m) => m.id === 'nope'), false);
  });

  it('the page hears of requests and clients in activity messages', async () => {
    const socket = io(`${f.listeners.socketio}/models/echo`, { forceNew: true, reconnection: false, transports: ['websocket'] });
    try {
      await new Promise<void>((resolve, reject) => { socket.once('connect', () => resolve()); socket.once('connect_error', reject); });
      await post(`${f.url}/models/echo/query`, { x: 5 });
      await post(`${f.url}/models/echo/query`, { x: 'five' });
      const entries = () => f.page.activity.flatMap((a) => a.entries);
      const failed = await until(() => entries().find((e) => e.source === 'http' && e.model === 'echo' && e.error), 5000, 'the failed request in the activity');
      assert.match(failed.error!, /^input "x" must be number/);
      const ok = entries().find((e) => e.source === 'http' && e.model === 'echo' && !e.error);
      assert.ok(ok, 'the answered request in the activity');
      assert.equal(typeof ok.ms, 'number');
      assert.ok(ok.at <= failed.at);
      await until(() => f.page.activity.some((a) => a.clients.socketio === 1), 5000, 'the Socket.IO client in the counts');
    } finally {
      socket.close();
    }
  });

  it('two pages share the work (the least busy first); what one held when it left runs once more on the other', async () => {
    const second = await f.openPage();
    assert.equal(f.bridge.core.pageCount, 2);
    assert.equal((await getJson(`${f.url}/health`)).models.find((m: any) => m.id === 'echo').pages, 2);
    // The hello of a page that comes after the models names the default model, and the page's own id.
    assert.equal(second.hellos.at(-1)!.defaultModel, 'echo');
    assert.match(second.hellos.at(-1)!.page!, /^page-\d+$/);
    const first = f.bridge.core.query('echo', { x: 1, act: 'hold' }, { source: 'test' });
    await until(() => f.page.held.length + second.held.length === 1, 5000, 'the first query held');
    const other = f.bridge.core.query('echo', { x: 2, act: 'hold' }, { source: 'test' });
    await until(() => f.page.held.length === 1 && second.held.length === 1, 5000, 'one query on each page');
    // /health lists both pages, each holding one query (running it: none queued behind it).
    const listed = (await getJson(`${f.url}/health`)).pageList;
    assert.deepEqual(listed.map((p: any) => [p.inFlight, p.queued, p.address]), [[1, 0, '127.0.0.1'], [1, 0, '127.0.0.1']]);
    assert.deepEqual(listed[0].models.find((m: any) => m.id === 'echo'), { id: 'echo', state: 'ready', backend: 'wasm' });
    const retriedBefore = f.bridge.core.retries;
    f.page.held.length = 0;
    f.page.drop();
    // The query the first page held goes to the second, which now holds both.
    await until(() => second.held.length === 2, 5000, 'the left page’s query on the second page');
    assert.equal(f.bridge.core.retries, retriedBefore + 1);
    second.release();
    assert.deepEqual([(await first).y, (await other).y], [1, 2]);
    await f.page.ready(f.bridge.core);
    second.close();
    await until(() => f.bridge.core.pageCount === 1, 5000, 'one page left');
  });

  it('a query whose page leaves mid-run, and then the second page too, fails with the error', async () => {
    const second = await f.openPage();
    const res = await fetch(`${f.url}/models/echo/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ x: 98765, act: 'leave' }) });
    assert.equal(res.status, 503);
    assert.match(((await res.json()) as { error: string }).error, /went away before answering/);
    // Both pages ran it: it was run once more, not a third time.
    assert.equal(f.page.queries.filter((q) => q.inputs.x === 98765).length + second.queries.filter((q) => q.inputs.x === 98765).length, 2);
    await f.page.ready(f.bridge.core);
    await second.ready(f.bridge.core);
    second.close();
    await until(() => f.bridge.core.pageCount === 1, 5000, 'one page left');
  });

  it('a page with a wrong or missing token, a foreign Origin or a rebinding Host is refused, and logged', async () => {
    const url = (token: string) => relayUrl(f.url, token);
    assert.equal(await tryWebSocket(url('wrong'), {}), '401');
    assert.equal(await tryWebSocket(`${f.url.replace('http', 'ws')}/runtime`, {}), '401');
    assert.equal(await tryWebSocket(url(f.bridge.token), { origin: 'https://evil.example' }), '403');
    assert.equal(await tryWebSocket(url(f.bridge.token), { host: 'evil.example' }), '403');
    assert.equal(await tryWebSocket(url(f.bridge.token), { origin: 'http://localhost:5173' }), 'open');
    assert.ok(f.log.warnings.some((w) => /^relay: refused a page from 127\.0\.0\.1 \(origin none\): Wrong or missing pairing token$/.test(w)), f.log.warnings.join('\n'));
    assert.ok(f.log.warnings.some((w) => /\(origin https:\/\/evil\.example\): Origin not allowed$/.test(w)));
    assert.ok(f.log.warnings.some((w) => /: Host not allowed$/.test(w)));

    // The relay client with a wrong token keeps trying, and is never a page.
    const impostor = new FakePage(relayUrl(f.url, 'wrong'), { models: [{ ...ECHO, id: 'impostor' }] });
    impostor.client.connect();
    try {
      await until(() => impostor.states.filter((s) => s === 'disconnected').length >= 2, 10_000, 'two refused attempts');
      assert.ok(!impostor.states.includes('connected'));
      assert.equal(f.bridge.core.models().some((m) => m.id === 'impostor'), false);
    } finally {
      impostor.close();
    }
  });

  describe('what a page sends is checked', () => {
    let raw: RawPage;
    const RAW = { ...ECHO, id: 'raw' };
    before(async () => {
      raw = await RawPage.open(f.bridge);
      raw.send({ type: 'models', models: [RAW] });
      await until(() => f.bridge.core.models().some((m) => m.id === 'raw' && m.state === 'ready'), 5000, 'the raw page’s model');
    });
    after(() => raw?.close());

    /** Sends something the bridge must refuse; resolves with why it said it refused it. */
    const refused = async (send: () => void) => {
      const before = raw.received.filter((m) => m.type === 'rejected').length;
      send();
      await until(() => raw.received.filter((m) => m.type === 'rejected').length > before, 5000, 'a rejected message');
      return raw.received.filter((m) => m.type === 'rejected').at(-1).why as string;
    };

    it('refuses text, undecodable frames, unknown types and malformed messages, says why, logs it, and stays connected', async () => {
      const whys = [
        await refused(() => raw.sendRaw('{"type": "models"}')),
        await refused(() => raw.sendRaw(Buffer.from([1, 2, 3]))),
        await refused(() => raw.sendRaw(Buffer.from([200, 0, 0, 0, 0x7b]))),
        await refused(() => raw.send({ type: 'hello' })),
        await refused(() => raw.send({ type: 'models', models: [{ id: 'x', title: 'x', state: 'ready' }] })),
        await refused(() => raw.send({ type: 'models', models: [{ ...RAW, state: 'sleeping' }] })),
        await refused(() => raw.send({ type: 'output', model: '', outputs: {} })),
        await refused(() => raw.send({ type: 'event', kind: 'program.started', payload: {} })),
        await refused(() => raw.send({ type: 'result', id: -1, outputs: {} })),
      ];
      assert.deepEqual(whys.slice(0, 4), [
        'a frame that does not decode (text frame)',
        'a frame that does not decode (relay frame shorter than its header length)',
        'a frame that does not decode (relay frame header runs past the frame)',
        'unknown message type "hello" (types: models, result, output, query, event)',
      ]);
      assert.equal(whys[4], 'a "models" message at /models/0 must have required property \'info\'');
      assert.match(whys[5]!, /^a "models" message at \/models\/0\/state must be equal to one of the allowed values$/);
      assert.match(whys[6]!, /^a "output" message at \/model must NOT have fewer than 1 characters$/);
      assert.match(whys[7]!, /^a "event" message at \/kind /);
      assert.match(whys[8]!, /^a "result" message at \/id must be >= 0$/);
      for (const why of whys) assert.ok(f.log.warnings.some((w) => new RegExp(`^relay: page-\\d+ sent ${why.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}; ignored$`).test(w)), why);
      // A refused models message changed nothing, and the page is still one.
      assert.equal(raw.ws.readyState, WebSocket.OPEN);
      assert.equal(f.bridge.core.models().find((m) => m.id === 'raw')?.state, 'ready');
    });

    it('a malformed answer fails its request at once with model_failed; unknown, repeated and other pages’ answers are ignored', async () => {
      const asked = post(`${f.url}/models/raw/query`, { x: 1 });
      const q = await raw.next((m) => m.type === 'query' && m.model === 'raw', 'the query');
      assert.deepEqual(q.inputs, { x: 1 });
      const why = await refused(() => raw.send({ type: 'result', id: q.id, outputs: 'seven' }));
      assert.equal(why, 'a "result" message at /outputs must be object');
      assert.deepEqual(await asked, { status: 500, body: { error: 'the page sent a malformed answer (a "result" message at /outputs must be object)' } });

      // Another page cannot answer this page's query; an answer to no query, or a second one, changes nothing.
      const again = post(`${f.url}/models/raw/query`, { x: 2 });
      const q2 = await raw.next((m) => m.type === 'query' && m.inputs.x === 2, 'the second query');
      const other = await RawPage.open(f.bridge);
      other.send({ type: 'result', id: q2.id, outputs: { y: 'forged' } });
      raw.send({ type: 'result', id: q2.id + 1000, outputs: { y: 'nobody asked' } });
      await sleep(100);
      raw.send({ type: 'result', id: q2.id, outputs: { y: 2 } }, { type: 'result', id: q2.id, outputs: { y: 'twice' } });
      assert.deepEqual(await again, { status: 200, body: { y: 2 } });
      assert.equal(other.received.filter((m) => m.type === 'rejected').length, 0);
      other.close();

      // An error code the bridge does not know, or "dropped" (the core's alone), is a model failure.
      for (const code of ['dropped', 'exploded']) {
        const failing = post(`${f.url}/models/raw/query`, { x: 3, code });
        const q3 = await raw.next((m) => m.type === 'query' && m.inputs.code === code, `the query for ${code}`);
        raw.send({ type: 'result', id: q3.id, error: { code, message: `it ${code}` } });
        assert.deepEqual(await failing, { status: 500, body: { error: `it ${code}` } });
      }
    });

    it('a page message over the relay’s frame limit closes that page (1009), failing what it held at once', async () => {
      const small = await startFakeBridge({ maxBody: 8 * 1024, pageModels: false });
      try {
        const page = await RawPage.open(small.bridge);
        page.send({ type: 'models', models: [RAW] });
        await until(() => small.bridge.core.models().some((m) => m.id === 'raw'), 5000, 'the raw model');
        const asked = post(`${small.url}/models/raw/query`, { x: 1 });
        const q = await page.next((m) => m.type === 'query', 'the query');
        page.send({ type: 'result', id: q.id, outputs: { pad: 'p'.repeat(20 * 1024) } });
        const res = await asked;
        assert.equal(res.status, 503);
        assert.match(res.body.error, /^the page running "raw" went away before answering \(connection closed, code \d+\)/);
        await until(() => page.closed, 5000, 'the page closed');
        assert.equal(page.closed!.code, 1009, 'closed as "message too big"');
        assert.ok(small.log.warnings.some((w) => /^relay: page-\d+: Max payload size exceeded$/.test(w)), small.log.warnings.join('\n'));
      } finally {
        await small.close();
      }
    });
  });
});

describe('the relay client: answers over the limit, reconnecting, closing', () => {
  it('an answer over the relay’s frame limit becomes a too_large error, and the relay stays up', async () => {
    const f = await startFakeBridge({ maxBody: 8 * 1024 });
    try {
      const res = await post(`${f.url}/query`, { x: 1, act: 'big', bytes: 20 * 1024 });
      assert.equal(res.status, 413);
      assert.match(res.body.error, /^the answer is \d+ bytes, over the relay's limit of 16384 bytes \(--max-body\)$/);
      assert.deepEqual(f.page.states, ['connecting', 'connected']);
      assert.equal(f.bridge.core.pageCount, 1);
      assert.deepEqual(await post(`${f.url}/query`, { x: 2, act: 'big', bytes: 1024 }), { status: 200, body: { y: 2, pad: 'p'.repeat(1024) } });
    } finally {
      await f.close();
    }
  });

  it('reconnects on its own when its socket drops, and when the bridge restarts on the same port', async () => {
    const staticDir = stubStaticDir();
    const options = {
      host: '127.0.0.1', socketioPort: 0, oscPort: 0, oscqueryPort: 0, labgraphPort: 0, tcpPort: 0, runtimePort: 0, mdns: false, headless: false, staticDir,
      token: 'restart-token',
    };
    let bridge = await startBridge({ ...options, httpPort: 0 }, silentLog);
    const port = Number(new URL(bridge.httpUrl).port);
    const page = new FakePage(relayUrl(bridge.httpUrl, bridge.token));
    try {
      page.client.connect();
      await page.ready(bridge.core);
      page.drop();
      await until(() => page.states.filter((s) => s === 'connected').length === 2, 10_000, 'the page connected again');
      await page.ready(bridge.core);
      assert.equal(bridge.core.pageCount, 1);

      await bridge.close();
      await until(() => page.states.at(-1) === 'disconnected', 5000, 'the page to see the bridge go');
      bridge = await startBridge({ ...options, httpPort: port }, silentLog);
      await page.ready(bridge.core, new Map(), 20_000);
      assert.deepEqual(page.hellos.at(-1)!.listeners, bridge.listeners);
      assert.deepEqual(await post(`${bridge.httpUrl}/models/picture/query`, { image: dataUri('astronaut-256.jpg', 'image/jpeg') }),
        { status: 200, body: { faces: CANNED_FACES, received: JPEG.byteLength } });
    } finally {
      page.close();
      await bridge.close();
    }
  });

  it('close() ends it for good, also while it waits to reconnect', async () => {
    const f = await startFakeBridge();
    try {
      f.page.drop();
      await until(() => f.page.states.at(-1) === 'disconnected', 5000, 'the drop');
      const sockets = f.page.wire.sockets.length;
      f.page.close();
      // Longer than the first wait before a reconnect (500 ms).
      await sleep(1000);
      assert.equal(f.page.wire.sockets.length, sockets, 'no new connection after close()');
      assert.equal(f.bridge.core.pageCount, 0);
    } finally {
      await f.close();
    }
  });
});
