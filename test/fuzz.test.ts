// Fuzzing each protocol with the real bridge and page: seeded random and mutated messages, a fixed count
// of them (FUZZ_ROUNDS; a slow machine takes longer, it never runs fewer), interleaved with good queries.
// Nothing may crash the bridge, no promise may be left rejected unhandled, and every good query gets its
// answer. Replay a run with FUZZ_SEED=<seed>.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import WebSocket from 'ws';
import osc from 'osc';
import { io } from 'socket.io-client';
import { dataUri, fixture, health, postJson, startHarness, type Harness } from './helpers/page.ts';
import { Fuzzer, fuzzRounds, fuzzSeed } from './helpers/fuzz.ts';
import { assertFaces } from './helpers/assertions.ts';
import { until } from './helpers/wait.ts';
import { OscClient } from './helpers/osc.ts';
import { FrameDecoder, encodeFrame } from '../bridge/protocols/framing.ts';

const ROUNDS = fuzzRounds(300);
/** Generous: the rounds are counted, not timed, so a slow machine takes longer rather than running fewer. */
const LIMIT = { timeout: Math.max(10, ROUNDS / 100) * 60_000 };
/** Waits for the replies a round sent; fails naming how many came, rather than going on with fewer. */
const replies = (count: () => number, expected: number, what: string, seed: number) =>
  until(() => count() >= expected, 60_000, `${expected} ${what} (seed ${seed})`).catch(() => {
    throw new Error(`only ${count()} of ${expected} ${what} came (seed ${seed})`);
  });
const GOOD = { image: dataUri('astronaut.jpg', 'image/jpeg') };

describe('fuzzing', () => {
  let h: Harness;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  before(async () => {
    process.on('unhandledRejection', onUnhandled);
    h = await startHarness({ maxBody: 256 * 1024 });
  });
  after(async () => {
    process.off('unhandledRejection', onUnhandled);
    await h?.close();
  });

  /** A good query must still be answered correctly, whatever came before it. */
  let goods = 0;
  const good = async () => {
    const res = await postJson(`${h.url}/query`, GOOD);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assertFaces(res.body);
    goods++;
  };
  /** The figures of one protocol's run, for docs/reliability.md (`npm run fuzz` runs 10,000 per protocol). */
  const summary = (protocol: string, inputs: number, started: number, goodAnswers = goods) => {
    const { rss } = process.memoryUsage();
    console.log(`fuzz summary: ${protocol}: ${inputs} inputs, ${goodAnswers} good queries interleaved and answered, ` +
      `${((performance.now() - started) / 1000).toFixed(1)} s, RSS of the bridge and its test clients ${(rss / 2 ** 20).toFixed(0)} MiB`);
    goods = 0;
  };

  it('HTTP: random and mutated requests', LIMIT, async () => {
    const seed = fuzzSeed();
    const started = performance.now();
    goods = 0;
    console.log(`# HTTP fuzz seed ${seed}`);
    const f = new Fuzzer(seed);
    const paths = ['/query', '/data', '/error', '/info', '/models', '/models/face-detection/query', '/models/%00/query', '/models/../query', '/health', '/runtime', '/' + 'x'.repeat(3000)];
    const types = ['application/json', 'image/jpeg', 'image/png', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', '', 'application/json; charset=latin1'];
    const statuses = new Map<number, number>();
    const errors = new Set<string>();
    for (let i = 0; i < ROUNDS; i++) {
      const body = f.pick([
        () => Buffer.from(JSON.stringify(f.mutateJson(GOOD as Record<string, unknown>))),
        () => Buffer.from(JSON.stringify(f.value())),
        () => f.mutateBytes(Buffer.from(JSON.stringify(GOOD)).subarray(0, 400)),
        () => f.bytes(2000),
      ])();
      const u = new URL(h.url);
      const status = await new Promise<number>((resolve) => {
        // A connection of its own: after a request whose body it does not read (a GET with a body, a 415),
        // the server closes the connection, and a reused socket would only report that as a reset.
        const req = request({ agent: false, host: u.hostname, port: u.port, path: f.pick(paths), method: f.pick(['POST', 'GET', 'PUT', 'OPTIONS', 'DELETE']),
          headers: { 'content-type': f.pick(types), ...(f.random() < 0.1 ? { host: 'evil.example' } : {}), ...(f.random() < 0.1 ? { origin: 'https://evil.example' } : {}) } },
        (res) => { res.resume(); res.on('end', () => resolve(res.statusCode ?? 0)); });
        req.on('error', (err) => { errors.add((err as NodeJS.ErrnoException).code ?? err.message); resolve(-1); });
        req.end(body);
      });
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      assert.ok(status === -1 || status < 500 || status === 503 || status === 504, `status ${status} at round ${i} (seed ${seed})`);
      if (i % 25 === 0) await good();
    }
    console.log(`# HTTP statuses: ${JSON.stringify(Object.fromEntries(statuses))}; client errors: ${[...errors].join(', ') || 'none'}`);
    assert.equal([...statuses.values()].reduce((a, b) => a + b, 0), ROUNDS, 'every round ran');
    await good();
    summary('HTTP', ROUNDS, started);
    assert.deepEqual(unhandled, []);
    assert.equal((await health(h.url)).pages, 1);
  });

  it('runtime WebSocket: random and mutated actions', LIMIT, async () => {
    const seed = fuzzSeed();
    const started = performance.now();
    goods = 0;
    console.log(`# runtime fuzz seed ${seed}`);
    const f = new Fuzzer(seed);
    const ws = new WebSocket(h.bridge.listeners.runtime!);
    await new Promise((r, j) => { ws.once('open', r); ws.once('error', j); });
    const received: unknown[] = [];
    ws.on('message', (m) => received.push(m));
    const valid = [
      { action: 'status', sessionId: 1 },
      { action: 'get_placeholder', placeholder: { sessionId: 1, name: 'x' } },
      { action: 'get_stats', placeholder: { sessionId: 1, name: 'x' } },
      { action: 'run_model', model: { name: 'face-detection', is_data: true, data: GOOD } },
      { action: 'run_model', model: { name: 'face-detection', is_data: false, data: '../../etc/passwd' } },
      { action: 'stop', sessionId: 1 },
      { action: 'run', python: { files: [] } },
    ];
    let sent = 0;
    for (let i = 0; i < ROUNDS; i++) {
      const msg = f.pick([
        () => JSON.stringify(f.mutateJson(f.pick(valid) as Record<string, unknown>)),
        () => JSON.stringify(f.value()),
        () => f.mutateBytes(Buffer.from(JSON.stringify(f.pick(valid)))),
        () => f.bytes(300),
      ])();
      ws.send(msg);
      sent++;
      if (i % 50 === 0) await good();
    }
    // Every message gets a reply (an answer or an error), and the connection is still usable.
    assert.equal(sent, ROUNDS);
    await replies(() => received.length, sent, 'replies', seed);
    assert.equal(received.length, sent, `replies to ${sent} messages (seed ${seed})`);
    assert.equal(ws.readyState, WebSocket.OPEN);
    ws.close();
    await good();
    summary('runtime WebSocket', sent, started);
    assert.deepEqual(unhandled, []);
  });

  it('Socket.IO: random events and payloads, and raw garbage on the engine.io socket', LIMIT, async () => {
    const seed = fuzzSeed();
    const started = performance.now();
    goods = 0;
    console.log(`# Socket.IO fuzz seed ${seed}`);
    const f = new Fuzzer(seed);
    const socket = io(h.bridge.listeners.socketio!, { forceNew: true, reconnection: false, transports: ['websocket'] });
    await new Promise<void>((r, j) => { socket.once('connect', () => r()); socket.once('connect_error', j); });
    let acks = 0;
    let asked = 0;
    for (let i = 0; i < ROUNDS / 2; i++) {
      const payload = f.pick([() => f.mutateJson(GOOD as Record<string, unknown>), () => f.value(), () => JSON.stringify(f.value())])();
      if (f.random() < 0.7) { asked++; socket.emit('query', payload, () => { acks++; }); }
      else socket.emit(f.pick(['querry', 'data', 'info', 'error', '', 'x'.repeat(100)]), payload);
      if (i % 25 === 0) await good();
    }
    // Raw engine.io/socket.io packets: parsers must refuse them without harm.
    const raw = new WebSocket(`${h.bridge.listeners.socketio!.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`);
    await new Promise((r, j) => { raw.once('open', r); raw.once('error', j); });
    raw.on('error', () => {});
    for (let i = 0; i < ROUNDS / 2; i++) raw.send(f.pick([() => f.bytes(100).toString('latin1'), () => `4${f.int(10)}${JSON.stringify(f.value())}`, () => f.mutateBytes(Buffer.from('42["query",{"image":"x"}]')).toString()])());
    raw.close();
    // Every query with an acknowledgement gets one (an output or an error).
    await replies(() => acks, asked, 'acknowledgements', seed);
    assert.equal(acks, asked, `acknowledgements (seed ${seed})`);
    await good();
    assert.ok(socket.connected, 'bad queries never disconnect the sender');
    socket.close();
    summary('Socket.IO', ROUNDS, started);
    assert.deepEqual(unhandled, []);
  });

  it('OSC: random datagrams and mutated packets between good queries', LIMIT, async () => {
    const seed = fuzzSeed();
    const started = performance.now();
    goods = 0;
    console.log(`# OSC fuzz seed ${seed}`);
    const f = new Fuzzer(seed);
    const client = await OscClient.open(h.bridge.listeners.osc!);
    const small = { image: dataUri('astronaut-256.jpg', 'image/jpeg') };
    const valid = (osc as unknown as { writePacket(p: unknown): Uint8Array }).writePacket({ address: '/query', args: [{ type: 's', value: JSON.stringify(small) }] });
    let goodAnswers = 0;
    for (let i = 0; i < ROUNDS; i++) {
      client.sendRaw(f.pick([
        () => f.bytes(200),
        () => f.mutateBytes(Buffer.from(valid)).subarray(0, 60_000),
        () => (osc as unknown as { writePacket(p: unknown): Uint8Array }).writePacket({ address: f.pick(['/query', '/info', '/server/connect', '/models/x/query', '/#bundle', '//']), args: [{ type: 's', value: JSON.stringify(f.value()).slice(0, 5000) }] }),
      ])());
      // Paced: UDP drops datagrams past the receive buffer, and a burst of large ones would lose the
      // good query to the kernel rather than test the bridge.
      if (i % 10 === 0) await new Promise((r) => setTimeout(r, 20));
      if (i % 50 === 0) {
        await new Promise((r) => setTimeout(r, 100));
        // A good query from this very client still gets its /data, whatever came before.
        client.send('/query', JSON.stringify(small));
        // A mutated query of this client still with the page may answer first (a JPEG that decodes but shows
        // no face): the good one, its newest frame, is never dropped (latest wins), so its /data follows.
        for (;;) {
          const m = await client.next('/data after garbage');
          if (process.env.FUZZ_DEBUG) console.log('# got', m.address, JSON.stringify(m.args).slice(0, 150));
          if (m.address !== '/data') continue;
          const data = JSON.parse(m.args[0] as string) as { faces?: unknown[] };
          if (!data.faces?.length) continue;
          assertFaces(data);
          goodAnswers++;
          break;
        }
      }
    }
    client.close();
    await good();
    assert.equal(goodAnswers, Math.ceil(ROUNDS / 50), 'a good answer after every 50 rounds');
    summary('OSC', ROUNDS, started, goods + goodAnswers);
    assert.deepEqual(unhandled, []);
  });

  it('LabGraph: random and mutated messages keep the session and the bridge', LIMIT, async () => {
    const seed = fuzzSeed();
    const started = performance.now();
    goods = 0;
    console.log(`# LabGraph fuzz seed ${seed}`);
    const f = new Fuzzer(seed);
    const ws = new WebSocket(h.bridge.listeners.labgraph!);
    await new Promise((r, j) => { ws.once('open', r); ws.once('error', j); });
    const valid = [
      { api_version: '0.1', api_request: { request_id: 1, start_stream_request: { stream_id: 's', 'face-detection/data': {} } } },
      { api_version: '0.1', api_request: { request_id: 2, end_stream_request: { stream_id: 's' } } },
      { api_version: '0.1', stream_batch: { stream_id: 'q', 'face-detection/query': { samples: [{ image: 'x' }], batch_num: 0 } } },
    ];
    for (let i = 0; i < ROUNDS; i++) {
      ws.send(f.pick([
        () => JSON.stringify(f.mutateJson(f.pick(valid) as Record<string, unknown>)),
        () => JSON.stringify(f.value()),
        () => f.mutateBytes(Buffer.from(JSON.stringify(f.pick(valid)))).toString('latin1'),
      ])());
      if (i % 50 === 0) await good();
    }
    // The session still works: it answers a new request (a fuzzed message may already have opened
    // face-detection/data here, so the answer is a StartStreamEvent or a StreamAlreadyRequested).
    const answered = new Promise<any>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to request 99 (seed ${seed})`)), 10_000);
      ws.on('message', (d) => {
        const m = JSON.parse(d.toString());
        if (m.api_event?.request_id === 99) { clearTimeout(timer); resolve(m.api_event); }
      });
    });
    ws.send(JSON.stringify({ api_version: '0.1', api_request: { request_id: 99, start_stream_request: { stream_id: 'fuzz-check', 'face-detection/data': {} } } }));
    const event = await answered;
    assert.ok(event.start_stream_event?.stream_id === 'fuzz-check' || event.error_event?.error_code === 'StreamAlreadyRequested', JSON.stringify(event));
    await good();
    assert.equal(ws.readyState, WebSocket.OPEN);
    ws.close();
    summary('LabGraph', ROUNDS, started);
    assert.deepEqual(unhandled, []);
  });

  it('TCP: random frames, mutated images and garbage streams; a good connection is served throughout', LIMIT, async () => {
    const seed = fuzzSeed();
    const started = performance.now();
    goods = 0;
    console.log(`# TCP fuzz seed ${seed}`);
    const f = new Fuzzer(seed);
    const u = new URL(h.bridge.listeners.tcp!.replace('tcp:', 'http:'));
    const image = fixture('astronaut-256.jpg');
    const good = connect(Number(u.port), u.hostname);
    const decoder = new FrameDecoder(2 ** 24);
    const answers: Buffer[] = [];
    good.on('data', (d) => answers.push(...decoder.push(d)));
    let expected = 0;
    for (let i = 0; i < ROUNDS; i++) {
      const bad = connect(Number(u.port), u.hostname);
      bad.on('error', () => {});
      bad.write(f.pick([
        () => encodeFrame(f.mutateBytes(image)),
        () => encodeFrame(f.bytes(500)),
        () => f.bytes(300),
        () => encodeFrame(Buffer.from(JSON.stringify(f.value()))),
        () => Buffer.concat([encodeFrame(image), f.bytes(3)]),
      ])());
      setTimeout(() => bad.destroy(), f.int(200));
      if (i % 25 === 0) {
        // Waited for, so that the garbage sent meanwhile stays within the model's queue (--max-queue): past it
        // the good query would be rightly refused as busy.
        good.write(encodeFrame(image));
        expected++;
        await replies(() => answers.length, expected, 'answers on the good connection', seed);
      }
    }
    await replies(() => answers.length, expected, 'answers on the good connection', seed);
    assert.equal(answers.length, expected);
    for (const a of answers) assert.equal(a[0], 0xff, `each answer is a JPEG, not ${a.subarray(0, 200).toString()}`);
    good.destroy();
    summary('TCP', ROUNDS, started, expected);
    assert.deepEqual(unhandled, []);
  });
});
