// Exhausting the listeners and poking them into state changes, as an attacker would, against the real
// bridge and a fake page (no browser): hundreds of idle TCP sockets, idle HTTP connections and silent
// WebSocket peers, upgrades to paths nobody serves, a thousand Engine.IO handshakes without Origin, and
// bodiless POSTs. Each test checks that the bridge stays healthy and a good client is answered meanwhile.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import WebSocket from 'ws';
import { io, type Socket as ClientSocket } from 'socket.io-client';
import ioV2 from 'socket.io-client-v2';
import { FrameDecoder, encodeFrame } from '../bridge/protocols/framing.ts';
import { MAX_BUFFERED_PACKETS } from '../bridge/protocols/socketio.ts';
import { startFakeBridge, type FakeBridge } from './helpers/fake-page.ts';
import { until } from './helpers/wait.ts';

const WAIT_MS = 20_000;

const portOf = (url: string) => Number(new URL(url.replace(/^(tcp|ws|udp)/, 'http')).port);

/** A raw connection that keeps what it is sent and whether it was closed. */
interface Raw { socket: Socket; received: Buffer[]; closed: boolean; text(): string }

function raw(port: number): Promise<Raw> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const r: Raw = { socket, received: [], closed: false, text: () => Buffer.concat(r.received).toString('latin1') };
    socket.on('data', (d) => r.received.push(d));
    socket.on('error', () => {});
    socket.on('close', () => { r.closed = true; });
    // A refused connection may close before or after it connects: either way it is settled.
    socket.once('connect', () => resolve(r));
    socket.once('close', () => resolve(r));
  });
}

/** `n` raw connections, opened `batch` at a time. */
async function rawMany(port: number, n: number, batch = 50): Promise<Raw[]> {
  const all: Raw[] = [];
  for (let i = 0; i < n; i += batch) all.push(...await Promise.all(Array.from({ length: Math.min(batch, n - i) }, () => raw(port))));
  return all;
}

/** A TCP client's JSON query on a connection of its own (or `on`); resolves with the answer's JSON. */
async function tcpQuery(port: number, inputs: unknown, on?: Raw): Promise<any> {
  const c = on ?? await raw(port);
  const from = c.received.length;
  c.socket.write(encodeFrame(Buffer.from(JSON.stringify(inputs))));
  const frame = await until(() => {
    const [first] = new FrameDecoder(1 << 20).push(Buffer.concat(c.received.slice(from)));
    if (!first && c.closed) throw new Error('the TCP connection was closed unanswered');
    return first;
  }, WAIT_MS, 'a TCP answer');
  if (!on) c.socket.destroy();
  return JSON.parse(frame!.toString('utf8'));
}

async function post(url: string, body?: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  const res = await fetch(url, { method: 'POST', headers, ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }) });
  return { status: res.status, body: await res.json() as any };
}
const getJson = async (url: string) => (await fetch(url)).json() as Promise<any>;
const clients = async (f: FakeBridge, protocol: string): Promise<number> => (await getJson(`${f.url}/health`)).clients[protocol] ?? 0;

/** Sends an upgrade request by hand and waits until the server closes the connection. */
async function upgrade(port: number, path: string, protocol = 'websocket'): Promise<string> {
  const r = await raw(port);
  r.socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: Upgrade\r\nUpgrade: ${protocol}\r\n` +
    'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
  await until(() => r.closed, WAIT_MS, `the upgrade to ${path} closed`);
  return r.text();
}

describe('a full listener refuses new connections, never one it holds', () => {
  let f: FakeBridge;
  before(async () => { f = await startFakeBridge({ maxConnections: 50, idleTimeout: 120, timeout: 5 }); });
  after(async () => { await f?.close(); });

  it('TCP: of 300 idle sockets the cap holds 50 and refuses the rest at once, logged once; good clients are answered', async () => {
    const port = portOf(f.listeners.tcp!);
    const good = await raw(port);
    assert.deepEqual(await tcpQuery(port, { x: 1 }, good), { y: 1 });
    const idle = await rawMany(port, 300);
    await until(async () => idle.filter((r) => r.closed).length === 251 && await clients(f, 'tcp') === 50, WAIT_MS, '251 refused, 50 held');
    assert.ok(idle.every((r) => r.received.length === 0), 'a refused connection is closed, not answered');
    // The connection held before the burst is served; HTTP has its own cap.
    assert.deepEqual(await tcpQuery(port, { x: 2 }, good), { y: 2 });
    assert.deepEqual(await post(`${f.url}/query`, { x: 3 }), { status: 200, body: { y: 3 } });
    // A new one while full is refused like the others.
    await assert.rejects(tcpQuery(port, { x: 4 }), /closed unanswered/);
    assert.equal(f.log.warnings.filter((w) => /^tcp: 50 connections open, the most allowed \(--max-connections\); refusing new ones$/.test(w)).length, 1,
      f.log.warnings.join('\n'));
    // Once the idle ones go, a new client gets in.
    for (const r of idle) r.socket.destroy();
    await until(async () => await clients(f, 'tcp') === 1, WAIT_MS, 'the idle sockets gone');
    assert.deepEqual(await tcpQuery(port, { x: 5 }), { y: 5 });
    good.socket.destroy();
  });

  it('HTTP: idle connections fill its port, the page already on it (the relay) still answers; freed, HTTP serves again', async () => {
    const port = portOf(f.url);
    const idle = await rawMany(port, 80);
    await until(() => idle.filter((r) => r.closed).length >= 80 - 50, WAIT_MS, 'the connections past the cap refused');
    // The page's relay connection was there first: queries from other listeners still reach it.
    assert.deepEqual(await tcpQuery(portOf(f.listeners.tcp!), { x: 6 }), { y: 6 });
    for (const r of idle) r.socket.destroy();
    await until(async () => (await post(`${f.url}/query`, { x: 7 }).catch(() => undefined))?.status === 200, WAIT_MS, 'HTTP serving again');
    assert.ok(f.page.connected);
  });
});

describe('idle connections are closed; one waiting for its answer is not', () => {
  let f: FakeBridge;
  before(async () => { f = await startFakeBridge({ maxConnections: 50, idleTimeout: 1, timeout: 60 }); });
  after(async () => { await f?.close(); });

  it('TCP: 300 idle sockets and one that stopped halfway through a frame go; one whose query the model holds stays and gets its answer', async () => {
    const port = portOf(f.listeners.tcp!);
    const waiting = await raw(port);
    const answer = tcpQuery(port, { x: 1, act: 'hold' }, waiting);
    await until(() => f.page.held.length === 1, WAIT_MS, 'the query with the page');
    const half = await raw(port);
    half.socket.write(Buffer.concat([Buffer.from([100, 0, 0, 0]), Buffer.alloc(10)]));
    const idle = await rawMany(port, 300);
    await until(() => half.closed && idle.every((r) => r.closed), WAIT_MS, 'every idle socket closed');
    assert.equal(waiting.closed, false, 'a client waiting on the model is not idle');
    f.page.release();
    assert.deepEqual(await answer, { y: 1 });
    // The reaped ones made room: a good client now is served.
    assert.deepEqual(await tcpQuery(port, { x: 2 }), { y: 2 });
    assert.deepEqual(await post(`${f.url}/query`, { x: 3 }), { status: 200, body: { y: 3 } });
    waiting.socket.destroy();
  });

  it('TCP: a client that stops reading its answers is closed once nothing moves, not held forever', async () => {
    const port = portOf(f.listeners.tcp!);
    await until(async () => await clients(f, 'tcp') === 0, WAIT_MS, 'no TCP client');
    const stuck = await raw(port);
    stuck.socket.pause();
    // Answers far larger than the socket's buffers: the bridge's writes stall.
    for (let i = 0; i < 3; i++) stuck.socket.write(encodeFrame(Buffer.from(JSON.stringify({ x: i, act: 'big', bytes: 4 << 20 }))));
    // The bridge's end is closed (the client, reading nothing, cannot tell).
    await until(async () => await clients(f, 'tcp') === 0, WAIT_MS, 'the client that does not read closed');
    assert.ok(f.log.infos.some((l) => /^tcp: 127\.0\.0\.1:\d+ sent nothing for 1 s \(--idle-timeout\); closing$/.test(l)));
    stuck.socket.destroy();
    assert.deepEqual(await tcpQuery(port, { x: 9 }), { y: 9 });
  });

  it('Socket.IO: clients that only listen (2.x polling, 4.x WebSocket, no Origin) stay, kept by Engine.IO\'s pings', async () => {
    const url = f.listeners.socketio!;
    const listeners = [
      ioV2(url, { forceNew: true, reconnection: false, transports: ['polling'] }) as unknown as ClientSocket,
      io(url, { forceNew: true, reconnection: false, transports: ['websocket'] }),
    ];
    const reasons: string[] = [];
    await Promise.all(listeners.map((s) => new Promise<void>((resolve, reject) => {
      s.once('connect', () => resolve());
      s.once('connect_error', reject);
      s.on('disconnect', (why: string) => reasons.push(why));
    })));
    // Several idle timeouts go by: each silent WebSocket peer below is closed only after one.
    for (let round = 0; round < 4; round++) {
      const silent = new WebSocket(f.listeners.labgraph!, { autoPong: false });
      silent.on('error', () => {});
      await new Promise((r) => silent.once('close', r));
    }
    assert.deepEqual(reasons, []);
    const data = listeners.map((s) => new Promise((r) => s.once('data', r)));
    assert.deepEqual(await post(`${f.url}/query`, { x: 6 }), { status: 200, body: { y: 6 } });
    assert.deepEqual(await Promise.all(data), [{ y: 6 }, { y: 6 }]);
    for (const s of listeners) s.close();
  });

  it('HTTP: a connection that sends nothing, or half a request head, gets 408 and is closed; a request waiting on its model is not cut', async () => {
    const port = portOf(f.url);
    const held = post(`${f.url}/query`, { x: 4, act: 'hold' });
    await until(() => f.page.held.length === 1, WAIT_MS, 'the query with the page');
    const silent = await raw(port);
    const half = await raw(port);
    half.socket.write(`GET /health HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`);
    await until(() => silent.closed && half.closed, WAIT_MS, 'both closed');
    for (const r of [silent, half]) assert.match(r.text(), /^HTTP\/1\.1 408 /);
    f.page.release();
    assert.deepEqual(await held, { status: 200, body: { y: 4 } });
  });

  it('WebSocket (LabGraph, runtime, the relay): a peer that answers no ping is closed; one that only listens stays', async () => {
    for (const name of ['labgraph', 'runtime']) {
      const url = f.listeners[name]!;
      const listening = new WebSocket(url);
      await new Promise((r, j) => { listening.once('open', r); listening.once('error', j); });
      for (let round = 0; round < 2; round++) {
        // `ws` answers pings by itself unless told not to: this one is a peer gone silent.
        const silent = new WebSocket(url, { autoPong: false });
        silent.on('error', () => {});
        const closed = new Promise((r) => silent.once('close', r));
        await new Promise((r) => silent.once('open', r));
        await closed;
        assert.equal(listening.readyState, WebSocket.OPEN, `${name}: the listening client is still there`);
      }
      listening.close();
    }
    // The page's relay answers pings too (the fake page's `ws`, as a browser does): it stayed.
    assert.ok(f.page.connected);
    assert.deepEqual(await post(`${f.url}/query`, { x: 5 }), { status: 200, body: { y: 5 } });
  });
});

describe('upgrades to a path nobody serves', () => {
  let f: FakeBridge;
  before(async () => { f = await startFakeBridge(); });
  after(async () => { await f?.close(); });

  it('are answered 404 and closed on every HTTP server of the bridge; the relay and Socket.IO still upgrade', async () => {
    const cases: [string, number, string, string?][] = [
      ['http', portOf(f.url), '/nope'],
      ['http', portOf(f.url), '/query', 'h2c'],
      ['http', portOf(f.url), '/runtimes'],
      ['socketio', portOf(f.listeners.socketio!), '/nope'],
      ['oscquery', portOf(f.listeners.oscquery!), '/nope'],
    ];
    for (const [name, port, path, protocol] of cases) {
      const text = await upgrade(port, path, protocol);
      assert.match(text, /^HTTP\/1\.1 404 Not Found\r\n/, `${name} ${path}`);
      assert.match(text, new RegExp(`\\{"error":"nothing to upgrade to at ${path}: this port serves `), `${name} ${path}`);
    }
    // What is served still upgrades: the page's relay (connected), Socket.IO on both ports over WebSocket.
    assert.ok(f.page.connected);
    for (const url of [f.url, f.listeners.socketio!]) {
      const socket = io(url, { forceNew: true, reconnection: false, transports: ['websocket'] });
      await new Promise<void>((resolve, reject) => { socket.once('connect', () => resolve()); socket.once('connect_error', reject); });
      assert.deepEqual(await socket.timeout(WAIT_MS).emitWithAck('query', { x: 1 }), { y: 1 });
      socket.close();
    }
  });
});

describe('Engine.IO handshakes that never become clients', () => {
  const MAX = 64;
  let f: FakeBridge;
  before(async () => { f = await startFakeBridge({ maxConnections: MAX, idleTimeout: 4 }); });
  after(async () => { await f?.close(); });

  /** A client with what it heard. */
  interface Heard { socket: ClientSocket; data: unknown[]; errors: unknown[] }
  const listen = async (socket: ClientSocket): Promise<Heard> => {
    const h: Heard = { socket, data: [], errors: [] };
    socket.on('data', (d: unknown) => h.data.push(d));
    socket.on('error', (e: unknown) => h.errors.push(e));
    await new Promise<void>((resolve, reject) => { socket.once('connect', () => resolve()); socket.once('connect_error', reject); });
    return h;
  };
  // socket.io-client 2.x in Node sends no Origin, as Python and Processing clients do not.
  const v2 = (url: string) => ioV2(url, { forceNew: true, reconnection: false }) as unknown as ClientSocket;

  it(`1000 polling handshakes (Engine.IO 3, no Origin): at most ${MAX} at once, the rest refused; stuck ones dropped; real clients served throughout`, async () => {
    const url = f.listeners.socketio!;
    const real4 = await listen(io(url, { forceNew: true, reconnection: false, transports: ['websocket'] }));
    const real2 = await listen(v2(url));
    const agent = new Agent({ keepAlive: true, maxSockets: 16 });
    const statuses: Record<number, number> = {};
    let refusal = '';
    let most = 0;
    const handshake = (i: number) => new Promise<void>((resolve) => {
      request(`${url}/socket.io/?EIO=3&transport=polling&t=${i}`, { agent }, (res) => {
        let body = '';
        res.setEncoding('latin1').on('data', (c: string) => { body += c; }).on('end', () => {
          statuses[res.statusCode!] = (statuses[res.statusCode!] ?? 0) + 1;
          if (res.statusCode === 403) refusal = body;
          resolve();
        });
      }).on('error', () => { statuses[0] = (statuses[0] ?? 0) + 1; resolve(); }).end();
    });
    const flood = Promise.all(Array.from({ length: 1000 }, (_, i) => handshake(i)));
    let flooding = true;
    void flood.then(() => { flooding = false; });
    // Meanwhile: the count of sessions, and a real client's query answered.
    while (flooding) {
      most = Math.max(most, await clients(f, 'socketio'));
      assert.deepEqual(await real4.socket.timeout(WAIT_MS).emitWithAck('query', { x: 1 }), { y: 1 });
    }
    agent.destroy();
    most = Math.max(most, await clients(f, 'socketio'));
    assert.equal((statuses[200] ?? 0) + (statuses[403] ?? 0), 1000, JSON.stringify(statuses));
    assert.ok((statuses[403] ?? 0) > 0 && (statuses[200] ?? 0) >= MAX - 2, JSON.stringify(statuses));
    assert.match(refusal, new RegExp(`${MAX} Socket.IO clients are connected, the most allowed \\(--max-connections\\)`));
    assert.ok(most <= MAX, `at most ${MAX} sessions at once (saw ${most})`);

    // Outputs go on: each handshake left alone fills up and is dropped; the real clients hear every one.
    const outputs = MAX_BUFFERED_PACKETS + 20;
    for (let i = 0; i < outputs; i++) assert.equal((await post(`${f.url}/query`, { x: 100 + i })).status, 200);
    await until(() => real4.data.length >= outputs + 1 && real2.data.length >= outputs + 1, WAIT_MS, 'every output at the real clients');
    await until(async () => await clients(f, 'socketio') === 2, WAIT_MS, 'only the real clients left');
    assert.deepEqual([real4.errors, real2.errors], [[], []]);

    // A new client without Origin gets in, is answered, and hears outputs.
    const late = await listen(v2(url));
    const ack = await new Promise((r) => (late.socket as any).emit('query', { x: 7 }, r));
    assert.deepEqual(ack, { y: 7 });
    await until(() => late.data.some((d: any) => d.y === 7), WAIT_MS, 'its data event');
    for (const h of [real4, real2, late]) h.socket.close();
  });

  it('a session that never polls after its handshake is closed (the handshake timeout), freeing its place', async () => {
    const url = f.listeners.socketio!;
    await until(async () => await clients(f, 'socketio') === 0, WAIT_MS, 'no session');
    const res = await fetch(`${url}/socket.io/?EIO=3&transport=polling`);
    assert.equal(res.status, 200);
    await res.text();
    assert.equal(await clients(f, 'socketio'), 1);
    await until(async () => await clients(f, 'socketio') === 0, WAIT_MS, 'the silent session closed');
  });
});

describe('requests refused before the model change nothing another client sees', () => {
  let f: FakeBridge;
  before(async () => { f = await startFakeBridge(); });
  after(async () => { await f?.close(); });

  it('a bodiless POST /query (a no-cors fetch) gets 415; nothing refused sets /error or reaches a listening Socket.IO client', async () => {
    const listener = io(f.listeners.socketio!, { forceNew: true, reconnection: false, transports: ['websocket'] });
    const heard: { event: string; value: unknown }[] = [];
    listener.onAny((event, value) => heard.push({ event, value }));
    await new Promise<void>((resolve, reject) => { listener.once('connect', () => resolve()); listener.once('connect_error', reject); });
    const cases: [() => ReturnType<typeof post>, number, RegExp][] = [
      [() => post(`${f.url}/query`, undefined, {}), 415, /^unsupported Content-Type: send application\/json, or an image\/\* body$/],
      [() => post(`${f.url}/models/echo/query`, undefined, {}), 415, /^unsupported Content-Type/],
      [() => post(`${f.url}/query`, 'x=1', { 'content-type': 'text/plain' }), 415, /^unsupported Content-Type/],
      [() => post(`${f.url}/query`, 'x=1', { 'content-type': 'application/x-www-form-urlencoded' }), 415, /^unsupported Content-Type/],
      [() => post(`${f.url}/query`, undefined, { origin: 'https://evil.example' }), 403, /--allow-origin https:\/\/evil\.example/],
      [() => post(`${f.url}/query`, '{"x": '), 400, /^the body is not valid JSON/],
      [() => post(`${f.url}/query`, { x: 'one' }), 400, /^input "x" must be number/],
      [() => post(`${f.url}/models/nope/query`, { x: 1 }), 404, /^no model "nope"/],
    ];
    const reached = f.page.queries.length;
    for (const [send, status, error] of cases) {
      const res = await send();
      assert.equal(res.status, status, JSON.stringify(res.body));
      assert.match(res.body.error, error);
      assert.deepEqual(await getJson(`${f.url}/error`), { error: null });
    }
    assert.equal(f.page.queries.length, reached, 'none reached the page');
    // A good query after them: the listener hears its data, and heard nothing before it.
    assert.deepEqual(await post(`${f.url}/query`, { x: 2 }), { status: 200, body: { y: 2 } });
    await until(() => heard.some((h) => h.event === 'data'), WAIT_MS, 'the data event');
    assert.deepEqual(heard.map((h) => h.event), ['info', 'data']);
    listener.close();
  });
});
