// OSC over UDP against the real bridge and a fake page (no browser), with the `osc` package as client:
// addresses, reply ports and address spaces, every error as `/error` to its sender (or to the clients
// registered from its host), dropped frames that send nothing, the datagram and body limits, timeouts and
// a page leaving; then tools that send and listen on different sockets (Runway's Processing examples,
// Pd, oscsend/oscdump), registrations replaced and expiring, blobs and float ports.
import { after, afterEach, before, describe, it } from 'node:test';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import assert from 'node:assert/strict';
import { CANNED_FACES, ECHO, FAKE_MODELS, PICTURE } from './helpers/fake-page-answers.ts';
import { startFakeBridge, type FakeBridge } from './helpers/fake-page.ts';
import { fixture } from './helpers/fixtures.ts';
import { OscClient, freeUdpPort } from './helpers/osc.ts';
import { sleep, until } from './helpers/wait.ts';

const MAX_BODY = 48 * 1024;
const WAIT_MS = 10_000;
const int = (value: number) => ({ type: 'i' as const, value });

describe('OSC against a fake page', () => {
  let f: FakeBridge;
  const clients: OscClient[] = [];
  const client = async () => {
    const c = await OscClient.open(f.listeners.osc!);
    clients.push(c);
    return c;
  };
  let registered: { c: OscClient; prefix: string }[] = [];
  /** A client connected to an address space ('' or '/models/<id>'), its connect handled. */
  const connected = async (prefix = '') => {
    const c = await client();
    c.send(`${prefix}/server/connect`);
    c.send(`${prefix}/info`);
    await c.nextJson(`${prefix}/info`, WAIT_MS);
    registered.push({ c, prefix });
    return c;
  };
  // Every test starts with nobody registered: errors and answers for a sender go to the clients
  // registered from its host, and every client here is on 127.0.0.1.
  afterEach(async () => {
    for (const { c, prefix } of registered.splice(0)) {
      c.send(`${prefix}/server/disconnect`);
      c.send('/info');
      while ((await c.next('/info', WAIT_MS)).address !== '/info');
    }
  });
  /** Nothing else came before: the next reply is the answer to an /info sent now. */
  const nothingElse = async (c: OscClient) => {
    c.send('/info');
    const m = await c.next('/info', WAIT_MS);
    assert.equal(m.address, '/info', `expected nothing before /info, got ${m.address} ${JSON.stringify(m.args).slice(0, 200)}`);
  };
  // --model names the default model: one only a page holds would stop being the default while no page
  // has it, and the default address space would not hear of the failures its page's leaving caused.
  before(async () => { f = await startFakeBridge({ maxBody: MAX_BODY, timeout: 1, model: 'echo' }); });
  after(async () => {
    for (const c of clients) c.close();
    await f?.close();
  });

  it('/info answers the sender with the default model’s info as one JSON string; /models/<id>/info with its prefix; i <port> elsewhere', async () => {
    const c = await client();
    const other = await client();
    c.send('/info');
    const m = await c.next('/info', WAIT_MS);
    assert.deepEqual(m, { address: '/info', args: [JSON.stringify(ECHO.info)] });
    c.send('/models/picture/info');
    assert.deepEqual(await c.nextJson('/models/picture/info', WAIT_MS), PICTURE.info);
    c.send('/info', int(other.port));
    assert.deepEqual(await other.nextJson('/info', WAIT_MS), ECHO.info);
    await nothingElse(c);
  });

  it('/query: an unconnected sender gets its own /data; connected clients of the model’s spaces get every output, once', async () => {
    const asker = await client();
    asker.send('/query', JSON.stringify({ x: 1 }));
    assert.deepEqual(await asker.nextJson('/data', WAIT_MS), { y: 1 });

    const byDefault = await connected();
    const echo = await connected('/models/echo');
    const mirror = await connected('/models/mirror');
    byDefault.send('/query', JSON.stringify({ x: 2 }));
    assert.deepEqual(await byDefault.nextJson('/data', WAIT_MS), { y: 2 });
    assert.deepEqual(await echo.nextJson('/models/echo/data', WAIT_MS), { y: 2 });
    echo.send('/models/echo/query', JSON.stringify({ x: 3 }));
    assert.deepEqual(await echo.nextJson('/models/echo/data', WAIT_MS), { y: 3 });
    assert.deepEqual(await byDefault.nextJson('/data', WAIT_MS), { y: 3 });
    // An HTTP query's output reaches them too.
    await fetch(`${f.url}/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"x": 4}' });
    assert.deepEqual(await byDefault.nextJson('/data', WAIT_MS), { y: 4 });
    assert.deepEqual(await echo.nextJson('/models/echo/data', WAIT_MS), { y: 4 });
    for (const c of [asker, byDefault, echo, mirror]) await nothingElse(c);

    // /server/disconnect stops them; the sender then hears its own query's answer only.
    byDefault.send('/server/disconnect');
    byDefault.send('/query', JSON.stringify({ x: 5 }));
    assert.deepEqual(await byDefault.nextJson('/data', WAIT_MS), { y: 5 });
    assert.deepEqual(await echo.nextJson('/models/echo/data', WAIT_MS), { y: 5 });
    echo.send('/models/echo/server/disconnect');
    await nothingElse(byDefault);
    await fetch(`${f.url}/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"x": 6}' });
    await nothingElse(echo);
  });

  it('/server/connect i <port> sends to that port (as oscsend and oscdump need), and only there', async () => {
    const sender = await client();
    const listener = await client();
    sender.send('/server/connect', int(listener.port));
    sender.send('/info', int(listener.port));
    await listener.nextJson('/info', WAIT_MS);
    sender.send('/query', JSON.stringify({ x: 7 }));
    assert.deepEqual(await listener.nextJson('/data', WAIT_MS), { y: 7 });
    // A bad query's error goes where the answers go: the sender's port hears neither.
    sender.send('/query', int(7));
    assert.deepEqual(await listener.nextJson('/error', WAIT_MS), { error: '/query takes one argument: s (the input JSON) or b (a JPEG or PNG image); got i' });
    await nothingElse(sender);
    sender.send('/server/disconnect', int(listener.port));
    sender.send('/query', JSON.stringify({ x: 8 }));
    assert.deepEqual(await sender.nextJson('/data', WAIT_MS), { y: 8 });
    await nothingElse(listener);
  });

  it('image outputs are data URIs in the /data JSON', async () => {
    const c = await client();
    const jpeg = fixture('astronaut-256.jpg');
    c.send('/models/mirror/query', JSON.stringify({ image: jpeg.toString('base64') }));
    assert.deepEqual(await c.nextJson('/models/mirror/data', WAIT_MS), { image: `data:image/jpeg;base64,${jpeg.toString('base64')}` });
  });

  it('/query b <JPEG or PNG bytes> is a query with that image as the model’s first image input', async () => {
    const c = await client();
    const jpeg = fixture('astronaut-256.jpg');
    c.send('/models/picture/query', { type: 'b', value: new Uint8Array(jpeg) });
    assert.deepEqual(await c.nextJson('/models/picture/data', WAIT_MS), { faces: CANNED_FACES, received: jpeg.byteLength });
    c.send('/models/mirror/query', { type: 'b', value: new Uint8Array(jpeg) });
    assert.deepEqual(await c.nextJson('/models/mirror/data', WAIT_MS), { image: `data:image/jpeg;base64,${jpeg.toString('base64')}` });
    const page = f.page.queries.at(-1)!;
    assert.equal(page.model, 'mirror');
    assert.deepEqual(Buffer.from(page.inputs.image as Uint8Array), jpeg, 'the page got the bytes as sent');
  });

  it('errors go to the sender as <prefix>/error {error}: arguments, JSON, inputs, models, addresses, reply ports', async () => {
    const c = await client();
    const ids = FAKE_MODELS.map((m) => m.id).join(', ');
    const takes = '/query takes one argument: s (the input JSON) or b (a JPEG or PNG image); got ';
    const cases: [() => void, string, string][] = [
      [() => c.send('/query'), '/error', `${takes}nothing`],
      [() => c.send('/query', 42), '/error', `${takes}f`],
      [() => c.send('/query', int(42), 1.5), '/error', `${takes}i f`],
      [() => c.send('/query', '{"x": 1}', '{"x": 2}'), '/error', `${takes}s s`],
      [() => c.send('/query', { type: 'b', value: new Uint8Array([1, 2, 3]) }), '/error', '"echo" takes no image input; send /query s <the input JSON>'],
      [() => c.send('/models/picture/query', { type: 'b', value: new Uint8Array([1, 2, 3]) }), '/models/picture/error', 'input "image" does not decode as an image (3 bytes, neither JPEG, PNG, GIF, WebP nor BMP)'],
      [() => c.send('/models/echo/query', '{"x": '), '/models/echo/error', 'the argument of /models/echo/query is not JSON ('],
      [() => c.send('/query', '{"x": "one"}'), '/error', 'input "x" must be number: expected a number'],
      [() => c.send('/query', '[1]'), '/error', 'the query must be a JSON object of inputs ("x")'],
      [() => c.send('/models/nope/query', '{"x": 1}'), '/models/nope/error', `no model "nope" (models: ${ids})`],
      [() => c.send('/models/nope/server/connect'), '/models/nope/error', `no model "nope" (models: ${ids})`],
      [() => c.send('/models/nope/info'), '/models/nope/error', `no model "nope" (models: ${ids})`],
      [() => c.send('/models/loading/query', '{"x": 1}'), '/models/loading/error', '"loading" is not ready on any page (loading)'],
      [() => c.send('/data'), '/error', 'unknown OSC address /data: use /server/connect, /server/disconnect, /query, /info, or the same under /models/<id>/'],
      [() => c.send('/models/echo/other'), '/error', 'unknown OSC address /models/echo/other: use /server/connect, /server/disconnect, /query, /info, or the same under /models/<id>/'],
      [() => c.send('/info', '57200'), '/error', '/info: the optional argument is the port to reply to, i or f, a whole number 1-65535 (got s "57200")'],
      [() => c.send('/server/connect', int(70_000)), '/error', '/server/connect: the optional argument is the port to reply to, i or f, a whole number 1-65535 (got i 70000)'],
      [() => c.send('/server/connect', 9000.5), '/error', '/server/connect: the optional argument is the port to reply to, i or f, a whole number 1-65535 (got f 9000.5)'],
      [() => c.send('/server/connect', int(9000), 'xml'), '/error', '/server/connect takes an optional port to reply to (i or f, a whole number 1-65535), then optionally s "numeric" (numbers instead of JSON; then optionally the slot count, i or f, a whole number 0 or more) or s "json"; got i 9000 s "xml"'],
    ];
    for (const [send, address, error] of cases) {
      send();
      const got = await c.nextJson(address, WAIT_MS);
      assert.ok(typeof got.error === 'string' && got.error.startsWith(error), `${address}: ${got.error} should start with ${error}`);
      if (!error.endsWith('(')) assert.equal(got.error, error);
    }
    await nothingElse(c);
  });

  it('a failure reaches the connected clients as /error; a page’s error code, a timeout and a page leaving keep their messages', async () => {
    const c = await client();
    // Nobody registered from its host: the sender hears its own failure.
    c.send('/query', JSON.stringify({ x: 1, act: 'fail', code: 'model_failed', message: 'page: alone' }));
    assert.deepEqual(await c.nextJson('/error', WAIT_MS), { error: 'page: alone' });
    // A client registered from its host hears it instead, once; the sender's port hears nothing.
    const watcher = await connected();
    for (const code of ['bad_request', 'model_failed', 'busy', 'dropped']) {
      c.send('/query', JSON.stringify({ x: 1, act: 'fail', code, message: `page: ${code}` }));
      assert.deepEqual(await watcher.nextJson('/error', WAIT_MS), { error: `page: ${code}` });
    }
    c.send('/query', JSON.stringify({ x: 1, act: 'never' }));
    assert.deepEqual(await watcher.nextJson('/error', WAIT_MS), { error: '"echo" did not answer within 1 s (--timeout)' });
    c.send('/query', JSON.stringify({ x: 1, act: 'leave' }));
    assert.match((await watcher.nextJson('/error', WAIT_MS)).error, /^the page running "echo" went away before answering/);
    await f.page.ready(f.bridge.core);
    await nothingElse(watcher);
    await nothingElse(c);
  });

  it('latest wins: a /query replaced while the model is busy gets no reply at all', async () => {
    const c = await client();
    for (const x of [1, 2, 3]) c.send('/query', JSON.stringify({ x, act: 'hold' }));
    await until(() => f.page.held.length === 1, WAIT_MS, 'the first frame with the page');
    // Wait until the bridge has read all three (it counts the drop), then let the page answer.
    await until(async () => ((await (await fetch(`${f.url}/health`)).json()) as any).models.find((m: any) => m.id === 'echo').dropped >= 1, WAIT_MS, 'the drop');
    f.page.release();
    await until(() => f.page.held.length === 1, WAIT_MS, 'the newest frame with the page');
    assert.equal(f.page.held[0]!.inputs.x, 3);
    f.page.release();
    assert.deepEqual(await c.nextJson('/data', WAIT_MS), { y: 1 });
    assert.deepEqual(await c.nextJson('/data', WAIT_MS), { y: 3 });
    await nothingElse(c);
    assert.deepEqual(await (await fetch(`${f.url}/error`)).json(), { error: null });
  });

  it(`a datagram over --max-body (${MAX_BODY} bytes) or one that is no OSC is dropped unanswered, and logged`, async () => {
    const c = await client();
    c.send('/query', JSON.stringify({ x: 1, pad: 'a'.repeat(MAX_BODY) }));
    c.sendRaw(Buffer.from('this is no OSC packet'));
    await nothingElse(c);
    await until(() => f.log.warnings.some((w) => /^osc: dropped a malformed datagram from 127\.0\.0\.1:\d+: /.test(w)), WAIT_MS, 'the malformed datagram logged');
    assert.ok(f.log.warnings.some((w) => new RegExp(`^osc: dropped a datagram of \\d+ bytes from 127\\.0\\.0\\.1:${c.port}, over the limit of ${MAX_BODY} \\(--max-body\\)$`).test(w)),
      f.log.warnings.join('\n'));
    assert.equal(f.page.queries.filter((q) => q.inputs.pad !== undefined).length, 0, 'the page never saw it');
  });

  it('an output larger than one datagram is an /error naming HTTP and TCP, to the asker and the connected, never truncated', async () => {
    const c = await client();
    const big = JSON.stringify({ x: 1, act: 'big', bytes: 66_000 });
    // The asker (nobody registered from its host), then a connected client (an HTTP query's output).
    const asked = async () => { c.send('/query', big); return c; };
    const watched = async () => {
      const watcher = await connected();
      await fetch(`${f.url}/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: big });
      return watcher;
    };
    for (const [get, what] of [[asked, 'the asker'], [watched, 'a connected client']] as const) {
      const who = await get();
      const { error } = await who.nextJson('/error', WAIT_MS);
      assert.match(error, /^the output is \d+ bytes, too large for OSC \(one UDP datagram holds at most 65000\); use HTTP \(POST \/query, GET \/data\) or TCP for outputs this large$/, what);
      assert.ok(Number(/is (\d+) bytes/.exec(error)![1]) > 66_000);
    }
    // It was an output, not a failure: HTTP has it.
    assert.equal(((await (await fetch(`${f.url}/data`)).json()) as any).pad.length, 66_000);
  });

  it('at most 256 clients in one address space; the next gets /error until one leaves', async () => {
    const c = await client();
    const before = ((await (await fetch(`${f.url}/health`)).json()) as any).clients.osc ?? 0;
    // Reply ports stand for clients: 256 of them, from one socket, 32 at a time (a burst of datagrams
    // past the socket's receive buffer would be lost on the way).
    const each = async (from: number, to: number, address: string) => {
      for (let port = from; port < to; port++) {
        c.send(address, int(port));
        if (port % 32 === 31) { c.send('/models/broken/info'); await c.nextJson('/models/broken/info', WAIT_MS); }
      }
    };
    await each(40_000, 40_256, '/models/broken/server/connect');
    c.send('/models/broken/server/connect');
    const { error } = await c.nextJson('/models/broken/error', WAIT_MS);
    assert.equal(error, '256 OSC clients are connected to /models/broken already, the most allowed; send /server/disconnect from one first');
    assert.equal(((await (await fetch(`${f.url}/health`)).json()) as any).clients.osc, before + 256);
    c.send('/models/broken/server/disconnect', int(40_000));
    c.send('/models/broken/server/connect');
    c.send('/models/broken/info');
    assert.deepEqual(await c.nextJson('/models/broken/info', WAIT_MS), FAKE_MODELS.find((m) => m.id === 'broken')!.info);
    await each(40_001, 40_256, '/models/broken/server/disconnect');
    c.send('/models/broken/server/disconnect');
    await until(async () => (((await (await fetch(`${f.url}/health`)).json()) as any).clients.osc ?? 0) === before, WAIT_MS, 'every client gone');
  });
});


// Tools as they are: Runway's Processing examples listen on Runway's reply port and send from another
// socket; Pd, Max and oscsend/oscdump send from one socket and listen on another, given as a port
// (Pd's as a float). Each test's sockets are "sender" and "listener" apart.
describe('OSC with tools that send and listen on different sockets', () => {
  let f: FakeBridge;
  let runwayPort: number;
  let sockets: OscClient[] = [];
  /** A socket on a free port, or on `port`: a tool's sender or its listener. */
  const tool = async (local: { address?: string; port?: number } = {}) => {
    const c = await OscClient.open(f.listeners.osc!, local);
    sockets.push(c);
    return c;
  };
  /** Every datagram `c` sent before has been handled once its /info is answered (at its own port). */
  const handled = async (c: OscClient) => {
    c.send('/info');
    const m = await c.next('/info', WAIT_MS);
    assert.equal(m.address, '/info', `expected nothing before /info, got ${m.address} ${JSON.stringify(m.args).slice(0, 200)}`);
  };
  const oscClients = async () => (((await (await fetch(`${f.url}/health`)).json()) as any).clients.osc ?? 0) as number;
  const httpQuery = (x: number) => fetch(`${f.url}/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ x }) });

  before(async () => {
    // Runway's reply port, 57200 by default: a free one here, so that no real listener on 57200 is disturbed.
    runwayPort = await freeUdpPort();
    f = await startFakeBridge({ model: 'echo', oscReplyPort: runwayPort });
  });
  afterEach(() => {
    for (const c of sockets) c.close();
    sockets = [];
  });
  after(async () => { await f?.close(); });

  it('Runway’s 2018 Processing examples: /server/connect without a port reaches the reply port too; a re-run replaces its registration; a disconnect from yet another socket finds it', async () => {
    const sketch = await tool({ port: runwayPort }); // new OscP5(this, 57200)
    const before = await oscClients();
    const run1 = await tool(); // oscP5 0.9.9 sends from a port of its own
    run1.send('/server/connect');
    run1.send('/query', JSON.stringify({ x: 1 }));
    assert.deepEqual(await sketch.nextJson('/data', WAIT_MS), { y: 1 });
    assert.deepEqual(await run1.nextJson('/data', WAIT_MS), { y: 1 }, 'the source port is still one of its ports');
    assert.equal(await oscClients(), before + 1);

    // Run again twice, each time from a new socket, the old run's disconnect never sent.
    const run2 = await tool();
    run2.send('/server/connect');
    await handled(run2);
    const run3 = await tool();
    run3.send('/server/connect');
    await handled(run3);
    assert.equal(await oscClients(), before + 1, 'one registration, not three');
    run3.send('/query', JSON.stringify({ x: 2 }));
    assert.deepEqual(await sketch.nextJson('/data', WAIT_MS), { y: 2 });
    assert.deepEqual(await run3.nextJson('/data', WAIT_MS), { y: 2 });
    for (const c of [sketch, run1, run2, run3]) await handled(c);

    // The sketch's /server/disconnect leaves from yet another port: the reply port finds the registration.
    const quit = await tool();
    quit.send('/server/disconnect');
    await handled(quit);
    assert.equal(await oscClients(), before);
    await httpQuery(3);
    for (const c of [sketch, run3]) await handled(c);
    assert.ok(f.log.infos.some((l) => l === `osc: 127.0.0.1:${run3.port}+${runwayPort} connected to the default model, replacing 127.0.0.1:${run2.port}+${runwayPort}`), f.log.infos.join('\n'));
  });

  it('a sketch that sends from the reply port itself (Runway’s library, SRSP) is one destination: each reply once', async () => {
    const sketch = await tool({ port: runwayPort });
    sketch.send('/server/connect');
    sketch.send('/query', JSON.stringify({ x: 4 }));
    assert.deepEqual(await sketch.nextJson('/data', WAIT_MS), { y: 4 });
    await handled(sketch);
    sketch.send('/server/disconnect');
    await handled(sketch);
  });

  it('Pd’s [oscformat] sends the port as a float: /server/connect f <port> and /info f <port>; a patch opened again replaces its registration', async () => {
    const before = await oscClients();
    const netreceive = await tool();
    const netsend = await tool();
    netsend.send('/server/connect', netreceive.port); // the test client sends plain numbers as f
    netsend.send('/info', netreceive.port);
    assert.deepEqual(await netreceive.nextJson('/info', WAIT_MS), ECHO.info);
    await httpQuery(5);
    assert.deepEqual(await netreceive.nextJson('/data', WAIT_MS), { y: 5 });
    const again = await tool(); // the patch opened again: a new [netsend], the same [netreceive] port
    again.send('/server/connect', netreceive.port);
    await handled(again);
    assert.equal(await oscClients(), before + 1);
    await httpQuery(6);
    assert.deepEqual(await netreceive.nextJson('/data', WAIT_MS), { y: 6 });
    await handled(netreceive);
    again.send('/server/disconnect', netreceive.port);
    await handled(again);
    assert.equal(await oscClients(), before);
  });

  it('re-runs never reach the limit of 256: 300 runs, each connecting without a port from a new socket, leave one registration', async () => {
    const sketch = await tool({ port: runwayPort });
    const before = await oscClients();
    for (let run = 0; run < 300; run++) {
      const c = await OscClient.open(f.listeners.osc!);
      c.send('/models/broken/server/connect');
      // Now and then wait until the bridge has read them: a burst past its receive buffer would be lost.
      if (run % 32 === 31) await handled(c);
      c.close();
    }
    await handled(sketch);
    assert.equal(await oscClients(), before + 1);
    // A full space would have answered the last runs' connects with /error at the reply port: nothing came.
    sketch.send('/models/broken/server/disconnect');
    await handled(sketch);
    assert.equal(await oscClients(), before);
  });

  it('Pd, Max, oscsend/oscdump: answers and errors for a sender reach the client registered from its host, once; never the sender’s port', async () => {
    const netreceive = await tool();
    const netsend = await tool();
    netsend.send('/server/connect', netreceive.port);
    netsend.send('/info', netreceive.port);
    await netreceive.nextJson('/info', WAIT_MS);
    netsend.send('/query', JSON.stringify({ x: 8 }));
    assert.deepEqual(await netreceive.nextJson('/data', WAIT_MS), { y: 8 });
    const errors: [() => void, string, string][] = [
      [() => netsend.send('/query', int(1), 2.5), '/error', '/query takes one argument: s (the input JSON) or b (a JPEG or PNG image); got i f'],
      [() => netsend.send('/query', '{"x": '), '/error', 'the argument of /query is not JSON ('],
      [() => netsend.send('/query', JSON.stringify({ x: 'one' })), '/error', 'input "x" must be number: expected a number'],
      [() => netsend.send('/nope'), '/error', 'unknown OSC address /nope: use /server/connect, /server/disconnect, /query, /info, or the same under /models/<id>/'],
      [() => netsend.send('/info', 'nine'), '/error', '/info: the optional argument is the port to reply to, i or f, a whole number 1-65535 (got s "nine")'],
      [() => netsend.send('/server/disconnect', 1.5), '/error', '/server/disconnect: the optional argument is the port to reply to, i or f, a whole number 1-65535 (got f 1.5)'],
    ];
    for (const [send, address, error] of errors) {
      send();
      const got = await netreceive.nextJson(address, WAIT_MS);
      assert.ok(got.error.startsWith(error), `${got.error} should start with ${error}`);
    }
    await handled(netsend); // its port heard nothing but the answer to this /info
    await handled(netreceive);

    // Another model's space has no client from this host: there the sender's port hears its own.
    netsend.send('/models/picture/query', JSON.stringify({ image: 42 }));
    assert.deepEqual(await netsend.nextJson('/models/picture/error', WAIT_MS), { error: 'input "image" must be a string: expected an image (a JPEG or PNG data URI, or base64)' });
    netsend.send('/server/disconnect', netreceive.port);
    await handled(netsend);
  });

  it('liblo’s oscsend and oscdump: /server/connect f <port>, then a good and a bad /query: oscdump prints each reply once', async () => {
    const dumpPort = await freeUdpPort();
    const dump = spawn('oscdump', ['-L', String(dumpPort)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    dump.stdout.on('data', (chunk) => { out += chunk; });
    const failed = new Promise<never>((_, reject) => dump.on('error', (err) => reject(new Error(`oscdump: ${err.message} (apt-get install liblo-tools)`))));
    const oscsend = (...args: string[]) => promisify(execFile)('oscsend', ['127.0.0.1', new URL(f.listeners.osc!).port, ...args]);
    // oscdump's lines: "<time tag> <address> <types> <args>", a string in double quotes, unescaped.
    const lines = (address: string) => out.split('\n').filter((l) => l.split(' ')[1] === address);
    try {
      // Until oscdump listens, replies to it are lost: ask for /info until one arrives.
      await Promise.race([failed, until(async () => {
        await oscsend('/info', 'f', String(dumpPort));
        await sleep(100);
        return lines('/info').length;
      }, WAIT_MS, 'oscdump to print /info')]);
      await oscsend('/server/connect', 'f', String(dumpPort));
      await oscsend('/query', 's', JSON.stringify({ x: 10 }));
      await oscsend('/query', 'i', '10');
      await until(() => lines('/data').length && lines('/error').length, WAIT_MS, 'oscdump to print /data and /error');
      await oscsend('/server/disconnect', 'f', String(dumpPort));
      await oscsend('/info', 'f', String(dumpPort)); // the last reply: the ones before it have come
      await until(() => lines('/info').length >= 2, WAIT_MS, 'oscdump to print the second /info');
    } finally {
      dump.kill();
    }
    const json = (line: string) => JSON.parse(/ s "(.*)"$/.exec(line)![1]!);
    assert.deepEqual(lines('/data').map(json), [{ y: 10 }]);
    assert.deepEqual(lines('/error').map(json), [{ error: '/query takes one argument: s (the input JSON) or b (a JPEG or PNG image); got i' }]);
  });

  it('a sender from a host with no client registered gets its own answers and errors at its source port', async (t) => {
    const netreceive = await tool();
    const netsend = await tool();
    netsend.send('/server/connect', int(netreceive.port));
    await handled(netsend);
    // 127.0.0.2 is another host on Linux's loopback; elsewhere it may not be there.
    const other = await tool({ address: '127.0.0.2' }).catch(() => undefined);
    if (!other) {
      t.skip('no second loopback address (127.0.0.2) here');
    } else {
      other.send('/query', JSON.stringify({ x: 9 }));
      assert.deepEqual(await other.nextJson('/data', WAIT_MS), { y: 9 });
      assert.deepEqual(await netreceive.nextJson('/data', WAIT_MS), { y: 9 }, 'every output reaches every client');
      other.send('/query');
      assert.deepEqual(await other.nextJson('/error', WAIT_MS), { error: '/query takes one argument: s (the input JSON) or b (a JPEG or PNG image); got nothing' });
      await handled(other);
      await handled(netreceive); // another host's argument error is not its business
    }
    netsend.send('/server/disconnect', int(netreceive.port));
    await handled(netsend);
  });

  it('/server/connect i <port> s numeric [i <slots>]: outputs as small numeric messages (their sizes: osc-numeric.test.ts)', async () => {
    const listener = await tool();
    const sender = await tool();
    sender.send('/server/connect', int(listener.port), 'numeric');
    sender.send('/models/picture/server/connect', int(listener.port), 'numeric', int(2));
    await handled(sender);
    assert.ok(f.log.infos.includes(`osc: 127.0.0.1:${listener.port} (numeric) connected to the default model`), f.log.infos.join('\n'));
    // The default model's space: /<model>/<output>.
    await httpQuery(7);
    const y = await listener.next('/echo/y', WAIT_MS);
    assert.deepEqual(y, { address: '/echo/y', args: [7] });
    // A model's own space: /models/<model>/<output>/…, lists of entries as count and indexed entries,
    // two slots with the empty one zeroed as the real one is shaped.
    const jpeg = fixture('astronaut-256.jpg');
    const res = await fetch(`${f.url}/models/picture/query`, { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: jpeg });
    assert.equal(res.status, 200);
    const got: Record<string, unknown[]> = {};
    while (!('/models/picture/received' in got)) {
      const m = await listener.next('the numeric outputs of picture', WAIT_MS);
      got[m.address] = m.args;
    }
    const face = CANNED_FACES[0]!;
    const close = (a: unknown[], b: number[]) => assert.ok(a.length === b.length && a.every((v, i) => Math.abs((v as number) - b[i]!) < 1e-6), `${a} ≠ ${b}`);
    assert.deepEqual(got['/models/picture/faces/count'], [1]);
    close(got['/models/picture/faces/0/box']!, face.box);
    close(got['/models/picture/faces/0/score']!, [face.score]);
    close(got['/models/picture/faces/0/keypoints']!, face.keypoints.flat());
    assert.deepEqual(got['/models/picture/faces/1/box'], [0, 0, 0, 0]);
    assert.deepEqual(got['/models/picture/faces/1/score'], [0]);
    assert.deepEqual(got['/models/picture/received'], [jpeg.byteLength]);
    assert.ok(Object.values(got).every((args) => args.every((v) => typeof v === 'number')), 'numbers only');
    sender.send('/server/disconnect', int(listener.port));
    sender.send('/models/picture/server/disconnect', int(listener.port));
    await handled(sender);
  });
});

describe('OSC registrations over time (--osc-client-ttl), and --osc-numeric', () => {
  const TTL_S = 1;
  let f: FakeBridge;
  let sockets: OscClient[] = [];
  const tool = async () => {
    const c = await OscClient.open(f.listeners.osc!);
    sockets.push(c);
    return c;
  };
  const oscClients = async () => (((await (await fetch(`${f.url}/health`)).json()) as any).clients.osc ?? 0) as number;
  before(async () => { f = await startFakeBridge({ model: 'echo', oscClientTtl: TTL_S, oscNumeric: true }); });
  after(async () => {
    for (const c of sockets) c.close();
    await f?.close();
  });

  it('a registration lives while its host sends anything, from any socket, and expires after the TTL without', async () => {
    const listener = await tool();
    const sender = await tool();
    const other = await tool();
    sender.send('/server/connect', int(listener.port), 'json');
    sender.send('/info', int(listener.port));
    await listener.nextJson('/info', WAIT_MS);
    assert.equal(await oscClients(), 1);
    // Three TTLs of datagrams from another socket of the same host, a malformed one among them.
    for (let i = 0; i < 15; i++) {
      if (i === 7) other.sendRaw(Buffer.from('no OSC'));
      else other.send('/info');
      await sleep(TTL_S * 1000 / 5);
    }
    assert.equal(await oscClients(), 1, 'still registered');
    await fetch(`${f.url}/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"x": 1}' });
    assert.deepEqual(await listener.nextJson('/data', WAIT_MS), { y: 1 });
    // Silence: it expires.
    await until(async () => (await oscClients()) === 0, WAIT_MS, 'the registration to expire');
    assert.ok(f.log.infos.includes(`osc: 127.0.0.1:${listener.port} expired from the default model: nothing came from 127.0.0.1 for ${TTL_S} s (--osc-client-ttl)`), f.log.infos.join('\n'));
    await fetch(`${f.url}/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"x": 2}' });
    listener.send('/info');
    assert.equal((await listener.next('/info', WAIT_MS)).address, '/info', 'no /data after it expired');
  });

  it('--osc-numeric makes numeric the default; s json asks for JSON', async () => {
    const listener = await tool();
    const sender = await tool();
    sender.send('/server/connect', int(listener.port));
    sender.send('/models/echo/server/connect', int(listener.port), 'json');
    sender.send('/info', int(listener.port));
    await listener.nextJson('/info', WAIT_MS);
    assert.ok(f.log.infos.includes(`osc: 127.0.0.1:${listener.port} (numeric) connected to the default model`), f.log.infos.join('\n'));
    assert.ok(f.log.infos.includes(`osc: 127.0.0.1:${listener.port} connected to /models/echo`), f.log.infos.join('\n'));
  });
});
