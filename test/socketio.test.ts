// Socket.IO (Runway's event protocol) end to end: socket.io-client v4 and v2 → bridge → relay → headless page.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { io, type Socket } from 'socket.io-client';
import ioV2 from 'socket.io-client-v2';
import { namespaceModel } from '../bridge/protocols/socketio.ts';
import { dataUri, postJson, startHarness, type Harness } from './helpers/page.ts';
import { OscClient } from './helpers/osc.ts';
import { assertFaces } from './helpers/assertions.ts';

const FACE = { image: dataUri('astronaut.jpg', 'image/jpeg') };
const WAIT_MS = 30_000;


/** Resolves with the next `event` on a socket (v4 or v2), or fails after a while. */
function nextEvent(socket: { on(e: string, f: (...a: any[]) => void): unknown; off?(e: string, f: (...a: any[]) => void): unknown }, event: string): Promise<any> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "${event}" event within ${WAIT_MS} ms`)), WAIT_MS);
    const on = (value: unknown) => {
      clearTimeout(timer);
      socket.off?.(event, on);
      resolve(value);
    };
    socket.on(event, on);
  });
}

/** A v4 socket that records every event it gets, connected and holding its `info`. */
async function connect(url: string, options: Parameters<typeof io>[1] = {}) {
  const socket = io(url, { forceNew: true, reconnection: false, ...options });
  const events: { event: string; value: unknown }[] = [];
  socket.onAny((event, value) => events.push({ event, value }));
  const info = await nextEvent(socket, 'info');
  return { socket, events, info };
}

describe('Socket.IO through the real page', () => {
  let h: Harness;
  let url: string;
  const sockets: Socket[] = [];
  const open = async (u: string, options?: Parameters<typeof io>[1]) => {
    const c = await connect(u, options);
    sockets.push(c.socket);
    return c;
  };

  before(async () => {
    h = await startHarness({ socketioPort: 0, oscPort: 0 });
    url = h.bridge.listeners.socketio!;
  });
  after(async () => {
    for (const s of sockets) s.close();
    await h?.close();
  });

  it('names namespaces: / is the default model, /models/<id> one model', () => {
    assert.deepEqual(namespaceModel('/'), { model: undefined });
    assert.deepEqual(namespaceModel('/models/face-detection'), { model: 'face-detection' });
    assert.equal(namespaceModel('/models/'), undefined);
    assert.equal(namespaceModel('/models/a/b'), undefined);
    assert.equal(namespaceModel('/other'), undefined);
  });

  it('emits info exactly once, on connect; a query gives data to the asker, its ack and a passive socket', async () => {
    const httpInfo = await (await fetch(`${h.url}/info`)).json();
    const asker = await open(url);
    const passive = await open(url);
    assert.deepEqual(asker.info, httpInfo);

    const data = nextEvent(asker.socket, 'data');
    const passiveData = nextEvent(passive.socket, 'data');
    const ack = await asker.socket.timeout(WAIT_MS).emitWithAck('query', FACE);
    assertFaces(ack);
    assert.deepEqual(await data, ack);
    assert.deepEqual(await passiveData, ack);
    assert.deepEqual(await (await fetch(`${h.url}/data`)).json(), ack);

    // A second query, then count: still the one info from the connection.
    const again = await asker.socket.timeout(WAIT_MS).emitWithAck('query', FACE);
    assertFaces(again);
    assert.equal(asker.events.filter((e) => e.event === 'info').length, 1);
    assert.equal(passive.events.filter((e) => e.event === 'info').length, 1);
  });

  it('a query without an ack callback (as in Runway’s examples) gets its output as data', async () => {
    const { socket } = await open(url);
    const data = nextEvent(socket, 'data');
    socket.emit('query', FACE);
    assertFaces(await data);
  });

  it('a bad query gives an error naming the input, to the asker alone; nobody is disconnected', async () => {
    const asker = await open(url);
    const passive = await open(url);
    const passiveErrors: unknown[] = [];
    passive.socket.on('error', (e: unknown) => passiveErrors.push(e));

    const missing = nextEvent(asker.socket, 'error');
    const ack = await asker.socket.timeout(WAIT_MS).emitWithAck('query', {});
    assert.match(ack.error, /missing input "image"/);
    assert.deepEqual(await missing, ack);

    const notImage = nextEvent(asker.socket, 'error');
    asker.socket.emit('query', { image: 'data:image/png;base64,' + Buffer.from('not a png at all').toString('base64') });
    assert.match((await notImage).error, /"image" does not decode/);

    const notJson = nextEvent(asker.socket, 'error');
    asker.socket.emit('query', 'this is not JSON');
    assert.match((await notJson).error, /must be a JSON object of inputs \("image"\)/);

    assert.ok(asker.socket.connected && passive.socket.connected);
    const passiveData = nextEvent(passive.socket, 'data');
    assertFaces(await asker.socket.timeout(WAIT_MS).emitWithAck('query', FACE));
    // The passive socket heard the good query's output, and none of the refusals before it.
    assertFaces(await passiveData);
    assert.deepEqual(passiveErrors, []);
  });

  it('serves one model at /models/<id>; outputs reach both its namespace and the default one', async () => {
    const one = await open(`${url}/models/face-detection`);
    const byDefault = await open(url);
    assert.deepEqual(one.info, await (await fetch(`${h.url}/models/face-detection/info`)).json());
    const defaultData = nextEvent(byDefault.socket, 'data');
    const out = await one.socket.timeout(WAIT_MS).emitWithAck('query', FACE);
    assertFaces(out);
    assert.deepEqual(await defaultData, out);
  });

  it('an unknown model namespace gets an error naming the models, then is disconnected', async () => {
    const socket = io(`${url}/models/nope`, { forceNew: true, reconnection: false });
    sockets.push(socket);
    const [error, reason] = await Promise.all([nextEvent(socket, 'error'), nextEvent(socket, 'disconnect')]);
    assert.match(error.error, /no model "nope" \(models: face-detection, /);
    assert.equal(reason, 'io server disconnect');

    const other = io(`${url}/elsewhere`, { forceNew: true, reconnection: false });
    sockets.push(other);
    const [otherError] = await Promise.all([nextEvent(other, 'error'), nextEvent(other, 'disconnect')]);
    assert.match(otherError.error, /no namespace "\/elsewhere": use "\/" .* or "\/models\/<id>" \(models: face-detection, /);
  });

  it('works on the HTTP port too, beside the page relay', async () => {
    const onHttp = await open(h.url);
    assert.deepEqual(onHttp.info, await (await fetch(`${h.url}/info`)).json());
    assertFaces(await onHttp.socket.timeout(WAIT_MS).emitWithAck('query', FACE));
    const one = await open(`${h.url}/models/face-detection`, { transports: ['websocket'] });
    assertFaces(await one.socket.timeout(WAIT_MS).emitWithAck('query', FACE));
    // The bridge still serves its page and API on that port.
    assert.equal((await fetch(`${h.url}/health`)).status, 200);
  });

  it('serves the Socket.IO browser client itself (for pages with no CDN)', async () => {
    const res = await fetch(`${url}/socket.io/socket.io.js`);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /Socket\.IO v4/);
  });

  it('refuses a foreign browser Origin, over polling and WebSocket', async () => {
    for (const transports of [['polling'], ['websocket']] as const) {
      const socket = io(url, { forceNew: true, reconnection: false, transports: [...transports], extraHeaders: { origin: 'https://evil.example' } });
      sockets.push(socket);
      const events: string[] = [];
      socket.onAny((event) => events.push(event));
      const err = await nextEvent(socket, 'connect_error');
      assert.ok(err instanceof Error, `${transports}: ${err}`);
      if (transports[0] === 'polling') assert.equal((err as { context?: { status?: number } }).context?.status, 403);
      assert.equal(socket.connected, false);
      assert.deepEqual(events, [], `${transports}: got events ${events}`);
    }
    const refused = await fetch(`${url}/socket.io/?EIO=4&transport=polling`, { headers: { origin: 'https://evil.example' } });
    assert.equal(refused.status, 403);
    assert.match((await refused.json()).message, /Origin "https:\/\/evil\.example" is not allowed: start the bridge with --allow-origin/);
    // A localhost page is welcome.
    const ok = await open(url, { extraHeaders: { origin: 'http://localhost:5173' } });
    assert.ok(ok.info.inputs);
  });

  it('refuses a DNS-rebinding Host, naming it', async () => {
    const u = new URL(url);
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      request({ host: u.hostname, port: u.port, path: '/socket.io/?EIO=4&transport=polling', headers: { host: 'attacker.example:3000' } }, (r) => {
        let body = '';
        r.on('data', (c) => { body += c; });
        r.on('end', () => resolve({ status: r.statusCode ?? 0, body }));
      }).on('error', reject).end();
    });
    assert.equal(res.status, 403);
    assert.match(JSON.parse(res.body).message, /Host "attacker\.example:3000" is not allowed/);
  });

  it('a Socket.IO v2 client (as bundled by Runway’s p5.js examples) gets info, queries and gets data', async () => {
    const socket = ioV2(url, { forceNew: true, reconnection: false });
    try {
      const info = await nextEvent(socket, 'info');
      assert.deepEqual(info, await (await fetch(`${h.url}/info`)).json());
      const data = nextEvent(socket, 'data');
      const acked = new Promise((resolve) => socket.emit('query', FACE, resolve));
      assertFaces(await data);
      assert.deepEqual(await acked, await data);
      const error = nextEvent(socket, 'error');
      socket.emit('query', {});
      assert.match((await error).error, /missing input "image"/);
    } finally {
      socket.close();
    }
  });

  it('an HTTP POST /query reaches a passive Socket.IO listener and a connected OSC client', async () => {
    const passive = await open(url);
    const oscClient = await OscClient.open(h.bridge.listeners.osc!);
    try {
      oscClient.send('/server/connect');
      oscClient.send('/info'); // answered after the connect is handled: the client is registered
      assert.ok((await oscClient.nextJson('/info')).inputs);
      const data = nextEvent(passive.socket, 'data');
      const res = await postJson(`${h.url}/query`, { image: dataUri('astronaut-256.jpg', 'image/jpeg') });
      assert.equal(res.status, 200);
      assertFaces(res.body);
      assert.deepEqual(await data, res.body);
      assert.deepEqual(await oscClient.nextJson('/data'), res.body);
    } finally {
      oscClient.close();
    }
  });
});
