// LabGraph's WebSocket stream API against the real bridge and a fake page (no browser), with `ws` as
// client: streams and their numbered batches, every bad message's ErrorEvent with LabGraph's code,
// failed samples on the error stream (or as an ErrorEvent), dropped samples, the message limit, timeouts.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startFakeBridge, type FakeBridge } from './helpers/fake-page.ts';
import { fixture } from './helpers/fixtures.ts';
import { until } from './helpers/wait.ts';

const MAX_BODY = 64 * 1024;
const WAIT_MS = 10_000;

type Msg = { api_version?: unknown; api_event?: any; stream_batch?: any };

class Session {
  readonly messages: Msg[] = [];
  closed: number | undefined;
  private request = 100;
  private batches = new Map<string, number>();
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => this.messages.push(JSON.parse(d.toString())));
    ws.on('close', (code) => { this.closed = code; });
    ws.on('error', () => {});
  }
  static async open(url: string): Promise<Session> {
    const ws = new WebSocket(url);
    await new Promise((r, j) => { ws.once('open', r); ws.once('error', j); });
    return new Session(ws);
  }
  send(m: unknown): void { this.ws.send(typeof m === 'string' ? m : JSON.stringify(m)); }
  /** The first message `match` accepts (already received or to come). */
  wait(match: (m: Msg) => boolean, what: string): Promise<Msg> {
    return until(() => this.messages.find(match), WAIT_MS, what);
  }
  /** Opens a stream; resolves with its StartStreamEvent (or the ErrorEvent it got). */
  async start(streamId: string, name: string): Promise<any> {
    const id = this.request++;
    this.send({ api_version: '0.1', api_request: { request_id: id, start_stream_request: { stream_id: streamId, app_id: 'test', [name]: {} } } });
    return (await this.wait((m) => m.api_event?.request_id === id, `the answer to request ${id}`)).api_event;
  }
  async end(streamId: string): Promise<any> {
    const id = this.request++;
    this.send({ api_version: 0.1, api_request: { request_id: id, end_stream_request: { stream_id: streamId } } });
    return (await this.wait((m) => m.api_event?.request_id === id, `the answer to request ${id}`)).api_event;
  }
  push(streamId: string, name: string, ...samples: unknown[]): void {
    const n = this.batches.get(streamId) ?? 0;
    this.batches.set(streamId, n + 1);
    this.send({ api_version: '0.1', stream_batch: { stream_id: streamId, [name]: { samples, batch_num: n } } });
  }
  /** Every batch of one stream so far: its number and samples. */
  batchesOf(streamId: string, name: string): { batch_num: number; samples: any[] }[] {
    return this.messages.filter((m) => m.stream_batch?.stream_id === streamId).map((m) => m.stream_batch[name]);
  }
  errors(): { request_id: unknown; error_code: string; desc: string }[] {
    return this.messages.filter((m) => m.api_event?.error_event).map((m) => ({ request_id: m.api_event.request_id, ...m.api_event.error_event }));
  }
  close(): void { this.ws.close(); }
}

describe('LabGraph against a fake page', () => {
  let f: FakeBridge;
  let url: string;
  const sessions: Session[] = [];
  const session = async () => {
    const s = await Session.open(url);
    sessions.push(s);
    return s;
  };
  before(async () => {
    f = await startFakeBridge({ maxBody: MAX_BODY, timeout: 1 });
    url = f.listeners.labgraph!;
  });
  after(async () => {
    for (const s of sessions) s.close();
    await f?.close();
  });

  it('streams: start and end events echo the request, batches are numbered per stream from 0, samples carry timestamps', async () => {
    const s = await session();
    assert.deepEqual(await s.start('out', 'echo/data'), { request_id: 100, start_stream_event: { stream_id: 'out' } });
    assert.deepEqual(await s.start('in', 'echo/query'), { request_id: 101, start_stream_event: { stream_id: 'in' } });
    assert.deepEqual(s.messages[0], { api_version: '0.1', api_event: { request_id: 100, start_stream_event: { stream_id: 'out' } } });
    // Bare inputs and LabGraph's sample form, one sample a batch, each after the last one's output.
    const samples = [{ x: 1 }, { data: { x: 2 }, produced_timestamp_s: 1.5, timestamp_s: 1.6 }, { data: { x: 3 } }];
    for (const [i, sample] of samples.entries()) {
      s.push('in', 'echo/query', sample);
      await until(() => s.batchesOf('out', 'echo/data').length === i + 1, WAIT_MS, `output ${i + 1}`);
    }
    const batches = s.batchesOf('out', 'echo/data');
    assert.deepEqual(batches.map((b) => b.batch_num), [0, 1, 2]);
    assert.deepEqual(batches.map((b) => b.samples.map((x) => x.data)), [[{ y: 1 }], [{ y: 2 }], [{ y: 3 }]]);
    for (const b of batches) {
      assert.deepEqual(Object.keys(b.samples[0]).sort(), ['data', 'produced_timestamp_s', 'timestamp_s']);
      assert.ok(b.samples[0].timestamp_s >= b.samples[0].produced_timestamp_s && b.samples[0].timestamp_s > 1e9);
    }
    assert.deepEqual(f.page.queries.slice(-3).map((q) => q.inputs), [{ x: 1 }, { x: 2 }, { x: 3 }]);
    const batch = s.messages.find((m) => m.stream_batch?.stream_id === 'out')!;
    assert.deepEqual(Object.keys(batch.stream_batch).sort(), ['echo/data', 'stream_id']);
    assert.equal(batch.api_version, '0.1');

    // Another client's output reaches the stream; after the end, nothing does.
    await fetch(`${f.url}/models/echo/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"x": 4}' });
    await until(() => s.batchesOf('out', 'echo/data').length === 4, WAIT_MS, 'the HTTP query’s output');
    const fourth = s.batchesOf('out', 'echo/data')[3]!;
    assert.equal(fourth.batch_num, 3);
    assert.deepEqual(fourth.samples.map((x) => x.data), [{ y: 4 }]);
    assert.deepEqual(await s.end('out'), { request_id: 102, end_stream_event: { stream_id: 'out' } });
    const watcher = await session();
    await watcher.start('w', 'echo/data');
    for (const x of [5, 6]) {
      s.push('in', 'echo/query', { x });
      await until(() => watcher.batchesOf('w', 'echo/data').some((b) => b.samples[0].data.y === x), WAIT_MS, `output ${x} on another session`);
    }
    assert.equal(s.batchesOf('out', 'echo/data').length, 4, 'no batch after the end');
    assert.deepEqual(s.errors(), []);
  });

  it('image outputs are data URIs in the samples', async () => {
    const s = await session();
    await s.start('out', 'mirror/data');
    await s.start('in', 'mirror/query');
    const jpeg = fixture('astronaut-256.jpg');
    s.push('in', 'mirror/query', { image: `data:image/jpeg;base64,${jpeg.toString('base64')}` });
    await until(() => s.batchesOf('out', 'mirror/data').length === 1, WAIT_MS, 'the output');
    assert.deepEqual(s.batchesOf('out', 'mirror/data')[0]!.samples[0].data, { image: `data:image/jpeg;base64,${jpeg.toString('base64')}` });
    assert.ok(Buffer.from(f.page.queries.at(-1)!.inputs.image as Uint8Array).equals(jpeg));
  });

  it('each bad message gets an ErrorEvent with LabGraph’s code (and its request id); the session stays open', async () => {
    const s = await session();
    await s.start('q', 'echo/query');
    await s.start('d', 'echo/data');
    const request = (id: number, body: unknown) => ({ api_version: '0.1', api_request: { request_id: id, ...(body as object) } });
    const cases: [unknown, unknown, string, RegExp][] = [
      ['{not json', null, 'InvalidMessageFormat', /^the message is not JSON: /],
      ['[1, 2]', null, 'InvalidMessageFormat', /^the message must be a JSON object$/],
      [{ api_request: { request_id: 1, start_stream_request: { stream_id: 'x', 'echo/data': {} } } }, 1, 'InvalidMessageFormat', /^the message must have required property 'api_version'$/],
      [request(2, { start_stream_request: { stream_id: '', 'echo/data': {} } }), 2, 'InvalidMessageFormat', /^\/api_request\/start_stream_request\/stream_id must NOT have fewer than 1 characters$/],
      [request(3, { start_stream_request: { stream_id: 'two', 'echo/data': {}, 'echo/error': {} } }), 3, 'InvalidMessageFormat', /^start_stream_request must name exactly one stream \(a key besides stream_id and app_id\), not 2$/],
      [{ api_version: '0.1', stream_batch: { stream_id: 'q', 'echo/query': { batch_num: 0 } } }, null, 'InvalidMessageFormat', /^stream_batch must hold \{"<stream name>": \{"samples": \[\.\.\.\], "batch_num": n\}\}$/],
      [{ api_version: '0.2', api_request: { request_id: 4, end_stream_request: { stream_id: 'q' } } }, 4, 'MessageNotSupported', /^api_version "0\.2" is not supported: use "0\.1"$/],
      [{ api_version: '0.1', hello: {} }, null, 'MessageNotSupported', /^the message holds neither api_request nor stream_batch \(keys: api_version, hello\)$/],
      [request(5, { pause_stream_request: {} }), 5, 'MessageNotSupported', /^api_request holds neither start_stream_request nor end_stream_request \(keys: request_id, pause_stream_request\)$/],
      [{ api_version: '0.1', stream_batch: { stream_id: 'd', 'echo/data': { samples: [{ x: 1 }], batch_num: 0 } } }, null, 'MessageNotSupported', /^"echo\/data" is an output stream; send samples to "echo\/query"$/],
      [request(6, { start_stream_request: { stream_id: 'n', 'nope/data': {} } }), 6, 'NonExistentStream', /^Session used stream name: nope\/data, which does not exist \(streams are <model>\/query, <model>\/data and <model>\/error; models: echo, picture, mirror, loading, broken\)$/],
      [request(7, { start_stream_request: { stream_id: 'n', 'echo/other': {} } }), 7, 'NonExistentStream', /^Session used stream name: echo\/other/],
      [request(8, { start_stream_request: { stream_id: 'q', 'picture/data': {} } }), 8, 'StreamIDAlreadyExists', /^stream_id "q" is already open in this session; end it first or pick another id$/],
      [request(9, { start_stream_request: { stream_id: 'again', 'echo/data': {} } }), 9, 'StreamAlreadyRequested', /^stream "echo\/data" is already open in this session under another stream_id$/],
      [request(10, { end_stream_request: { stream_id: 'nothing' } }), 10, 'StreamIDNotFound', /^no open stream has stream_id "nothing"$/],
      [{ api_version: '0.1', stream_batch: { stream_id: 'nothing', 'echo/query': { samples: [{ x: 1 }], batch_num: 0 } } }, null, 'StreamIDNotFound', /^stream_batch for stream_id "nothing", which is not open: send a start_stream_request first$/],
    ];
    for (const [i, [message, requestId, code, desc]] of cases.entries()) {
      s.send(message);
      await until(() => s.errors().length === i + 1, WAIT_MS, `the ErrorEvent for case ${i + 1} (${code})`);
      const e = s.errors()[i]!;
      assert.deepEqual([e.request_id, e.error_code], [requestId, code], `case ${i + 1}: ${e.desc}`);
      assert.match(e.desc, desc);
    }
    // A binary message is no part of the API.
    s.ws.send(Buffer.from([1, 2, 3]));
    await until(() => s.errors().length === cases.length + 1, WAIT_MS, 'the ErrorEvent for a binary message');
    assert.deepEqual(s.errors().at(-1), { request_id: null, error_code: 'InvalidMessageFormat', desc: 'binary messages are not part of the API: send JSON text' });
    // Still open, and still served.
    assert.equal(s.ws.readyState, WebSocket.OPEN);
    s.push('q', 'echo/query', { x: 9 });
    await until(() => s.batchesOf('d', 'echo/data').some((b) => b.samples[0].data.y === 9), WAIT_MS, 'the output after the errors');
  });

  it('a failed sample goes to the session’s error stream; without one, it is an ErrorEvent naming the stream', async () => {
    const withErrors = await session();
    await withErrors.start('e', 'echo/error');
    await withErrors.start('q', 'echo/query');
    const without = await session();
    await without.start('q', 'echo/query');
    const expected = [
      [{ x: 1, act: 'fail', code: 'model_failed', message: 'the page broke' }, 'the page broke'],
      [{ x: 1, act: 'never' }, '"echo" did not answer within 1 s (--timeout)'],
    ] as const;
    for (const [i, [sample, error]] of expected.entries()) {
      without.push('q', 'echo/query', sample);
      await until(() => without.errors().length === i + 1, WAIT_MS, `the ErrorEvent ${i + 1}`);
      assert.deepEqual(without.errors()[i], { request_id: null, error_code: 'InvalidMessageFormat', desc: `a sample on "echo/query" failed: ${error}` });
      // Every failure of the model reaches every error stream, whoever caused it.
      await until(() => withErrors.batchesOf('e', 'echo/error').length === i + 1, WAIT_MS, `error sample ${i + 1}`);
      assert.deepEqual(withErrors.batchesOf('e', 'echo/error')[i]!.samples[0].data, { error });
    }
    // A refused sample (bad input) is its own session's alone: an ErrorEvent, or a sample on its own
    // error stream; no other session hears of it.
    without.push('q', 'echo/query', { x: 'one' });
    await until(() => without.errors().length === 3, WAIT_MS, 'the ErrorEvent for a refused sample');
    assert.equal(without.errors()[2]!.desc, 'a sample on "echo/query" failed: input "x" must be number: expected a number');
    withErrors.push('q', 'echo/query', { x: 'two' });
    await until(() => withErrors.batchesOf('e', 'echo/error').length === 3, WAIT_MS, 'its own refusal on its error stream');
    assert.deepEqual(withErrors.batchesOf('e', 'echo/error')[2]!.samples[0].data, { error: 'input "x" must be number: expected a number' });
    assert.deepEqual(withErrors.errors(), [], 'a session with an error stream gets no ErrorEvent for failed samples');
    assert.deepEqual(withErrors.batchesOf('e', 'echo/error').map((b) => b.batch_num), [0, 1, 2]);
    // A model that is not ready.
    await without.start('l', 'loading/query');
    without.push('l', 'loading/query', { x: 1 });
    await until(() => without.errors().length === 4, WAIT_MS, 'the ErrorEvent for "loading"');
    assert.equal(without.errors()[3]!.desc, 'a sample on "loading/query" failed: "loading" is not ready on any page (loading)');
  });

  it('the page leaving mid-query: the sample fails at once, not at the timeout', async () => {
    const s = await session();
    await s.start('q', 'echo/query');
    s.push('q', 'echo/query', { x: 1, act: 'leave' });
    await until(() => s.errors().length === 1, WAIT_MS, 'the ErrorEvent');
    assert.match(s.errors()[0]!.desc, /^a sample on "echo\/query" failed: the page running "echo" went away before answering/);
    await f.page.ready(f.bridge.core);
  });

  it('latest wins: of samples pushed while the model is busy only the newest is answered; dropped ones send nothing', async () => {
    const s = await session();
    await s.start('d', 'echo/data');
    await s.start('e', 'echo/error');
    await s.start('q', 'echo/query');
    // One batch is frames in order: the first goes to the page, the last waits, those between are dropped.
    s.push('q', 'echo/query', ...[1, 2, 3, 4].map((x) => ({ x, act: 'hold' })));
    await until(() => f.page.held.length === 1, WAIT_MS, 'the first sample with the page');
    f.page.release();
    await until(() => f.page.held.length === 1, WAIT_MS, 'the newest sample with the page');
    assert.equal(f.page.held[0]!.inputs.x, 4);
    f.page.release();
    await until(() => s.batchesOf('d', 'echo/data').length === 2, WAIT_MS, 'two outputs');
    assert.deepEqual(s.batchesOf('d', 'echo/data').map((b) => b.samples[0].data), [{ y: 1 }, { y: 4 }]);
    assert.deepEqual(s.batchesOf('e', 'echo/error'), []);
    assert.deepEqual(s.errors(), []);
    const health = await (await fetch(`${f.url}/health`)).json() as any;
    assert.ok(health.models.find((m: any) => m.id === 'echo').dropped >= 2);
  });

  it(`a message over --max-body (${MAX_BODY} bytes) closes the session (1009); others go on`, async () => {
    const big = await session();
    const other = await session();
    await other.start('d', 'echo/data');
    await other.start('q', 'echo/query');
    big.send({ api_version: '0.1', stream_batch: { stream_id: 'q', 'echo/query': { samples: [{ x: 1, pad: 'a'.repeat(MAX_BODY) }], batch_num: 0 } } });
    await until(() => big.closed, WAIT_MS, 'the close');
    assert.equal(big.closed, 1009);
    other.push('q', 'echo/query', { x: 2 });
    await until(() => other.batchesOf('d', 'echo/data').some((b) => b.samples[0].data.y === 2), WAIT_MS, 'the other session’s output');
  });

  it('counts its sessions as clients in /health', async () => {
    const before = (await (await fetch(`${f.url}/health`)).json() as any).clients.labgraph;
    const s = await session();
    await until(async () => (await (await fetch(`${f.url}/health`)).json() as any).clients.labgraph === before + 1, WAIT_MS, 'one more client');
    s.close();
    await until(async () => (await (await fetch(`${f.url}/health`)).json() as any).clients.labgraph === before, WAIT_MS, 'one client less');
  });
});
