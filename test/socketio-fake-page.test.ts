// Socket.IO against the real bridge and a fake page (no browser), with socket.io-client 4 and 2: events
// and namespaces, every error as an ack `{error}` and an `error` event, latest wins as acks say it, the
// limits, timeouts and a page leaving.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request, type IncomingHttpHeaders } from 'node:http';
import { io, type Socket } from 'socket.io-client';
import ioV2 from 'socket.io-client-v2';
import { CANNED_FACES, ECHO, FAKE_MODELS, MIRROR, PICTURE } from './helpers/fake-page-answers.ts';
import { startFakeBridge, type FakeBridge } from './helpers/fake-page.ts';
import { dataUri, fixture } from './helpers/fixtures.ts';
import { until } from './helpers/wait.ts';

const WAIT_MS = 10_000;
const MAX_BODY = 64 * 1024;

interface Client { socket: Socket; events: { event: string; value: any }[]; info: unknown }

/** A v4 socket that records every event; resolved once connected (and holding its `info`, where one comes). */
async function connect(url: string, wantInfo = true): Promise<Client> {
  const socket = io(url, { forceNew: true, reconnection: false, transports: ['websocket'] });
  const events: { event: string; value: any }[] = [];
  socket.onAny((event, value) => events.push({ event, value }));
  socket.on('disconnect', (reason) => events.push({ event: 'disconnect', value: reason }));
  await new Promise<void>((resolve, reject) => { socket.once('connect', () => resolve()); socket.once('connect_error', reject); });
  const info = wantInfo ? (await until(() => events.find((e) => e.event === 'info'), WAIT_MS, 'info')).value : undefined;
  return { socket, events, info };
}
/** A GET with headers that fetch would not send as given (Host). */
function rawGet(url: string, headers: Record<string, string>): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, { headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    }).on('error', reject).end();
  });
}
const ask = (c: Client, inputs: unknown): Promise<any> => c.socket.timeout(WAIT_MS).emitWithAck('query', inputs);
const eventsOf = (c: Client, event: string) => c.events.filter((e) => e.event === event).map((e) => e.value);
const nextOf = (c: Client, event: string, n: number) => until(() => eventsOf(c, event)[n - 1], WAIT_MS, `${event} #${n}`);

describe('Socket.IO against a fake page', () => {
  let f: FakeBridge;
  let url: string;
  const clients: Client[] = [];
  const open = async (path = '', wantInfo = true) => {
    const c = await connect(`${url}${path}`, wantInfo);
    clients.push(c);
    return c;
  };
  before(async () => {
    f = await startFakeBridge({ maxBody: MAX_BODY, timeout: 1 });
    url = f.listeners.socketio!;
  });
  after(async () => {
    for (const c of clients) c.socket.close();
    await f?.close();
  });

  it('info on connect; a query’s output reaches its ack and every socket of its model, in "/" too while it is the default', async () => {
    const asker = await open();
    const passive = await open('/models/echo');
    const pictures = await open('/models/picture');
    assert.deepEqual(asker.info, ECHO.info);
    assert.deepEqual(passive.info, ECHO.info);
    assert.deepEqual(pictures.info, PICTURE.info);

    assert.deepEqual(await ask(asker, { x: 3 }), { y: 3 });
    assert.deepEqual(await nextOf(asker, 'data', 1), { y: 3 });
    assert.deepEqual(await nextOf(passive, 'data', 1), { y: 3 });
    // A query as a JSON string, and one without an ack: data only.
    assert.deepEqual(await ask(passive, '{"x": 4}'), { y: 4 });
    passive.socket.emit('query', { x: 5 });
    assert.deepEqual(await nextOf(asker, 'data', 3), { y: 5 });
    assert.deepEqual(eventsOf(passive, 'data'), [{ y: 3 }, { y: 4 }, { y: 5 }]);
    // Outputs of another model reach that model's sockets only; "/" serves the default model.
    assert.deepEqual(await ask(pictures, { image: dataUri('astronaut-256.jpg', 'image/jpeg') }), { faces: CANNED_FACES, received: fixture('astronaut-256.jpg').byteLength });
    assert.equal(eventsOf(pictures, 'data').length, 1);
    assert.equal(eventsOf(asker, 'data').length, 3);
    assert.equal(eventsOf(asker, 'info').length, 1, 'info once');
    assert.deepEqual(eventsOf(asker, 'error'), []);
  });

  it('each socket’s frames reach the page under a tracking key of their own; an HTTP query under none', async () => {
    const [a, b] = [await open(), await open()];
    const from = f.page.queries.length;
    await ask(a, { x: 1 });
    await ask(b, { x: 2 });
    await ask(a, { x: 3 });
    await fetch(`${f.url}/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"x": 4}' });
    const tracks = f.page.queries.slice(from).map((q) => [q.inputs.x, q.track]);
    assert.deepEqual(tracks.map(([x]) => x), [1, 2, 3, 4]);
    const [ta, tb, ta2, http] = tracks.map(([, t]) => t);
    assert.ok(typeof ta === 'string' && ta.startsWith('socketio:'), String(ta));
    assert.equal(ta2, ta, 'one socket, one key');
    assert.notEqual(tb, ta, 'two sockets, two keys');
    assert.equal(http, undefined, 'a query that stands alone');
  });

  it('image outputs come as data URIs, in the ack and in data', async () => {
    const c = await open(`/models/${MIRROR.id}`);
    const png = fixture('page.png');
    const out = await ask(c, { image: `data:image/png;base64,${png.toString('base64')}` });
    assert.deepEqual(out, { image: `data:image/png;base64,${png.toString('base64')}` });
    assert.deepEqual(await nextOf(c, 'data', 1), out);
  });

  it('works on the HTTP port too', async () => {
    const c = await connect(f.url);
    try {
      assert.deepEqual(c.info, ECHO.info);
      assert.deepEqual(await ask(c, { x: 8 }), { y: 8 });
    } finally {
      c.socket.close();
    }
  });

  it('CORS as a browser sees it, on both ports and both Engine.IO versions: credentials for allowed origins; a refused one reads only why', async () => {
    const LOCAL = 'http://localhost:5173';
    const EVIL = 'https://evil.example';
    const cors = (res: Response) => [res.headers.get('access-control-allow-origin'), res.headers.get('access-control-allow-credentials')];
    for (const base of [url, f.url]) {
      for (const eio of [3, 4]) {
        const handshake = `${base}/socket.io/?EIO=${eio}&transport=polling`;
        // socket.io-client 2.x polls withCredentials: the reply must name the origin and allow credentials.
        const ok = await fetch(handshake, { headers: { origin: LOCAL } });
        assert.equal(ok.status, 200);
        assert.deepEqual(cors(ok), [LOCAL, 'true'], `${base} EIO=${eio}`);
        assert.match(ok.headers.get('vary') ?? '', /Origin/);
        const sid = /"sid":"([^"]+)"/.exec(await ok.text())![1]!;
        const session = `${handshake}&sid=${encodeURIComponent(sid)}`;
        // A request with a sid from a refused origin gets no CORS headers; the allowed one's requests do.
        const packet = (p: string) => (eio === 3 ? `${p.length}:${p}` : p);
        const stolen = await fetch(session, { method: 'POST', headers: { origin: EVIL, 'content-type': 'text/plain;charset=UTF-8' }, body: packet('6') });
        assert.deepEqual([await stolen.text(), ...cors(stolen)], ['ok', null, null]);
        // The client closes its session (packet 1): else the server's close would wait out a poll that never comes.
        const closing = await fetch(session, { method: 'POST', headers: { origin: LOCAL, 'content-type': 'text/plain;charset=UTF-8' }, body: packet('1') });
        assert.deepEqual([await closing.text(), ...cors(closing)], ['ok', LOCAL, 'true']);
        const preflight = await fetch(handshake, { method: 'OPTIONS', headers: { origin: LOCAL, 'access-control-request-method': 'GET', 'access-control-request-headers': 'x-sketch' } });
        assert.deepEqual([preflight.status, ...cors(preflight)], [204, LOCAL, 'true']);

        // A refused origin's handshake: 403, readable by that page, saying which flag lets it in.
        const refused = await fetch(handshake, { headers: { origin: EVIL } });
        assert.equal(refused.status, 403);
        assert.deepEqual(cors(refused), [EVIL, 'true']);
        assert.match((await refused.json()).message, /^Origin "https:\/\/evil\.example" is not allowed: start the bridge with --allow-origin https:\/\/evil\.example/);
        // No Origin (no browser): no CORS headers. A rebinding Host: refused as before, nothing readable.
        assert.deepEqual(cors(await fetch(handshake)), [null, null]);
        const rebound = await rawGet(handshake, { origin: EVIL, host: 'evil.example' });
        assert.deepEqual([rebound.status, rebound.headers['access-control-allow-origin']], [403, undefined]);
        assert.match(JSON.parse(rebound.body).message, /^Host "evil\.example" is not allowed/);
      }
    }
    assert.ok(f.log.warnings.some((w) => /socketio: refused a connection .*Origin "https:\/\/evil\.example"/.test(w)));
  });

  it('a refused query is an ack {error} and an error event to its asker alone; nobody is disconnected; /error stays null', async () => {
    const asker = await open('/models/echo');
    const passive = await open();
    const cases: [unknown, string][] = [
      [{ x: 'two' }, 'input "x" must be number: expected a number'],
      [{}, 'missing input "x": expected a number'],
      ['this is not JSON', 'the query must be a JSON object of inputs ("x")'],
      [[1], 'the query must be a JSON object of inputs ("x")'],
    ];
    for (const [i, [inputs, error]] of cases.entries()) {
      assert.deepEqual(await ask(asker, inputs), { error });
      assert.deepEqual(await nextOf(asker, 'error', i + 1), { error });
    }
    assert.ok(asker.socket.connected && passive.socket.connected);
    assert.deepEqual(await (await fetch(`${f.url}/models/echo/error`)).json(), { error: null });
    assert.deepEqual(await ask(asker, { x: 1 }), { y: 1 });
    // The good query's data reached the passive socket after every refusal: none of them did.
    await until(() => eventsOf(passive, 'data').some((d) => d.y === 1), WAIT_MS, 'data');
    assert.deepEqual(eventsOf(passive, 'error'), []);
  });

  it('every error the page answers with, a timeout and a model that is not ready: ack {error} with the message', async () => {
    const c = await open('/models/echo');
    for (const code of ['bad_request', 'not_found', 'unavailable', 'busy', 'timeout', 'too_large', 'model_failed', 'dropped', 'odd']) {
      // A "dropped" from the page is no dropped frame: no `dropped: true`.
      assert.deepEqual(await ask(c, { x: 1, act: 'fail', code, message: `page: ${code}` }), { error: `page: ${code}` }, code);
    }
    assert.deepEqual(await ask(c, { x: 1, act: 'never' }), { error: '"echo" did not answer within 1 s (--timeout)' });
    assert.deepEqual(eventsOf(c, 'error').at(-1), { error: '"echo" did not answer within 1 s (--timeout)' });
    const loading = await open('/models/loading');
    assert.deepEqual(await ask(loading, { x: 1 }), { error: '"loading" is not ready on any page (loading)' });
    const broken = await open('/models/broken');
    assert.deepEqual(await ask(broken, { x: 1 }), { error: '"broken" is not ready on any page (failed: the weights did not load)' });
  });

  it('an unknown model or namespace: an error event naming the models, then the server disconnects', async () => {
    const ids = FAKE_MODELS.map((m) => m.id).join(', ');
    const nope = await open('/models/nope', false);
    await nextOf(nope, 'disconnect', 1);
    assert.deepEqual(nope.events, [{ event: 'error', value: { error: `no model "nope" (models: ${ids})` } }, { event: 'disconnect', value: 'io server disconnect' }]);
    const elsewhere = await open('/elsewhere', false);
    await nextOf(elsewhere, 'disconnect', 1);
    assert.deepEqual(elsewhere.events, [
      { event: 'error', value: { error: `no namespace "/elsewhere": use "/" for the default model or "/models/<id>" (models: ${ids})` } },
      { event: 'disconnect', value: 'io server disconnect' },
    ]);
  });

  it('latest wins: a frame replaced while the model is busy is acked {error, dropped: true}; no error event, no /error', async () => {
    const c = await open('/models/echo');
    const healthDropped = async () => ((await (await fetch(`${f.url}/health`)).json()) as any).models.find((m: any) => m.id === 'echo').dropped;
    const droppedBefore = await healthDropped();
    const acks = [1, 2, 3].map((x) => ask(c, { x, act: 'hold' }));
    await until(() => f.page.held.length === 1, WAIT_MS, 'the first frame with the page');
    const second = await acks[1];
    assert.equal(second.dropped, true);
    assert.match(second.error, /^dropped: a newer frame from this client replaced it while "echo" was busy \(live input keeps only the latest frame; start the bridge with --no-latest-wins to have every frame answered\)$/);
    f.page.release();
    await until(() => f.page.held.length === 1, WAIT_MS, 'the newest frame with the page');
    assert.equal(f.page.held[0]!.inputs.x, 3);
    f.page.release();
    assert.deepEqual([await acks[0], await acks[2]], [{ y: 1 }, { y: 3 }]);
    assert.deepEqual(eventsOf(c, 'error'), []);
    assert.deepEqual(eventsOf(c, 'data'), [{ y: 1 }, { y: 3 }]);
    assert.equal(await healthDropped(), droppedBefore + 1);
    assert.deepEqual(await (await fetch(`${f.url}/models/echo/error`)).json(), { error: null });
  });

  it('the page leaving mid-query fails the ack at once (not at the timeout)', async () => {
    const c = await open('/models/echo');
    const reply = await ask(c, { x: 1, act: 'leave' });
    assert.match(reply.error, /^the page running "echo" went away before answering/);
    assert.ok(c.socket.connected);
    await f.page.ready(f.bridge.core);
    assert.deepEqual(await ask(c, { x: 2 }), { y: 2 });
  });

  it(`a message over --max-body (${MAX_BODY} bytes) closes that client’s connection; others go on`, async () => {
    const big = await open('/models/echo');
    const other = await open('/models/echo');
    big.socket.emit('query', { x: 1, pad: 'a'.repeat(MAX_BODY + 1024) });
    assert.equal(await nextOf(big, 'disconnect', 1), 'transport close');
    assert.deepEqual(eventsOf(big, 'data'), []);
    assert.deepEqual(await ask(other, { x: 1 }), { y: 1 });
  });

  it('a v2 client (as in Runway’s p5.js examples): info, an ack with the output, an error event and ack for a bad query', async () => {
    const socket = ioV2(`${url}/models/echo`, { forceNew: true, reconnection: false, transports: ['websocket'] });
    const events: { event: string; value: any }[] = [];
    for (const event of ['info', 'data', 'error']) socket.on(event, (value: unknown) => events.push({ event, value }));
    try {
      await until(() => events.some((e) => e.event === 'info'), WAIT_MS, 'info');
      assert.deepEqual(events[0], { event: 'info', value: ECHO.info });
      const ack = (inputs: unknown) => new Promise<any>((resolve) => socket.emit('query', inputs, resolve));
      assert.deepEqual(await ack({ x: 6 }), { y: 6 });
      assert.deepEqual(await ack({ x: 'six' }), { error: 'input "x" must be number: expected a number' });
      assert.deepEqual(await ack({ x: 1, act: 'fail', code: 'model_failed', message: 'v2 sees it' }), { error: 'v2 sees it' });
      await until(() => events.filter((e) => e.event === 'error').length === 2, WAIT_MS, 'two error events');
      assert.deepEqual(events.slice(1), [
        { event: 'data', value: { y: 6 } },
        { event: 'error', value: { error: 'input "x" must be number: expected a number' } },
        { event: 'error', value: { error: 'v2 sees it' } },
      ]);
    } finally {
      socket.close();
    }
  });
});

describe('Socket.IO with --no-latest-wins and without a page', () => {
  let f: FakeBridge;
  before(async () => { f = await startFakeBridge({ latestWins: false, maxClientQueue: 2, pageModels: false }); });
  after(async () => { await f?.close(); });

  it('"/" before any model: an error event instead of info, the socket stays; a query is acked with the error', async () => {
    const c = await connect(f.listeners.socketio!, false);
    try {
      await until(() => eventsOf(c, 'error').length === 1, WAIT_MS, 'the error event');
      assert.deepEqual(c.events, [{ event: 'error', value: { error: 'no model is loaded yet, and no --model was given' } }]);
      assert.deepEqual(await ask(c, { x: 1 }), { error: 'no model is loaded yet, and no --model was given' });
      assert.equal(eventsOf(c, 'error').length, 2);
      assert.ok(c.socket.connected, 'still connected');
    } finally {
      c.socket.close();
    }
  });

  it('every frame is answered in turn, up to --max-client-queue; past it "busy"', async () => {
    const page = await f.openPage();
    const c = await connect(`${f.listeners.socketio}/models/echo`);
    try {
      const acks = [1, 2, 3].map((x) => ask(c, { x, act: 'hold' }));
      assert.match((await acks[2]).error, /^this client has 2 queries waiting, the most allowed for one client \(--max-client-queue\)/);
      await until(() => page.held.length === 2, WAIT_MS, 'two frames with the page');
      page.release();
      assert.deepEqual([await acks[0], await acks[1]], [{ y: 1 }, { y: 2 }]);
      assert.equal(((await (await fetch(`${f.url}/health`)).json()) as any).models.find((m: any) => m.id === 'echo').dropped, 0);
    } finally {
      c.socket.close();
    }
  });
});
