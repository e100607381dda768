// Length-prefixed TCP against the real bridge and a fake page (no browser), with node:net and the
// alwaysAI-style Python client: images in and annotated JPEGs out, JSON both ways, answers in request
// order, every error as a `{"error"}` frame, the frame and per-connection limits, timeouts, a page leaving.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { FrameDecoder, encodeFrame } from '../bridge/protocols/framing.ts';
import { ANNOTATED, CANNED_FACES } from './helpers/fake-page-answers.ts';
import { startFakeBridge, type FakeBridge } from './helpers/fake-page.ts';
import { fixture } from './helpers/fixtures.ts';
import { until } from './helpers/wait.ts';

const MAX_BODY = 64 * 1024;
const WAIT_MS = 10_000;
const JPEG = fixture('astronaut-256.jpg');
const CLIENT = fileURLToPath(new URL('../examples/python/alwaysai_client.py', import.meta.url));

interface Connection { socket: Socket; frames: Buffer[]; closed: boolean; next(n?: number): Promise<Buffer> }

/** A connection that collects answer frames; `next()` takes them in order. */
async function open(url: string): Promise<Connection> {
  const u = new URL(url.replace('tcp:', 'http:'));
  const socket = connect(Number(u.port), u.hostname);
  const decoder = new FrameDecoder(2 ** 24);
  const c: Connection = {
    socket, frames: [], closed: false,
    async next() {
      await until(() => c.frames.length > 0, WAIT_MS, 'an answer frame');
      return c.frames.shift()!;
    },
  };
  socket.on('data', (d) => c.frames.push(...decoder.push(d)));
  socket.on('close', () => { c.closed = true; });
  socket.on('error', () => {});
  await new Promise((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
  return c;
}
const json = (value: unknown) => encodeFrame(Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)));
const parse = (frame: Buffer) => JSON.parse(frame.toString('utf8'));

describe('TCP against a fake page: the default model takes images', () => {
  let f: FakeBridge;
  before(async () => { f = await startFakeBridge({ model: 'picture', maxBody: MAX_BODY }); });
  after(async () => { await f?.close(); });

  it('a JPEG or PNG frame gets the picture the page drew, as it drew it; the page got the image’s bytes and was asked to annotate', async () => {
    const c = await open(f.listeners.tcp!);
    c.socket.write(encodeFrame(JPEG));
    assert.ok((await c.next()).equals(Buffer.from(ANNOTATED)));
    assert.deepEqual(f.page.queries.at(-1)!.model, 'picture');
    assert.equal(f.page.queries.at(-1)!.annotate, true);
    assert.ok(Buffer.from(f.page.queries.at(-1)!.inputs.image as Uint8Array).equals(JPEG));
    const png = fixture('page.png').subarray(0, 40_000);
    c.socket.write(encodeFrame(png));
    assert.ok((await c.next()).equals(Buffer.from(ANNOTATED)));
    // The picture was this client's alone: /data holds the outputs.
    assert.deepEqual(await (await fetch(`${f.url}/data`)).json(), { faces: CANNED_FACES, received: png.byteLength });
    c.socket.end();
  });

  it('a JSON frame gets the default model’s output as JSON', async () => {
    const c = await open(f.listeners.tcp!);
    c.socket.write(json({ image: `data:image/jpeg;base64,${JPEG.toString('base64')}` }));
    assert.deepEqual(parse(await c.next()), { faces: CANNED_FACES, received: JPEG.byteLength });
    assert.equal(f.page.queries.at(-1)!.annotate, false);
    c.socket.end();
  });

  it('serves the alwaysAI-style Python client, one connection per image and all over one', async () => {
    const out = mkdtempSync(join(tmpdir(), 'pagebridge-tcp-'));
    try {
      const { hostname, port } = new URL(f.listeners.tcp!.replace('tcp:', 'http:'));
      const image = fileURLToPath(new URL('./fixtures/astronaut-256.jpg', import.meta.url));
      for (const args of [[hostname, port, out, image, image], ['--one-connection', hostname, port, out, image, image, image]]) {
        const { stdout } = await promisify(execFile)('/usr/bin/python3', [CLIENT, ...args]);
        const n = args.length - (args[0] === '--one-connection' ? 4 : 3);
        assert.equal(stdout.trim(), `${n} answers written to ${out}`);
        for (let i = 0; i < n; i++) assert.ok(readFileSync(join(out, `${i}.jpg`)).equals(Buffer.from(ANNOTATED)));
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('frames split into single bytes, and several in one write, are read as frames', async () => {
    const c = await open(f.listeners.tcp!);
    const frame = encodeFrame(JPEG);
    for (const byte of frame.subarray(0, 64)) c.socket.write(Buffer.from([byte]));
    c.socket.write(frame.subarray(64));
    assert.ok((await c.next()).equals(Buffer.from(ANNOTATED)));
    c.socket.write(Buffer.concat([frame, json({ image: JPEG.toString('base64') }), frame]));
    assert.ok((await c.next()).equals(Buffer.from(ANNOTATED)));
    assert.equal(parse(await c.next()).received, JPEG.byteLength);
    assert.ok((await c.next()).equals(Buffer.from(ANNOTATED)));
    c.socket.end();
  });

  it('error frames: neither image nor JSON, bad JSON, a bad input, an undecodable image', async () => {
    const c = await open(f.listeners.tcp!);
    c.socket.write(Buffer.concat([
      encodeFrame(Buffer.from('plain words')), json('{not json'), json({ image: 42 }), json({ image: 'data:image/png;base64,' + Buffer.from('not a png').toString('base64') }),
    ]));
    assert.deepEqual(parse(await c.next()), { error: 'a frame of 11 bytes that is neither a JPEG or PNG image nor a JSON object (starting with "{")' });
    assert.match(parse(await c.next()).error, /^the frame starts with "\{" but is not JSON: /);
    assert.match(parse(await c.next()).error, /^input "image" must be a string/);
    assert.match(parse(await c.next()).error, /^input "image" does not decode as an image/);
    // Still served.
    c.socket.write(encodeFrame(JPEG));
    assert.ok((await c.next()).equals(Buffer.from(ANNOTATED)));
    c.socket.end();
  });

  const BAD_LENGTHS = [
    [Buffer.from([0, 0, 0, 0]), 'a frame of length 0 (each frame is a 4-byte little-endian length, then that many bytes)'],
    [Buffer.from([0, 0, 0, 0x40]), `a frame of ${0x40000000} bytes is over the limit of ${MAX_BODY} bytes (--max-body)`],
  ] as const;

  it('a length of 0 or over --max-body: what came before is answered, then an error frame, then the connection closes', async () => {
    for (const [bad, error] of BAD_LENGTHS) {
      const c = await open(f.listeners.tcp!);
      c.socket.write(json({ image: JPEG.toString('base64'), act: 'delay', ms: 100 }));
      await until(() => f.page.queries.some((q) => q.inputs.act === 'delay'), WAIT_MS, 'the first frame read');
      f.page.queries.length = 0;
      c.socket.write(Buffer.concat([bad, encodeFrame(JPEG)]));
      assert.equal(parse(await c.next()).received, JPEG.byteLength, 'the frame before is answered first');
      assert.deepEqual(parse(await c.next()), { error });
      await until(() => c.closed, WAIT_MS, 'the close');
      assert.deepEqual(c.frames, [], 'nothing after the error');
      assert.deepEqual(f.page.queries, [], 'nothing after the bad length reached the page');
    }
    // A peer that sends half a frame and leaves costs only its own socket (and is logged).
    const half = await open(f.listeners.tcp!);
    half.socket.end(encodeFrame(JPEG).subarray(0, 1000));
    await until(() => f.log.infos.some((l) => /^tcp: 127\.0\.0\.1:\d+ left in the middle of a frame \(996 bytes dropped\)$/.test(l)), WAIT_MS, 'the log line');
  });

  it('a frame completed in the same read as a bad length is answered before the error', async () => {
    for (const [bad, error] of BAD_LENGTHS) {
      const c = await open(f.listeners.tcp!);
      c.socket.write(Buffer.concat([encodeFrame(JPEG), bad]));
      assert.ok((await c.next()).equals(Buffer.from(ANNOTATED)), 'the answer to the frame before the bad length');
      assert.deepEqual(parse(await c.next()), { error });
      c.socket.destroy();
    }
  });
});

describe('TCP against a fake page: the default model takes JSON', () => {
  let f: FakeBridge;
  before(async () => { f = await startFakeBridge({ timeout: 1, maxClientQueue: 3 }); });
  after(async () => { await f?.close(); });

  it('answers go out in request order, whatever order the page answers in', async () => {
    const c = await open(f.listeners.tcp!);
    c.socket.write(Buffer.concat([0, 1, 2].map((x) => json({ x, act: 'hold' }))));
    await until(() => f.page.held.length === 3, WAIT_MS, 'three queries with the page');
    f.page.release((held) => held.reverse());
    assert.deepEqual([parse(await c.next()), parse(await c.next()), parse(await c.next())], [{ y: 0 }, { y: 1 }, { y: 2 }]);
    c.socket.end();
  });

  it(`past --max-client-queue (3) a frame gets "busy", in its place among the answers; another connection is served meanwhile`, async () => {
    const c = await open(f.listeners.tcp!);
    c.socket.write(Buffer.concat([1, 2, 3, 4].map((x) => json({ x, act: 'hold' }))));
    await until(() => f.page.held.length === 3, WAIT_MS, 'three queries with the page');
    const other = await open(f.listeners.tcp!);
    other.socket.write(json({ x: 9 }));
    assert.deepEqual(parse(await other.next()), { y: 9 });
    f.page.release();
    assert.deepEqual([parse(await c.next()), parse(await c.next()), parse(await c.next())], [{ y: 1 }, { y: 2 }, { y: 3 }]);
    assert.match(parse(await c.next()).error, /^this client has 3 queries waiting, the most allowed for one client \(--max-client-queue\)/);
    c.socket.end();
    other.socket.end();
  });

  it('an image frame to a default model without an image input, the page’s errors, a timeout, a page leaving: error frames', async () => {
    const c = await open(f.listeners.tcp!);
    c.socket.write(encodeFrame(JPEG));
    assert.deepEqual(parse(await c.next()), { error: 'the default model "echo" takes no image: send a JSON query' });
    for (const code of ['bad_request', 'model_failed', 'too_large', 'unknown']) {
      c.socket.write(json({ x: 1, act: 'fail', code, message: `page: ${code}` }));
      assert.deepEqual(parse(await c.next()), { error: `page: ${code}` });
    }
    c.socket.write(json({ x: 1, act: 'never' }));
    assert.deepEqual(parse(await c.next()), { error: '"echo" did not answer within 1 s (--timeout)' });
    c.socket.write(json({ x: 1, act: 'leave' }));
    assert.match(parse(await c.next()).error, /^the page running "echo" went away before answering/);
    assert.equal(c.closed, false, 'the connection stays');
    await f.page.ready(f.bridge.core);
    c.socket.write(json({ x: 2 }));
    assert.deepEqual(parse(await c.next()), { y: 2 });
    c.socket.end();
  });
});

describe('TCP against a fake page: a default model whose output is an image', () => {
  let f: FakeBridge;
  before(async () => { f = await startFakeBridge({ model: 'mirror' }); });
  after(async () => { await f?.close(); });

  it('answers an image frame with the output image itself, not an annotated picture', async () => {
    const c = await open(f.listeners.tcp!);
    c.socket.write(encodeFrame(JPEG));
    assert.deepEqual(await c.next(), Buffer.from(JPEG));
    c.socket.end();
  });
});
