// LabGraph's WebSocket stream API with the real bridge and page.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { dataUri, postJson, startHarness, type Harness } from './helpers/page.ts';
import { assertFaces } from './helpers/assertions.ts';

const FACE = { image: dataUri('astronaut.jpg', 'image/jpeg') };

interface Msg { api_version?: unknown; api_event?: any; stream_batch?: any }

class Session {
  readonly messages: Msg[] = [];
  private waiters: { test: (m: Msg) => boolean; resolve: (m: Msg) => void }[] = [];
  private nextRequest = 1;
  constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString()) as Msg;
      const i = this.waiters.findIndex((w) => w.test(m));
      if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(m);
      else this.messages.push(m);
    });
  }
  static async open(url: string): Promise<Session> {
    const ws = new WebSocket(url);
    await new Promise((r, j) => { ws.once('open', r); ws.once('error', j); });
    return new Session(ws);
  }
  /** The next message passing `test` (already received or still to come). */
  wait(test: (m: Msg) => boolean, ms = 20_000): Promise<Msg> {
    const i = this.messages.findIndex(test);
    if (i >= 0) return Promise.resolve(this.messages.splice(i, 1)[0]!);
    return new Promise((resolve, reject) => {
      const w = { test, resolve };
      this.waiters.push(w);
      setTimeout(() => { this.waiters = this.waiters.filter((x) => x !== w); reject(new Error('no such message in time')); }, ms);
    });
  }
  send(m: unknown) { this.ws.send(typeof m === 'string' ? m : JSON.stringify(m)); }
  start(streamId: string, name: string): number {
    const id = this.nextRequest++;
    this.send({ api_version: '0.1', api_request: { request_id: id, start_stream_request: { stream_id: streamId, app_id: 'pagebridge-test', [name]: {} } } });
    return id;
  }
  end(streamId: string): number {
    const id = this.nextRequest++;
    this.send({ api_version: 0.1, api_request: { request_id: id, end_stream_request: { stream_id: streamId } } });
    return id;
  }
  error(code: string) { return this.wait((m) => m.api_event?.error_event?.error_code === code); }
  batches(streamId: string) { return this.wait((m) => m.stream_batch?.stream_id === streamId); }
}

describe('LabGraph WebSocket API through the real page', () => {
  let h: Harness;
  let url: string;
  before(async () => {
    h = await startHarness();
    url = h.bridge.listeners.labgraph!;
  });
  after(async () => { await h?.close(); });

  it('streams 30 samples in and 30 outputs out, in order, then ends the stream', async () => {
    // One sample at a time, each after the last one's output: faster, the bridge keeps only the newest
    // (latest wins, test/live.test.ts).
    const s = await Session.open(url);
    const r1 = s.start('out', 'face-detection/data');
    const r2 = s.start('in', 'face-detection/query');
    const e1 = await s.wait((m) => m.api_event?.start_stream_event?.stream_id === 'out');
    assert.deepEqual(e1, { api_version: '0.1', api_event: { request_id: r1, start_stream_event: { stream_id: 'out' } } });
    await s.wait((m) => m.api_event?.request_id === r2 && m.api_event?.start_stream_event?.stream_id === 'in');
    const nums: number[] = [];
    for (let i = 0; i < 30; i++) {
      // LabGraph's sample form ({data, timestamps}) and bare inputs, alternately.
      const sampleOf = i % 2 ? FACE : { data: FACE, produced_timestamp_s: Date.now() / 1000, timestamp_s: Date.now() / 1000 };
      s.send({ api_version: '0.1', stream_batch: { stream_id: 'in', 'face-detection/query': { samples: [sampleOf], batch_num: i } } });
      const b = await s.batches('out');
      const body = b.stream_batch['face-detection/data'];
      nums.push(body.batch_num);
      assert.equal(body.samples.length, 1);
      assertFaces(body.samples[0].data);
      assert.equal(typeof body.samples[0].timestamp_s, 'number');
    }
    assert.deepEqual(nums, Array.from({ length: 30 }, (_, i) => i));

    const r3 = s.end('out');
    assert.deepEqual(await s.wait((m) => m.api_event?.end_stream_event !== undefined),
      { api_version: '0.1', api_event: { request_id: r3, end_stream_event: { stream_id: 'out' } } });
    // No more batches after EndStreamEvent, whoever queries.
    assert.equal((await postJson(`${h.url}/query`, FACE)).status, 200);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(s.messages.filter((m) => m.stream_batch?.stream_id === 'out').length, 0);
    s.ws.close();
  });

  it('an HTTP query\'s output reaches an open data stream', async () => {
    const s = await Session.open(url);
    s.start('watch', 'face-detection/data');
    await s.wait((m) => m.api_event?.start_stream_event?.stream_id === 'watch');
    const res = await postJson(`${h.url}/query`, FACE);
    const b = await s.batches('watch');
    assert.deepEqual(b.stream_batch['face-detection/data'].samples[0].data, res.body);
    assert.equal(b.stream_batch['face-detection/data'].batch_num, 0);
    s.ws.close();
  });

  it('answers each bad message with its ErrorEvent and keeps the session', async () => {
    const s = await Session.open(url);
    s.send('{not json');
    assert.match((await s.error('InvalidMessageFormat')).api_event.error_event.desc, /not JSON/);
    s.send({ api_version: '9.9', api_request: { request_id: 5, start_stream_request: { stream_id: 'x', 'face-detection/data': {} } } });
    const wrongVersion = await s.error('MessageNotSupported');
    assert.equal(wrongVersion.api_event.request_id, 5);
    assert.match(wrongVersion.api_event.error_event.desc, /api_version "9.9"/);
    s.start('x', 'no-such-model/data');
    assert.match((await s.error('NonExistentStream')).api_event.error_event.desc, /no-such-model\/data, which does not exist/);
    s.start('dup', 'face-detection/data');
    await s.wait((m) => m.api_event?.start_stream_event?.stream_id === 'dup');
    s.start('dup', 'face-detection/error');
    assert.match((await s.error('StreamIDAlreadyExists')).api_event.error_event.desc, /"dup" is already open/);
    s.start('dup2', 'face-detection/data');
    assert.match((await s.error('StreamAlreadyRequested')).api_event.error_event.desc, /already open in this session/);
    s.send({ api_version: '0.1', stream_batch: { stream_id: 'closed', 'face-detection/query': { samples: [FACE], batch_num: 0 } } });
    assert.match((await s.error('StreamIDNotFound')).api_event.error_event.desc, /"closed", which is not open/);
    s.end('never-opened');
    assert.match((await s.error('StreamIDNotFound')).api_event.error_event.desc, /"never-opened"/);
    // A sample the model rejects: an ErrorEvent when the session has no error stream …
    s.start('q', 'face-detection/query');
    await s.wait((m) => m.api_event?.start_stream_event?.stream_id === 'q');
    s.send({ api_version: '0.1', stream_batch: { stream_id: 'q', 'face-detection/query': { samples: [{ image: 'not an image' }], batch_num: 0 } } });
    assert.match((await s.error('InvalidMessageFormat')).api_event.error_event.desc, /input "image"/);
    // … and a sample on <model>/error when it has one.
    s.start('errs', 'face-detection/error');
    await s.wait((m) => m.api_event?.start_stream_event?.stream_id === 'errs');
    s.send({ api_version: '0.1', stream_batch: { stream_id: 'q', 'face-detection/query': { samples: [{ picture: 1 }], batch_num: 1 } } });
    const err = await s.batches('errs');
    assert.match(err.stream_batch['face-detection/error'].samples[0].data.error, /missing input "image"/);
    // Still working afterwards.
    s.send({ api_version: '0.1', stream_batch: { stream_id: 'q', 'face-detection/query': { samples: [FACE], batch_num: 2 } } });
    const out = await s.batches('dup');
    assertFaces(out.stream_batch['face-detection/data'].samples[0].data);
    assert.equal(s.ws.readyState, WebSocket.OPEN);
    s.ws.close();
  });

  it('refuses a foreign origin', async () => {
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(url, { headers: { origin: 'https://evil.example' } });
      ws.on('unexpected-response', (_q, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => { ws.close(); resolve(101); });
      ws.on('error', () => {});
    });
    assert.equal(status, 403);
  });

  it('serves a Python client that builds its messages as LabGraph\'s own client does', async () => {
    // Debian's Python with python3-websockets (.ci/run installs it).
    const script = fileURLToPath(new URL('../examples/python/labgraph_client.py', import.meta.url));
    const image = fileURLToPath(new URL('./fixtures/astronaut.jpg', import.meta.url));
    const { stdout } = await promisify(execFile)('/usr/bin/python3', [script, image, url], { timeout: 60_000 });
    assert.equal(stdout.trim().split('\n').length, 5, stdout);
    assert.match(stdout, /batch 4: 1 face\(s\)/);
  });
});
