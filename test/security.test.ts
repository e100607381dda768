// Who may talk to the bridge: pages on other origins, rebinding Hosts and pages without the pairing
// token are refused; CORS and Private Network Access answer only allowed origins (and a refused origin's
// 403, so that its page can read why).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import WebSocket from 'ws';
import { startHarness, type Harness } from './helpers/page.ts';

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
