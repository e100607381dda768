// Fuzzing each protocol with the real bridge and page: seeded random and mutated messages, bounded in
// count and time, interleaved with good queries. Nothing may crash the bridge, no promise may be left
// rejected unhandled, and every good query gets its answer. Replay a run with FUZZ_SEED=<seed>.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import WebSocket from 'ws';
import { dataUri, health, postJson, startHarness, type Harness } from './helpers/page.ts';
import { Fuzzer, fuzzSeed } from './helpers/fuzz.ts';

const ROUNDS = Number(process.env.FUZZ_ROUNDS ?? 300);
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
  const good = async () => {
    const res = await postJson(`${h.url}/query`, GOOD);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.ok(res.body.faces[0].score > 0.5);
  };

  it('HTTP: random and mutated requests', async () => {
    const seed = fuzzSeed();
    console.log(`# HTTP fuzz seed ${seed}`);
    const f = new Fuzzer(seed);
    const paths = ['/query', '/data', '/error', '/info', '/models', '/models/face-detection/query', '/models/%00/query', '/models/../query', '/health', '/runtime', '/' + 'x'.repeat(3000)];
    const types = ['application/json', 'image/jpeg', 'image/png', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', '', 'application/json; charset=latin1'];
    const statuses = new Map<number, number>();
    const errors = new Set<string>();
    const end = Date.now() + 60_000;
    for (let i = 0; i < ROUNDS && Date.now() < end; i++) {
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
    await good();
    assert.deepEqual(unhandled, []);
    assert.equal((await health(h.url)).pages, 1);
  });

  it('runtime WebSocket: random and mutated actions', async () => {
    const seed = fuzzSeed();
    console.log(`# runtime fuzz seed ${seed}`);
    const f = new Fuzzer(seed);
    const ws = new WebSocket(h.bridge.listeners.runtime!);
    await new Promise((r, j) => { ws.once('open', r); ws.once('error', j); });
    const replies: unknown[] = [];
    ws.on('message', (m) => replies.push(m));
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
    const deadline = Date.now() + 30_000;
    while (replies.length < sent && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(replies.length, sent, `replies to ${sent} messages (seed ${seed})`);
    assert.equal(ws.readyState, WebSocket.OPEN);
    ws.close();
    await good();
    assert.deepEqual(unhandled, []);
  });
});
