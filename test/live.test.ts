// Live input through the real page: clients of Socket.IO, LabGraph and OSC push frames faster than the
// model answers. Latest wins: each client's newest frames are answered, stale ones are dropped (counted in
// /health, never an /error), and nothing queues. Frames go out in bursts, so no assertion depends on how
// fast this machine runs the model; each frame of the affine model (y = 2x + 1) carries its own number.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { io, type Socket } from 'socket.io-client';
import { dataUri, startHarness, until, type Harness } from './helpers/page.ts';
import { affineModel } from './helpers/onnx.ts';
import { OscClient } from './helpers/osc.ts';
import { assertFaces } from './helpers/assertions.ts';

const FACE = { image: dataUri('astronaut.jpg', 'image/jpeg') };
const FACE_256 = { image: dataUri('astronaut-256.jpg', 'image/jpeg') };
const AFFINE = 'affine';
/** Frame number n as the affine model's input; its answer carries 2n + 1 first. */
const frame = (n: number) => ({ x: { dtype: 'float32', dims: [1, 4], data: [n, 0, 0, 0] } });
const frameOf = (out: any): number => (out.y.data[0] - 1) / 2;


/** Asserts the numbers only grow, start at `first` and end at `last`. */
function assertNewest(answered: number[], first: number, last: number, what: string) {
  assert.equal(answered[0], first, `${what}: the first frame is answered (${answered})`);
  assert.equal(answered.at(-1), last, `${what}: the last frame pushed is answered (${answered})`);
  for (let i = 1; i < answered.length; i++) assert.ok(answered[i]! > answered[i - 1]!, `${what}: answers in the order pushed (${answered})`);
}

/** A LabGraph session with `<model>/data`, `<model>/error` and `<model>/query` open; keeps what comes. */
async function labgraphSession(url: string, model: string) {
  const ws = new WebSocket(url);
  await new Promise((r, j) => { ws.once('open', r); ws.once('error', j); });
  const data: any[] = [];
  const errors: unknown[] = [];
  let opened = 0;
  ws.on('message', (d) => {
    const m = JSON.parse(d.toString());
    if (m.api_event?.start_stream_event) opened++;
    else if (m.api_event) errors.push(m.api_event);
    for (const s of m.stream_batch?.[`${model}/data`]?.samples ?? []) data.push(s.data);
    for (const s of m.stream_batch?.[`${model}/error`]?.samples ?? []) errors.push(s.data);
  });
  const send = (m: unknown) => ws.send(JSON.stringify(m));
  ['data', 'error', 'query'].forEach((kind, i) => send({ api_version: '0.1', api_request: { request_id: i + 1, start_stream_request: { stream_id: kind, [`${model}/${kind}`]: {} } } }));
  await until(() => opened === 3, 10_000, 'three streams open');
  let batch = 0;
  return {
    data, errors,
    push: (...samples: unknown[]) => send({ api_version: '0.1', stream_batch: { stream_id: 'query', [`${model}/query`]: { samples, batch_num: batch++ } } }),
    close: () => ws.close(),
  };
}

describe('live input: latest wins, through the real page', () => {
  let h: Harness;
  const sockets: Socket[] = [];
  const dropped = async (model: string): Promise<number> =>
    ((await (await fetch(`${h.url}/health`)).json()) as { models: { id: string; dropped: number }[] }).models.find((m) => m.id === model)!.dropped;
  const lastError = async (model: string) => (await (await fetch(`${h.url}/models/${model}/error`)).json());
  const socket = async (model: string) => {
    const s = io(`${h.bridge.listeners.socketio}/models/${model}`, { forceNew: true, reconnection: false, transports: ['websocket'] });
    sockets.push(s);
    await new Promise<void>((r, j) => { s.once('connect', () => r()); s.once('connect_error', j); });
    return s;
  };

  before(async () => {
    h = await startHarness();
    await h.page.setInputFiles('#onnx-input', { name: `${AFFINE}.onnx`, mimeType: 'application/octet-stream', buffer: Buffer.from(affineModel()) });
    await until(async () => (await fetch(`${h.url}/models/${AFFINE}/info`)).status === 200, 20_000, 'the affine model');
  });
  after(async () => {
    for (const s of sockets) s.close();
    await h?.close();
  });

  it('Socket.IO: face-detection frames pushed faster than it answers; the newest answered, stale ones acked as dropped, /error null', async () => {
    const s = await socket('face-detection');
    const events: string[] = [];
    s.onAny((event) => events.push(event));
    const droppedBefore = await dropped('face-detection');
    const N = 30;
    const pushed: number[] = [];
    // Acks in the order they arrive, each with its frame's number and its latency.
    const acks: { n: number; reply: any; ms: number }[] = [];
    await Promise.all(Array.from({ length: N }, (_, n) => {
      pushed[n] = performance.now();
      return s.timeout(60_000).emitWithAck('query', FACE).then((reply) => { acks.push({ n, reply, ms: performance.now() - pushed[n]! }); });
    }));

    const answered = acks.filter((a) => a.reply.faces);
    const stale = acks.filter((a) => a.reply.dropped === true);
    // Every frame was answered or dropped, nothing else.
    assert.equal(answered.length + stale.length, N, JSON.stringify(acks.map((a) => a.reply.error ?? 'ok')));
    for (const a of answered) assertFaces(a.reply);
    for (const a of stale) assert.match(a.reply.error, /^dropped: a newer frame from this client replaced it while "face-detection" was busy/);
    assert.ok(stale.length > 0, 'some frames were dropped');
    assertNewest(answered.map((a) => a.n), 0, N - 1, 'socket.io');
    // No stale answer: when a frame's answer comes, every older frame has already been answered or dropped.
    const settled = new Set<number>();
    for (const a of acks) {
      if (a.reply.faces) for (let older = 0; older < a.n; older++) assert.ok(settled.has(older), `frame ${older} still waited when ${a.n} was answered`);
      settled.add(a.n);
    }
    // Every answer reached the namespace as data; a dropped frame is no error event, and not /error.
    assert.equal(events.filter((e) => e === 'data').length, answered.length);
    assert.deepEqual(events.filter((e) => e !== 'data'), []);
    assert.deepEqual(await lastError('face-detection'), { error: null });
    assert.equal(await dropped('face-detection') - droppedBefore, stale.length);
    // The page's Activity panel shows the count too.
    const total = await dropped('face-detection');
    await until(async () => (await h.page.locator('[data-dropped="face-detection"]').textContent().catch(() => null)) === `face-detection: ${total} stale frames dropped`,
      5000, 'the drop count in the Activity panel');
    console.log(`# socket.io: ${N} pushed at once, ${answered.length} answered, ${stale.length} dropped; ` +
      `answered latencies ${answered.map((a) => `${Math.round(a.ms)} ms`).join(', ')}`);
  });

  it('LabGraph: face-detection samples pushed faster than it answers; fewer outputs than samples, the rest counted as dropped, no error', async () => {
    const lg = await labgraphSession(h.bridge.listeners.labgraph!, 'face-detection');
    const droppedBefore = await dropped('face-detection');
    const N = 30;
    for (let n = 0; n < N; n++) lg.push(n % 2 ? FACE_256 : { data: FACE_256, produced_timestamp_s: Date.now() / 1000 });
    // Each sample is answered or dropped; wait until all are one or the other.
    await until(async () => lg.data.length + (await dropped('face-detection')) - droppedBefore === N, 60_000, 'every sample answered or dropped');
    await new Promise((r) => setTimeout(r, 300));
    const outputs = lg.data.length;
    // The first and the last sample are always answered; those between only while the model was free.
    assert.ok(outputs >= 2 && outputs < N, `${outputs} outputs for ${N} samples`);
    for (const out of lg.data) assertFaces(out);
    assert.equal(lg.data.length + (await dropped('face-detection')) - droppedBefore, N, 'nothing answered late');
    assert.deepEqual(lg.errors, []);
    assert.deepEqual(await lastError('face-detection'), { error: null });
    console.log(`# labgraph: ${N} samples pushed at once, ${outputs} answered, ${N - outputs} dropped`);
    lg.close();
  });

  it('LabGraph: a batch of samples is frames in order: its first and its last are answered', async () => {
    const lg = await labgraphSession(h.bridge.listeners.labgraph!, AFFINE);
    const droppedBefore = await dropped(AFFINE);
    lg.push(...Array.from({ length: 10 }, (_, n) => frame(n)));
    await until(() => lg.data.length === 2, 20_000, 'two outputs');
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(lg.data.map(frameOf), [0, 9]);
    assert.equal(await dropped(AFFINE) - droppedBefore, 8);
    assert.deepEqual(lg.errors, []);
    lg.close();
  });

  it('Socket.IO and LabGraph clients pushing together: each client’s own newest frames are answered', async () => {
    const s = await socket(AFFINE);
    const lg = await labgraphSession(h.bridge.listeners.labgraph!, AFFINE);
    const droppedBefore = await dropped(AFFINE);
    const N = 100;
    const acks: { n: number; reply: any }[] = [];
    const socketDone = Promise.all(Array.from({ length: N }, (_, n) =>
      s.timeout(60_000).emitWithAck('query', frame(2000 + n)).then((reply) => { acks.push({ n: 2000 + n, reply }); })));
    for (let n = 0; n < N; n++) lg.push(frame(1000 + n));
    await socketDone;
    const socketAnswered = acks.filter((a) => a.reply.y).map((a) => a.n);
    assert.deepEqual(acks.filter((a) => a.reply.y).map((a) => frameOf(a.reply)), socketAnswered, 'each ack carries its own frame');
    // The LabGraph data stream carries every output of the model: its own frames are 1000 on.
    const labgraphAnswered = () => lg.data.map(frameOf).filter((n) => n >= 1000 && n < 2000);
    await until(async () => labgraphAnswered().length + socketAnswered.length + (await dropped(AFFINE)) - droppedBefore === 2 * N,
      30_000, 'every frame of both clients answered or dropped');
    assertNewest(socketAnswered, 2000, 2000 + N - 1, 'socket.io');
    assertNewest(labgraphAnswered(), 1000, 1000 + N - 1, 'labgraph');
    assert.ok(socketAnswered.length < N && labgraphAnswered().length < N, `answered ${socketAnswered.length} and ${labgraphAnswered().length} of ${N} each`);
    assert.deepEqual(lg.errors, []);
    assert.deepEqual(await lastError(AFFINE), { error: null });
    lg.close();
  });

  it('Socket.IO without acks (as Runway’s p5.js examples emit): data for the newest frames, no error events', async () => {
    const s = await socket(AFFINE);
    const data: number[] = [];
    const errors: unknown[] = [];
    s.on('data', (out) => data.push(frameOf(out)));
    s.on('error', (e) => errors.push(e));
    const droppedBefore = await dropped(AFFINE);
    const N = 100;
    for (let n = 0; n < N; n++) s.emit('query', frame(3000 + n));
    await until(async () => data.length + (await dropped(AFFINE)) - droppedBefore === N, 30_000, 'every frame answered or dropped');
    assertNewest(data, 3000, 3000 + N - 1, 'socket.io without acks');
    assert.ok(data.length < N);
    assert.deepEqual(errors, []);
  });

  it('OSC: /query datagrams faster than the model answers: /data for the newest, nothing for dropped ones', async () => {
    const c = await OscClient.open(h.bridge.listeners.osc!);
    try {
      const droppedBefore = await dropped(AFFINE);
      const N = 100;
      for (let n = 0; n < N; n++) c.send(`/models/${AFFINE}/query`, JSON.stringify(frame(4000 + n)));
      const replies: { address: string; value: any }[] = [];
      await until(async () => {
        while (c.pending > 0) {
          const m = await c.next();
          replies.push({ address: m.address, value: JSON.parse(m.args[0] as string) });
        }
        return replies.length + (await dropped(AFFINE)) - droppedBefore === N;
      }, 30_000, 'every datagram answered or dropped');
      assert.deepEqual(replies.filter((r) => r.address !== `/models/${AFFINE}/data`), []);
      const answered = replies.map((r) => frameOf(r.value));
      assertNewest(answered, 4000, 4000 + N - 1, 'osc');
      assert.ok(answered.length < N);
      assert.deepEqual(await lastError(AFFINE), { error: null });
    } finally {
      c.close();
    }
  });
});
