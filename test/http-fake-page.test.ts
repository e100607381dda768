// HTTP (Runway's API and /models/<id>/…) against the real bridge and a fake page (no browser): the wire
// format both ways, the status of every core error, the bridge's limits, timeouts and a page leaving.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { ECHO, FAKE_MODELS, MIRROR, PICTURE } from './helpers/fake-page-answers.ts';
import { startFakeBridge, type FakeBridge } from './helpers/fake-page.ts';
import { dataUri, fixture } from './helpers/fixtures.ts';
import { until } from './helpers/wait.ts';

const MAX_BODY = 256 * 1024;
const JPEG = fixture('astronaut-256.jpg');

async function post(url: string, body: unknown, type = 'application/json') {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': type }, body: typeof body === "string" ? body : body instanceof Uint8Array ? new Uint8Array(body) : JSON.stringify(body) });
  return { status: res.status, body: await res.json() as any, retryAfter: res.headers.get('retry-after') };
}
const get = async (url: string) => {
  const res = await fetch(url);
  return { status: res.status, body: await res.json() as any };
};

/** Sends `bodies` as pipelined POSTs on one connection (one HTTP client) and reads the answers, in order. */
function pipelined(base: string, path: string, bodies: unknown[]): { answers: Promise<{ status: number; headers: string; body: any }[]> } {
  const u = new URL(base);
  const socket = connect(Number(u.port), u.hostname);
  for (const b of bodies) {
    const json = JSON.stringify(b);
    socket.write(`POST ${path} HTTP/1.1\r\nHost: ${u.host}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`);
  }
  let text = '';
  const answers = new Promise<{ status: number; headers: string; body: any }[]>((resolve, reject) => {
    socket.on('error', reject);
    socket.on('data', (d) => {
      text += d.toString('latin1');
      const parsed: { status: number; headers: string; body: any }[] = [];
      let rest = text;
      for (;;) {
        const end = rest.indexOf('\r\n\r\n');
        if (end < 0) break;
        const headers = rest.slice(0, end);
        const length = Number(/content-length: (\d+)/i.exec(headers)?.[1] ?? 0);
        if (rest.length < end + 4 + length) break;
        parsed.push({ status: Number(headers.split(' ')[1]), headers, body: JSON.parse(rest.slice(end + 4, end + 4 + length)) });
        rest = rest.slice(end + 4 + length);
      }
      if (parsed.length === bodies.length) { socket.destroy(); resolve(parsed); }
    });
  });
  return { answers };
}

describe('HTTP against a fake page', () => {
  let f: FakeBridge;
  before(async () => { f = await startFakeBridge({ maxBody: MAX_BODY, timeout: 1, maxQueue: 4, maxClientQueue: 2 }); });
  after(async () => { await f?.close(); });

  it('POST /query runs the default model (the first announced) and /data, /error, /info follow, per model too', async () => {
    assert.deepEqual(await get(`${f.url}/info`), { status: 200, body: ECHO.info });
    assert.deepEqual(await get(`${f.url}/models/picture/info`), { status: 200, body: PICTURE.info });
    assert.deepEqual((await get(`${f.url}/models/echo/data`)).body, {});
    assert.deepEqual((await get(`${f.url}/models/echo/error`)).body, { error: null });

    const res = await post(`${f.url}/query`, { x: 2.5, extra: 'passed on' });
    assert.deepEqual(res, { status: 200, body: { y: 2.5 }, retryAfter: null });
    // The page got the inputs as sent (undeclared ones too), for the default model, not annotated.
    assert.deepEqual(f.page.queries.at(-1), { model: 'echo', inputs: { x: 2.5, extra: 'passed on' }, annotate: false });
    assert.deepEqual((await get(`${f.url}/data`)).body, { y: 2.5 });
    assert.deepEqual((await get(`${f.url}/models/echo/data`)).body, { y: 2.5 });
    assert.deepEqual((await get(`${f.url}/error`)).body, { error: null });
    // Another model's /data is its own.
    assert.deepEqual((await get(`${f.url}/models/mirror/data`)).body, {});
    assert.deepEqual(await post(`${f.url}/models/echo/query`, { x: -1 }), { status: 200, body: { y: -1 }, retryAfter: null });
  });

  it('an image reaches the page as the same bytes, sent as a body, a data URI or bare base64; image outputs come back as data URIs', async () => {
    for (const body of [
      () => post(`${f.url}/models/picture/query`, JPEG, 'image/jpeg'),
      () => post(`${f.url}/models/picture/query`, { image: dataUri('astronaut-256.jpg', 'image/jpeg') }),
      () => post(`${f.url}/models/picture/query`, { image: JPEG.toString('base64') }),
      () => post(`${f.url}/models/picture/query`, { image: `data:image/jpeg;base64,${JPEG.toString('base64').replace(/(.{76})/g, '$1\n')}` }),
    ]) {
      const res = await body();
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.received, JPEG.byteLength);
      const got = f.page.queries.at(-1)!.inputs.image;
      assert.ok(got instanceof Uint8Array, 'the image crossed the relay as bytes');
      assert.ok(Buffer.from(got).equals(JPEG), 'the same bytes');
    }
    const png = fixture('page.png');
    const mirrored = await post(`${f.url}/models/mirror/query`, png, 'image/png');
    assert.equal(mirrored.status, 200);
    assert.equal(mirrored.body.image, `data:image/png;base64,${png.toString('base64')}`);
    assert.deepEqual((await get(`${f.url}/models/mirror/data`)).body, mirrored.body);
  });

  it('answers with the output image itself when asked (?format=png, Accept: image/…); 406 for a model without one', async () => {
    const png = fixture('page.png');
    const ask = (url: string, accept?: string) => fetch(url, { method: 'POST', body: png, headers: { 'content-type': 'image/png', ...(accept && { accept }) } });
    for (const res of [await ask(`${f.url}/models/mirror/query?format=png`), await ask(`${f.url}/models/mirror/query`, 'image/png')]) {
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'image/png');
      assert.ok(Buffer.from(await res.arrayBuffer()).equals(png), 'the image, not JSON');
    }
    const json = await ask(`${f.url}/models/mirror/query`, 'image/png, application/json');
    assert.match(json.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(((await json.json()) as { image: string }).image, `data:image/png;base64,${png.toString('base64')}`);
    const queries = f.page.queries.length;
    const none = await fetch(`${f.url}/query?format=png`, { method: 'POST', body: '{"x": 1}', headers: { 'content-type': 'application/json' } });
    assert.equal(none.status, 406);
    assert.match(((await none.json()) as { error: string }).error, /^"echo" gives no image output: ask for JSON/);
    assert.equal(f.page.queries.length, queries, 'refused before the page');
  });

  it('400: bad JSON, a wrong type or a missing input (named), an image body to a model without one, bytes that are no image', async () => {
    const cases: [() => ReturnType<typeof post>, RegExp][] = [
      [() => post(`${f.url}/query`, '{"x": ', 'application/json'), /^the body is not valid JSON/],
      [() => post(`${f.url}/query`, { x: 'two' }), /^input "x" must be number: expected a number$/],
      [() => post(`${f.url}/query`, { y: 1 }), /^missing input "x": expected a number$/],
      [() => post(`${f.url}/query`, [1, 2]), /^the query must be a JSON object of inputs \("x"\)$/],
      [() => post(`${f.url}/query`, JPEG, 'image/jpeg'), /^"echo" takes no image input; send a JSON body$/],
      [() => post(`${f.url}/models/picture/query`, { image: 'data:image/png;base64,' + Buffer.from('not a png').toString('base64') }), /^input "image" does not decode as an image \(9 bytes/],
      [() => post(`${f.url}/models/picture/query`, { image: 'not base64!' }), /^input "image" is not a base64 data URI/],
      [() => post(`${f.url}/models/picture/query`, { image: 42 }), /^input "image" must be a string/],
    ];
    const before = f.page.queries.length;
    for (const [send, message] of cases) {
      const res = await send();
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.match(res.body.error, message);
    }
    assert.equal(f.page.queries.length, before, 'nothing the bridge refused reached the page');
    // A refused query is its asker's alone: /error says nothing of it (docs/protocols.md).
    assert.deepEqual((await get(`${f.url}/models/picture/error`)).body, { error: null });
    assert.deepEqual((await get(`${f.url}/error`)).body, { error: null });
    assert.equal((await post(`${f.url}/models/picture/query`, JPEG, 'image/jpeg')).status, 200);
  });

  it('404: an unknown model (naming the models there are) at each of its addresses; an unknown address', async () => {
    const ids = FAKE_MODELS.map((m) => m.id).join(', ');
    const res = await post(`${f.url}/models/nope/query`, { x: 1 });
    assert.deepEqual(res, { status: 404, body: { error: `no model "nope" (models: ${ids})` }, retryAfter: null });
    for (const what of ['data', 'error', 'info']) assert.deepEqual(await get(`${f.url}/models/nope/${what}`), { status: 404, body: { error: `no model "nope" (models: ${ids})` } });
    assert.deepEqual(await get(`${f.url}/nothing/here?x=1`), { status: 404, body: { error: 'no such address: GET /nothing/here' } });
  });

  it('413 past --max-body, naming the limit; 415 for a body that is neither JSON nor an image', async () => {
    const big = await post(`${f.url}/query`, { x: 1, pad: 'a'.repeat(MAX_BODY) });
    assert.equal(big.status, 413);
    assert.equal(big.body.error, `the request body is over the limit of ${MAX_BODY} bytes (--max-body)`);
    const bigImage = await post(`${f.url}/models/picture/query`, Buffer.concat([JPEG, Buffer.alloc(MAX_BODY)]), 'image/jpeg');
    assert.equal(bigImage.status, 413);
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/octet-stream']) {
      const res = await post(`${f.url}/query`, 'x=1', type);
      assert.equal(res.status, 415, type);
      assert.match(res.body.error, /^unsupported Content-Type: send application\/json, or an image\/\* body/);
    }
  });

  it('503 with Retry-After for a model that is loading or failed on its page, naming its state', async () => {
    const loading = await post(`${f.url}/models/loading/query`, { x: 1 });
    assert.deepEqual(loading, { status: 503, body: { error: '"loading" is not ready on any page (loading)' }, retryAfter: '2' });
    const broken = await post(`${f.url}/models/broken/query`, { x: 1 });
    assert.deepEqual(broken, { status: 503, body: { error: '"broken" is not ready on any page (failed: the weights did not load)' }, retryAfter: '2' });
  });

  it('503 busy with Retry-After past --max-queue; the waiting ones are answered once released', async () => {
    const held = Array.from({ length: 4 }, (_, i) => post(`${f.url}/models/echo/query`, { x: i, act: 'hold' }));
    await waitHeld(4);
    const busy = await post(`${f.url}/models/echo/query`, { x: 9 });
    assert.equal(busy.status, 503);
    assert.equal(busy.retryAfter, '1');
    assert.equal(busy.body.error, '"echo" has 4 queries waiting, the most allowed (--max-queue); retry shortly');
    // Another model has a queue of its own.
    assert.equal((await post(`${f.url}/models/mirror/query`, JPEG, 'image/jpeg')).status, 200);
    f.page.release((h) => h.reverse());
    assert.deepEqual((await Promise.all(held)).map((r) => [r.status, r.body.y]), [[200, 0], [200, 1], [200, 2], [200, 3]]);
    assert.equal((await post(`${f.url}/models/echo/query`, { x: 9 })).status, 200);
  });

  it('503 busy with Retry-After past --max-client-queue for one connection (pipelined requests); another connection is served', async () => {
    const { answers } = pipelined(f.url, '/models/echo/query', [{ x: 1, act: 'hold' }, { x: 2, act: 'hold' }, { x: 3, act: 'hold' }]);
    await waitHeld(2);
    // Only two reached the page; meanwhile another client is served.
    assert.deepEqual(await post(`${f.url}/models/echo/query`, { x: 4 }), { status: 200, body: { y: 4 }, retryAfter: null });
    f.page.release();
    const [a, b, c] = await answers;
    assert.deepEqual([a!.status, a!.body], [200, { y: 1 }]);
    assert.deepEqual([b!.status, b!.body], [200, { y: 2 }]);
    assert.equal(c!.status, 503);
    assert.match(c!.headers, /^retry-after: 1$/im);
    assert.match(c!.body.error, /^this client has 2 queries waiting, the most allowed for one client \(--max-client-queue\)/);
  });

  it('504 when the page does not answer within --timeout; /error says so until a query succeeds', async () => {
    const res = await post(`${f.url}/query`, { x: 1, act: 'never' });
    assert.deepEqual(res, { status: 504, body: { error: '"echo" did not answer within 1 s (--timeout)' }, retryAfter: null });
    assert.deepEqual((await get(`${f.url}/error`)).body, { error: '"echo" did not answer within 1 s (--timeout)' });
    assert.equal((await post(`${f.url}/query`, { x: 1 })).status, 200);
    assert.deepEqual((await get(`${f.url}/error`)).body, { error: null });
  });

  it('an error the page answers with keeps its code: each code has its status and the page’s message', async () => {
    const statuses: Record<string, number> = {
      bad_request: 400, not_found: 404, too_large: 413, unavailable: 503, busy: 503, timeout: 504, model_failed: 500,
      // Only the core drops frames, and a page's own code the bridge does not know is a model failure.
      dropped: 500, 'no-such-code': 500,
    };
    // The page's refusals (an input it cannot take, no such thing, its own queue full) are the asker's
    // alone; the rest are the model's failures, which /error shows.
    const refusals = ['bad_request', 'not_found', 'busy'];
    for (const [code, status] of Object.entries(statuses)) {
      assert.equal((await post(`${f.url}/query`, { x: 1 })).status, 200);
      const res = await post(`${f.url}/query`, { x: 1, act: 'fail', code, message: `the page says ${code}` });
      assert.deepEqual([res.status, res.body], [status, { error: `the page says ${code}` }], code);
      assert.deepEqual((await get(`${f.url}/error`)).body, { error: refusals.includes(code) ? null : `the page says ${code}` }, code);
    }
    // A thrown error: an InputError is the query's fault, anything else the model's.
    assert.deepEqual(await post(`${f.url}/query`, { x: 1, act: 'throw', name: 'InputError', message: 'input "x" is odd' }),
      { status: 400, body: { error: 'input "x" is odd' }, retryAfter: null });
    assert.deepEqual(await post(`${f.url}/query`, { x: 1, act: 'throw', message: 'out of memory' }),
      { status: 500, body: { error: 'out of memory' }, retryAfter: null });
  });

  it('the page leaving mid-query fails what it held at once with 503 (not a timeout); it reconnects and serves again', async () => {
    const held = post(`${f.url}/models/mirror/query`, { image: dataUri('astronaut-256.jpg', 'image/jpeg'), act: 'hold' });
    await waitHeld(1);
    const leaving = await post(`${f.url}/query`, { x: 1, act: 'leave' });
    assert.equal(leaving.status, 503);
    assert.match(leaving.body.error, /^the page running "echo" went away before answering \(connection closed, code \d+\); retry once a page is connected$/);
    const other = await held;
    assert.equal(other.status, 503);
    assert.match(other.body.error, /^the page running "mirror" went away before answering/);
    f.page.held.length = 0;
    // Gone (unless it is back already): a model no catalogue lists leaves with its page.
    const meanwhile = await post(`${f.url}/query`, { x: 2 });
    if (meanwhile.status !== 200) assert.deepEqual(meanwhile, { status: 404, body: { error: 'no model is loaded yet, and no --model was given' }, retryAfter: null });
    await f.page.ready(f.bridge.core);
    assert.deepEqual(await post(`${f.url}/query`, { x: 2 }), { status: 200, body: { y: 2 }, retryAfter: null });
  });

  /** Waits until the page holds `n` queries. */
  const waitHeld = (n: number) => until(() => f.page.held.length >= n, 10_000, `${n} queries held by the page`);
});

describe('HTTP without a page', () => {
  let f: FakeBridge;
  before(async () => { f = await startFakeBridge({ pageModels: false, catalogue: [ECHO, MIRROR] }); });
  after(async () => { await f?.close(); });

  it('a catalogue model with no page is 503 with Retry-After; once a page brings it, 200; a page without it, 503 again', async () => {
    assert.deepEqual((await get(`${f.url}/info`)).body, ECHO.info);
    const none = await post(`${f.url}/query`, { x: 1 });
    assert.deepEqual(none, { status: 503, body: { error: 'no page is connected to run "echo": open the page or start the bridge with --headless' }, retryAfter: '2' });
    // Input checks come first, page or no page.
    assert.equal((await post(`${f.url}/query`, { x: 'one' })).status, 400);

    const page = await f.openPage({ models: [ECHO] });
    assert.deepEqual(await post(`${f.url}/query`, { x: 1 }), { status: 200, body: { y: 1 }, retryAfter: null });
    const mirror = await post(`${f.url}/models/mirror/query`, JPEG, 'image/jpeg');
    assert.deepEqual(mirror, { status: 503, body: { error: 'no connected page has loaded "mirror"' }, retryAfter: '2' });
    page.close();
  });
});
