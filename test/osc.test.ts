// OSC (Runway's OSC server) end to end: the `osc` package and liblo's oscsend/oscdump as clients → bridge →
// relay → headless page; plus the pure parts (addresses, reply ports, the datagram size guard).
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import osc from 'osc';
import { MAX_DATAGRAM_BYTES, OSC_ADDRESSES, connectArgs, encodeReply, parseAddress, queryInput, replyPort } from '../bridge/protocols/osc/index.ts';
import { dataUri, startHarness, until, type Harness } from './helpers/page.ts';
import { OscClient, freeUdpPort } from './helpers/osc.ts';
import { assertFaces } from './helpers/assertions.ts';

// 256×256 JPEG of the astronaut: its data URI (~25 KB) fits in one datagram, as an OSC query must.
const FACE_JSON = JSON.stringify({ image: dataUri('astronaut-256.jpg', 'image/jpeg') });
const MAX_BODY = 60_000;

const i = (value: number) => ({ type: 'i', value });
const f = (value: number) => ({ type: 'f', value });
const s = (value: string) => ({ type: 's', value });
const decode = (bytes: Uint8Array) => osc.readPacket(bytes, { metadata: false }) as { address: string; args: unknown[] };

describe('OSC addresses and replies (pure)', () => {
  it('parses the default model’s addresses and /models/<id>/…', () => {
    assert.deepEqual(parseAddress('/query'), { model: undefined, prefix: '', action: 'query' });
    assert.deepEqual(parseAddress('/info'), { model: undefined, prefix: '', action: 'info' });
    assert.deepEqual(parseAddress('/server/connect'), { model: undefined, prefix: '', action: 'connect' });
    assert.deepEqual(parseAddress('/server/disconnect'), { model: undefined, prefix: '', action: 'disconnect' });
    assert.deepEqual(parseAddress('/models/face-detection/query'), { model: 'face-detection', prefix: '/models/face-detection', action: 'query' });
    assert.deepEqual(parseAddress('/models/x/server/connect'), { model: 'x', prefix: '/models/x', action: 'connect' });
    for (const bad of ['/data', '/error', '/quer', '/query/', '/models/query', '/models//query', '/models/a/b/query', 'query', '']) {
      assert.equal(parseAddress(bad), undefined, bad);
    }
  });

  it('takes the reply port from an optional first argument, i or a whole f (as Pd sends it), else none', () => {
    assert.equal(replyPort([]), undefined);
    assert.equal(replyPort([i(57200)]), 57200);
    assert.equal(replyPort([f(9000)]), 9000);
    assert.equal(replyPort([i(9000), s('numeric')]), 9000);
    assert.equal((replyPort([s('57200')]) as { error: string }).error, 'the optional argument is the port to reply to, i or f, a whole number 1-65535 (got s "57200")');
    assert.match((replyPort([i(70_000)]) as { error: string }).error, /\(got i 70000\)$/);
    assert.match((replyPort([f(1.5)]) as { error: string }).error, /\(got f 1\.5\)$/);
  });

  it('reads /server/connect [port] [s numeric [slots] | s json]', () => {
    assert.deepEqual(connectArgs('/server/connect', []), {});
    assert.deepEqual(connectArgs('/server/connect', [f(9000)]), { port: 9000 });
    assert.deepEqual(connectArgs('/server/connect', [i(9000), s('numeric')]), { port: 9000, format: 'numeric' });
    assert.deepEqual(connectArgs('/server/connect', [i(9000), s('numeric'), i(4)]), { port: 9000, format: 'numeric', slots: 4 });
    assert.deepEqual(connectArgs('/server/connect', [s('numeric'), f(0)]), { format: 'numeric', slots: 0 });
    assert.deepEqual(connectArgs('/server/connect', [s('json')]), { format: 'json' });
    for (const bad of [[s('xml')], [i(9000), s('json'), i(4)], [i(9000), s('numeric'), f(1.5)], [i(9000), i(9001)], [s('numeric'), i(1), i(2)]]) {
      assert.match((connectArgs('/server/connect', bad) as { error: string }).error, /^\/server\/connect takes an optional port to reply to \(i or f, a whole number 1-65535\), then optionally s "numeric" .*; got /, JSON.stringify(bad));
    }
    assert.match((connectArgs('/server/connect', [i(9000), i(9001)]) as { error: string }).error, /; got i 9000 i 9001$/);
    assert.equal((connectArgs('/server/connect', [i(0)]) as { error: string }).error, '/server/connect: the optional argument is the port to reply to, i or f, a whole number 1-65535 (got i 0)');
  });

  it('reads /query s <JSON> or b <image>; anything else is an error naming type tags', () => {
    assert.deepEqual(queryInput('/query', [s('{"x": 1}')]), { json: '{"x": 1}' });
    assert.deepEqual(queryInput('/query', [{ type: 'b', value: new Uint8Array([0xff, 0xd8]) }]), { image: new Uint8Array([0xff, 0xd8]) });
    const takes = '/query takes one argument: s (the input JSON) or b (a JPEG or PNG image); got ';
    assert.equal((queryInput('/query', []) as { error: string }).error, `${takes}nothing`);
    assert.equal((queryInput('/query', [i(1), f(2)]) as { error: string }).error, `${takes}i f`);
    assert.equal((queryInput('/query', [[i(1), i(2)], { type: 'T', value: true }]) as { error: string }).error, `${takes}[i i] T`);
  });

  it('takes every form the address list (OSC_ADDRESSES) names, and those forms only for /query', () => {
    const sample = (tag: string, at: number) => (tag === 's' ? s(at === 0 ? 'numeric' : at === 1 ? 'numeric' : '{}') : tag === 'b' ? { type: 'b', value: new Uint8Array([0xff]) } : { type: tag, value: at === 0 ? 9000 : 2 });
    for (const a of OSC_ADDRESSES) {
      for (const form of a.forms) {
        const args = [...form].map((tag, at) => sample(tag, at));
        const read = a.action === 'query' ? queryInput(a.path, args) : a.action === 'info' ? replyPort(args) : connectArgs(a.path, args);
        assert.ok(!(read && typeof read === 'object' && 'error' in read), `${a.path} ${form}: ${JSON.stringify(read)}`);
      }
    }
    assert.deepEqual(OSC_ADDRESSES.find((a) => a.action === 'query')!.forms, ['s', 'b']);
  });

  it('encodes a reply as one JSON string under the prefix', () => {
    assert.deepEqual(decode(encodeReply('', 'data', { a: 1 })), { address: '/data', args: ['{"a":1}'] });
    assert.deepEqual(decode(encodeReply('/models/m', 'error', { error: 'x' })), { address: '/models/m/error', args: ['{"error":"x"}'] });
  });

  it('sends a reply up to the datagram limit, and an /error naming HTTP and TCP beyond it, never truncated', () => {
    // "/data" pads to 8 bytes, ",s" to 4, and a string of n bytes to n+1 rounded up to 4: 64,985 x's
    // in quotes make a packet of exactly MAX_DATAGRAM_BYTES.
    const fits = encodeReply('', 'data', 'x'.repeat(64_985));
    assert.equal(fits.byteLength, MAX_DATAGRAM_BYTES);
    assert.equal(decode(fits).address, '/data');

    const tooBig = encodeReply('', 'data', 'x'.repeat(64_986));
    assert.ok(tooBig.byteLength < 1000);
    const m = decode(tooBig);
    assert.equal(m.address, '/error');
    const { error } = JSON.parse(m.args[0] as string);
    assert.match(error, /^the output is 65004 bytes, too large for OSC \(one UDP datagram holds at most 65000\); use HTTP \(POST \/query, GET \/data\) or TCP/);
    // A model's replies keep their prefix, the error too.
    assert.equal(decode(encodeReply('/models/m', 'data', 'x'.repeat(70_000))).address, '/models/m/error');
  });
});

describe('OSC through the real page', () => {
  let h: Harness;
  let oscUrl: string;
  let clients: OscClient[] = [];
  const client = async () => {
    const c = await OscClient.open(oscUrl);
    clients.push(c);
    return c;
  };
  let registered: { c: OscClient; prefix: string }[] = [];
  /** Connects a client (replies to its own port) and waits until the bridge has registered it. */
  const connected = async (prefix = '') => {
    const c = await client();
    c.send(`${prefix}/server/connect`);
    c.send(`${prefix}/info`); // handled after the connect: its answer means the client is registered
    assert.ok((await c.nextJson(`${prefix}/info`)).inputs);
    registered.push({ c, prefix });
    return c;
  };

  before(async () => {
    h = await startHarness({ socketioPort: 0, oscPort: 0, maxBody: MAX_BODY });
    oscUrl = h.bridge.listeners.osc!;
  });
  // Nobody stays registered: replies meant for a sender go to the clients registered from its host.
  afterEach(async () => {
    for (const { c, prefix } of registered.splice(0)) {
      c.send(`${prefix}/server/disconnect`);
      c.send('/info');
      while ((await c.next('/info')).address !== '/info');
    }
    for (const c of clients) c.close();
    clients = [];
  });
  after(async () => { await h?.close(); });

  it('answers /info with the info JSON, to the asker', async () => {
    const c = await client();
    c.send('/info');
    assert.deepEqual(await c.nextJson('/info'), await (await fetch(`${h.url}/info`)).json());
    c.send('/models/face-detection/info');
    assert.deepEqual(await c.nextJson('/models/face-detection/info'), await (await fetch(`${h.url}/info`)).json());
  });

  it('a connected client gets /data for its /query, and so does every other connected client', async () => {
    const asker = await connected();
    const other = await connected();
    asker.send('/query', FACE_JSON);
    const out = await asker.nextJson('/data');
    assertFaces(out);
    assert.deepEqual(await other.nextJson('/data'), out);
    assert.deepEqual(await (await fetch(`${h.url}/data`)).json(), out);
  });

  it('replies to the port given in /server/connect i <port>, and not also to the sender’s port', async () => {
    const sender = await client();
    const listener = await client();
    sender.send('/server/connect', { type: 'i', value: listener.port });
    sender.send('/query', FACE_JSON);
    assertFaces(await listener.nextJson('/data'));

    sender.send('/query', JSON.stringify({ image: 42 }));
    assert.match((await listener.nextJson('/error')).error, /input "image" must be a string/);
    sender.send('/info');
    assert.ok((await sender.nextJson('/info')).inputs, 'nothing came to the sender’s port before');
    sender.send('/server/disconnect', { type: 'i', value: listener.port });
    sender.send('/query', FACE_JSON);
    assertFaces(await sender.nextJson('/data'));
  });

  it('/server/disconnect stops the replies', async () => {
    const stays = await connected();
    const leaves = await connected();
    leaves.send('/server/disconnect');
    leaves.send('/info');
    await leaves.nextJson('/info');
    stays.send('/query', FACE_JSON);
    assertFaces(await stays.nextJson('/data'));
    // Every reply to `leaves` would have been sent before this /info is even read: the next is the /info.
    leaves.send('/info');
    await leaves.nextJson('/info');
    assert.equal(leaves.pending, 0);
  });

  it('/models/<id>/… addresses one model and its replies carry the prefix; an unknown id is an error', async () => {
    const one = await connected('/models/face-detection');
    const byDefault = await connected();
    one.send('/models/face-detection/query', FACE_JSON);
    const out = await one.nextJson('/models/face-detection/data');
    assertFaces(out);
    assert.deepEqual(await byDefault.nextJson('/data'), out);

    one.send('/models/nope/server/connect');
    assert.match((await one.nextJson('/models/nope/error')).error, /no model "nope" \(models: face-detection, /);
    one.send('/models/nope/query', FACE_JSON);
    assert.match((await one.nextJson('/models/nope/error')).error, /no model "nope"/);
    // An unknown address answers /error, unprefixed: to the host's client of the default model.
    one.send('/elsewhere', 1);
    assert.match((await byDefault.nextJson('/error')).error, /unknown OSC address \/elsewhere/);
  });

  it('unpacks bundles, nested ones too', async () => {
    const c = await connected();
    const bundle = osc.writePacket({
      timeTag: osc.timeTag(0),
      packets: [
        { address: '/info', args: [] },
        { timeTag: osc.timeTag(0), packets: [{ address: '/query', args: [FACE_JSON] }] },
      ],
    }, { metadata: false });
    c.sendRaw(bundle);
    assert.ok((await c.nextJson('/info')).inputs);
    assertFaces(await c.nextJson('/data'));
  });

  it('drops garbage datagrams and keeps serving: every good query is answered, a bad /query gets /error', async () => {
    const c = await connected();
    const connect = osc.writePacket({ address: '/server/connect', args: [{ type: 'i', value: 57200 }] }, { metadata: false });
    const noise = Buffer.alloc(700, 0x5a);
    noise[0] = 0xaa; // neither "/" nor "#": no OSC packet starts so
    const garbage: Uint8Array[] = [
      noise,
      connect.subarray(0, connect.byteLength - 2), // truncated inside its int
      Buffer.concat([Buffer.from('#bundle\0'), Buffer.from([0, 0, 0])]), // truncated time tag
      Buffer.alloc(0),
      Buffer.from('/query\0\0,s\0\0'), // its string is missing: the osc package reads it as "", which is no JSON
    ];
    const good = 3;
    const replies: { address: string; value: any }[] = [];
    const take = async (what: string) => {
      const m = await c.next(what);
      replies.push({ address: m.address, value: JSON.parse(m.args[0] as string) });
      return m.address;
    };
    // A round of garbage, then a good query and its /data (the next good query waits for it: sent
    // sooner, it would replace this one while the model is busy, as live frames do).
    for (let i = 0; i < good; i++) {
      for (const g of garbage) c.sendRaw(g);
      c.send('/query', FACE_JSON);
      while (await take(`the /data of round ${i + 1}`) !== '/data');
    }
    c.send('/query', 'this is {not JSON');
    c.send('/query', 42);
    // 3 data, then per round one "not JSON" for the empty string, plus the two bad queries.
    const expected = good + good + 2;
    while (replies.length < expected) await take(`reply ${replies.length + 1} of ${expected}`);
    const data = replies.filter((r) => r.address === '/data');
    const errors = replies.filter((r) => r.address === '/error').map((r) => r.value.error as string);
    assert.equal(data.length, good, JSON.stringify(replies).slice(0, 500));
    for (const d of data) assertFaces(d.value);
    assert.equal(errors.filter((e) => /the argument of \/query is not JSON/.test(e)).length, good + 1, errors.join('\n'));
    assert.equal(errors.filter((e) => /^\/query takes one argument: s \(the input JSON\) or b \(a JPEG or PNG image\); got f$/.test(e)).length, 1, errors.join('\n'));
    c.send('/info');
    assert.ok((await c.nextJson('/info')).inputs, 'nothing else came before the /info answer');
  });

  it(`drops a datagram over --max-body (${MAX_BODY} bytes) unanswered`, async () => {
    const c = await connected();
    c.send('/query', JSON.stringify({ image: 'A'.repeat(MAX_BODY + 1000) }));
    c.send('/info');
    assert.ok((await c.nextJson('/info')).inputs);
    c.send('/query', FACE_JSON);
    assertFaces(await c.nextJson('/data'));
  });

  it('an output larger than a datagram reaches OSC clients as an /error naming HTTP and TCP, not truncated', async () => {
    const byDefault = await connected();
    const one = await connected('/models/face-detection');
    const face = { box: [0.25, 0.1, 0.3, 0.3], score: 0.9, keypoints: Array.from({ length: 6 }, () => [0.3, 0.2]) };
    const large = { faces: Array.from({ length: 1000 }, () => face) };
    const size = JSON.stringify(large).length;
    assert.ok(size > MAX_DATAGRAM_BYTES);
    // The path the page's own UI outputs take (a webcam frame, a button).
    h.bridge.core.publish('face-detection', large, 'test');
    for (const [c, address] of [[byDefault, '/error'], [one, '/models/face-detection/error']] as const) {
      const { error } = await c.nextJson(address);
      assert.match(error, /^the output is \d+ bytes, too large for OSC .* use HTTP \(POST \/query, GET \/data\) or TCP/);
      assert.ok(Number(/is (\d+) bytes/.exec(error)![1]) > size);
    }
    assert.deepEqual(await (await fetch(`${h.url}/data`)).json(), large);

    h.bridge.core.publish('face-detection', { faces: [face] }, 'test');
    assert.deepEqual(await byDefault.nextJson('/data'), { faces: [face] });
  });

  it('works with liblo’s oscsend and oscdump (/server/connect i <port>, /query, /data)', async () => {
    const port = Number(new URL(oscUrl).port);
    const dumpPort = await freeUdpPort();
    const dump = spawn('oscdump', ['-L', String(dumpPort)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    dump.stdout.on('data', (chunk) => { out += chunk; });
    const failed = new Promise<never>((_, reject) => dump.on('error', (err) => reject(new Error(`oscdump: ${err.message} (apt-get install liblo-tools)`))));
    const oscsend = (...args: string[]) => promisify(execFile)('oscsend', ['127.0.0.1', String(port), ...args]);
    // oscdump's lines: "<time tag> <address> <types> <args>", a string in double quotes, unescaped.
    const line = (address: string) => out.split('\n').find((l) => l.split(' ')[1] === address);
    try {
      // Until oscdump listens, replies to it are lost: ask for /info until one arrives.
      await Promise.race([failed, until(async () => {
        await oscsend('/info', 'i', String(dumpPort));
        await new Promise((r) => setTimeout(r, 100));
        return line('/info');
      }, 20_000, 'oscdump to print /info')]);
      const info = JSON.parse(/ \/info s "(.*)"$/.exec(line('/info')!)![1]!);
      assert.deepEqual(info, await (await fetch(`${h.url}/info`)).json());

      await oscsend('/server/connect', 'i', String(dumpPort));
      await oscsend('/query', 's', FACE_JSON);
      const dataLine = (await until(() => line('/data'), 30_000, 'oscdump to print /data'))!;
      const output = JSON.parse(/ \/data s "(.*)"$/.exec(dataLine)![1]!);
      assertFaces(output);
      assert.deepEqual(output, await (await fetch(`${h.url}/data`)).json());
      await oscsend('/server/disconnect', 'i', String(dumpPort));
    } finally {
      dump.kill();
    }
  });
});

