// Who may talk to the bridge: pages on other origins, rebinding Hosts and pages without the pairing
// token are refused; CORS and Private Network Access answer only allowed origins (and a refused origin's
// 403, so that its page can read why); origins allowed to query may not run programs. Pairing itself:
// test/pairing.test.ts.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import WebSocket from 'ws';
import { io } from 'socket.io-client';
import { startHarness, type Harness } from './helpers/page.ts';
import { startFakeBridge, type FakeBridge } from './helpers/fake-page.ts';
import { RuntimeClient } from './helpers/runtime-client.ts';

/** Opens a WebSocket with the given headers; resolves with "open" or the HTTP status it was refused with. */
function tryWebSocket(url: string, headers: Record<string, string>): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.on('open', () => { ws.close(); resolve('open'); });
    ws.on('unexpected-response', (_req, res) => resolve(String(res.statusCode)));
    ws.on('error', (err) => resolve(`error: ${err.message}`));
  });
}

function preflight(url: string, origin: string, extra: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown> }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    request({ host: u.hostname, port: u.port, path: u.pathname, method: 'OPTIONS', agent: false, headers: {
      origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type', ...extra,
    } }, (res) => { res.resume(); resolve({ status: res.statusCode ?? 0, headers: res.headers }); }).on('error', reject).end();
  });
}

describe('security', () => {
  let h: Harness;
  before(async () => { h = await startHarness(); });
  after(async () => { await h?.close(); });

  const relay = (token: string) => `${h.url.replace('http', 'ws')}/runtime?token=${token}`;

  it('the relay refuses a wrong or missing token, a foreign origin and a rebinding Host', async () => {
    const origin = h.url;
    assert.equal(await tryWebSocket(relay('wrong'), { origin }), '401');
    assert.equal(await tryWebSocket(relay(''), { origin }), '401');
    assert.equal(await tryWebSocket(relay(h.bridge.token), { origin: 'https://evil.example' }), '403');
    assert.equal(await tryWebSocket(relay(h.bridge.token), { origin, host: 'evil.example' }), '403');
    // The page's own origin with the token gets in (and is then one more page).
    assert.equal(await tryWebSocket(relay(h.bridge.token), { origin }), 'open');
  });

  it('the runtime WebSocket refuses foreign origins and rebinding Hosts', async () => {
    const url = h.bridge.listeners.runtime!;
    assert.equal(await tryWebSocket(url, { origin: 'https://evil.example' }), '403');
    assert.equal(await tryWebSocket(url, { host: 'evil.example' }), '403');
    assert.equal(await tryWebSocket(url, { origin: 'http://localhost:5173' }), 'open');
    assert.equal(await tryWebSocket(url, {}), 'open');
  });

  it('CORS: a foreign page cannot read /query; localhost pages and --allow-origin ones can', async () => {
    const evil = await preflight(`${h.url}/query`, 'https://evil.example');
    assert.equal(evil.headers['access-control-allow-origin'], undefined);
    const local = await preflight(`${h.url}/query`, 'http://localhost:5173');
    assert.equal(local.headers['access-control-allow-origin'], 'http://localhost:5173');
  });

  it('a foreign page reaches no route: a 403 that it can read says which flag lets it in, and nothing else', async () => {
    const origin = 'https://evil.example';
    const reason = { error: 'Origin "https://evil.example" is not allowed: start the bridge with --allow-origin https://evil.example to let that page in' };
    for (const [path, init] of [['/info', {}], ['/data', {}], ['/', {}], ['/query', { method: 'POST', body: 'x', headers: { 'content-type': 'text/plain' } }]] as const) {
      const res = await fetch(`${h.url}${path}`, { ...init, headers: { ...('headers' in init ? init.headers : {}), origin } });
      assert.equal(res.status, 403, path);
      assert.equal(res.headers.get('access-control-allow-origin'), origin);
      assert.equal(res.headers.get('access-control-allow-credentials'), null);
      assert.deepEqual(await res.json(), reason, path);
    }
    // A localhost page still reads the real answer.
    const local = await fetch(`${h.url}/info`, { headers: { origin: 'http://localhost:5173' } });
    assert.equal(local.headers.get('access-control-allow-origin'), 'http://localhost:5173');
    assert.ok((await local.json()).inputs);
  });

  it('Private Network Access: answered for allowed origins only', async () => {
    const pna = { 'access-control-request-private-network': 'true' };
    assert.equal((await preflight(`${h.url}/query`, 'http://localhost:5173', pna)).headers['access-control-allow-private-network'], 'true');
    assert.equal((await preflight(`${h.url}/query`, 'https://evil.example', pna)).headers['access-control-allow-private-network'], undefined);
  });
});

describe('security: --allow-origin', () => {
  let h: Harness;
  before(async () => { h = await startHarness({ allowOrigin: ['https://editor.p5js.org'] }); });
  after(async () => { await h?.close(); });

  it('lets the named origin read responses and preflight for the private network', async () => {
    const r = await preflight(`${h.url}/query`, 'https://editor.p5js.org', { 'access-control-request-private-network': 'true' });
    assert.equal(r.headers['access-control-allow-origin'], 'https://editor.p5js.org');
    assert.equal(r.headers['access-control-allow-private-network'], 'true');
    assert.equal((await preflight(`${h.url}/query`, 'https://other.example')).headers['access-control-allow-origin'], undefined);
    assert.ok((await (await fetch(`${h.url}/info`, { headers: { origin: 'https://editor.p5js.org' } })).json()).inputs);
  });
});

describe('security: --allow-origin and --allow-program-origin are trusted apart', () => {
  let f: FakeBridge;
  const QUERY_ONLY = 'https://editor.p5js.org';
  const PROGRAMS = 'https://lab.example';
  before(async () => { f = await startFakeBridge({ allowOrigin: [QUERY_ONLY], allowProgramOrigin: [PROGRAMS] }); });
  after(async () => { await f?.close(); });

  const query = async (origin: string, x: number) => {
    const res = await fetch(`${f.url}/query`, { method: 'POST', headers: { origin, 'content-type': 'application/json' }, body: JSON.stringify({ x }) });
    return { status: res.status, allowed: res.headers.get('access-control-allow-origin'), body: await res.json() as { y?: number } };
  };

  /** Connects over Socket.IO as a page of `origin` would, and queries the default model. */
  const socketQuery = (origin: string, x: number) => new Promise<unknown>((resolve, reject) => {
    const socket = io(f.url, { forceNew: true, reconnection: false, transports: ['websocket'], extraHeaders: { origin } });
    socket.on('connect_error', (err) => { socket.close(); reject(err); });
    socket.on('connect', () => socket.emit('query', { x }, (answer: unknown) => { socket.close(); resolve(answer); }));
  });

  it('an --allow-origin origin queries over HTTP and Socket.IO, but is refused on the runtime WebSocket; a good client is served meanwhile', async () => {
    assert.deepEqual(await query(QUERY_ONLY, 3), { status: 200, allowed: QUERY_ONLY, body: { y: 3 } });
    assert.deepEqual(await socketQuery(QUERY_ONLY, 4), { y: 4 });
    assert.equal(await tryWebSocket(f.listeners.runtime!, { origin: QUERY_ONLY }), '403');
    assert.ok(f.log.warnings.some((w) => w === `runtime: refused a connection from 127.0.0.1 (origin ${QUERY_ONLY}): Origin not allowed to run programs`), f.log.warnings.join('\n'));
    // A local client (no Origin) runs a model over the runtime WebSocket all along.
    const local = await RuntimeClient.connect(f.listeners.runtime!);
    try {
      assert.deepEqual((await local.request({ action: 'run_model', model: { name: 'echo', data: { x: 5 } } })).output, { y: 5 });
    } finally {
      local.close();
    }
  });

  it('an --allow-program-origin origin may use the runtime WebSocket, and query too; others neither', async () => {
    assert.equal(await tryWebSocket(f.listeners.runtime!, { origin: PROGRAMS }), 'open');
    const lab = await RuntimeClient.connect(f.listeners.runtime!, { origin: PROGRAMS });
    try {
      assert.deepEqual((await lab.request({ action: 'run_model', model: { name: 'echo', data: { x: 6 } } })).output, { y: 6 });
    } finally {
      lab.close();
    }
    assert.deepEqual(await query(PROGRAMS, 7), { status: 200, allowed: PROGRAMS, body: { y: 7 } });
    assert.deepEqual(await socketQuery(PROGRAMS, 8), { y: 8 });
    assert.equal(await tryWebSocket(f.listeners.runtime!, { origin: 'https://evil.example' }), '403');
    assert.equal((await query('https://evil.example', 9)).status, 403);
    assert.equal(await tryWebSocket(f.listeners.runtime!, { origin: 'http://localhost:5173' }), 'open');
  });
});
