// Length-prefixed TCP with the real bridge and page: the seed's client (Python, one connection per
// image), many images over one connection, JSON, and every way a peer can get the framing wrong.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { fixture, startHarness, type Harness } from './helpers/page.ts';
import { FrameDecoder, encodeFrame } from '../bridge/protocols/framing.ts';

// The example client, written like the seed's alwaysAI client.
const CLIENT = fileURLToPath(new URL('../examples/python/alwaysai_client.py', import.meta.url));
const FIXTURE = fileURLToPath(new URL('./fixtures/astronaut.jpg', import.meta.url));

/** Width and height from a JPEG's start-of-frame marker. */
function jpegSize(b: Buffer): { width: number; height: number } {
  assert.equal(b[0], 0xff);
  assert.equal(b[1], 0xd8, 'a JPEG starts with FF D8');
  for (let i = 2; i < b.length;) {
    if (b[i] !== 0xff) { i++; continue; }
    const marker = b[i + 1]!;
    if (marker >= 0xc0 && marker <= 0xc3) return { height: b.readUInt16BE(i + 5), width: b.readUInt16BE(i + 7) };
    i += 2 + b.readUInt16BE(i + 2);
  }
  throw new Error('no SOF marker');
}

/** A raw connection that collects answer frames. */
function open(url: string): Promise<{ socket: Socket; frames: Buffer[]; next(): Promise<Buffer>; closed: Promise<void> }> {
  const u = new URL(url.replace('tcp:', 'http:'));
  return new Promise((resolve, reject) => {
    const socket = connect(Number(u.port), u.hostname);
    const decoder = new FrameDecoder(64 * 2 ** 20);
    const frames: Buffer[] = [];
    const waiting: ((f: Buffer) => void)[] = [];
    socket.on('data', (d) => {
      for (const f of decoder.push(d)) {
        const w = waiting.shift();
        if (w) w(f); else frames.push(f);
      }
    });
    const closed = new Promise<void>((r) => socket.on('close', () => r()));
    socket.on('error', () => {});
    socket.once('connect', () => resolve({
      socket, frames, closed,
      next: () => (frames.length ? Promise.resolve(frames.shift()!) : new Promise<Buffer>((r) => waiting.push(r))),
    }));
    socket.once('error', reject);
  });
}

describe('TCP (alwaysAI framing) through the real page', () => {
  let h: Harness;
  let url: string;
  let host: string;
  let port: string;
  before(async () => {
    h = await startHarness();
    url = h.bridge.listeners.tcp!;
    ({ hostname: host, port } = new URL(url.replace('tcp:', 'http:')));
  });
  after(async () => { await h?.close(); });

  it('answers the seed\'s client (one connection per image) with the same-size JPEG, the face drawn on it', async () => {
    const out = mkdtempSync(join(tmpdir(), 'pagebridge-tcp-'));
    const { stdout } = await promisify(execFile)('python3', [CLIENT, host, port, out, FIXTURE]);
    assert.match(stdout, /1 answers written/);
    const answer = readFileSync(join(out, '0.jpg'));
    assert.deepEqual(jpegSize(answer), { width: 512, height: 512 });
    // Compare with the input in the page: the pixels change on the drawn box, not elsewhere.
    // (No named functions inside: the test runner's transform would wrap them in a helper the page lacks.)
    const diff = await h.page.evaluate(async (pair) => {
      const [x, y] = await Promise.all(pair.map(async (b64) => {
        const bmp = await createImageBitmap(await (await fetch(`data:image/jpeg;base64,${b64}`)).blob());
        const c = new OffscreenCanvas(bmp.width, bmp.height);
        const g = c.getContext('2d')!;
        g.drawImage(bmp, 0, 0);
        return g.getImageData(0, 0, bmp.width, bmp.height).data;
      }));
      // Mean absolute difference in a band along the face box's top edge (y ≈ 74 px, x 173..277)
      // and in a patch far from any drawing (bottom-left).
      const out = { box: 0, elsewhere: 0 };
      for (const [key, x0, x1, y0, y1] of [['box', 180, 270, 70, 80], ['elsewhere', 10, 100, 400, 500]] as const) {
        let sum = 0, n = 0;
        for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) for (let k = 0; k < 3; k++) { sum += Math.abs(x![(yy * 512 + xx) * 4 + k]! - y![(yy * 512 + xx) * 4 + k]!); n++; }
        out[key] = sum / n;
      }
      return out;
    }, [fixture('astronaut.jpg').toString('base64'), answer.toString('base64')]);
    assert.ok(diff.box > 20 && diff.box > 5 * diff.elsewhere, JSON.stringify(diff));
    // The picture was this client's alone: /data holds the outputs, not the image.
    assert.deepEqual(Object.keys(await (await fetch(`${h.url}/data`)).json()), ['faces']);
  });

  it('answers 20 images over one connection, in order', async () => {
    const out = mkdtempSync(join(tmpdir(), 'pagebridge-tcp-'));
    const { stdout } = await promisify(execFile)('python3', [CLIENT, '--one-connection', host, port, out, ...Array(20).fill(FIXTURE)]);
    assert.match(stdout, /20 answers written/);
    for (let i = 0; i < 20; i++) assert.deepEqual(jpegSize(readFileSync(join(out, `${i}.jpg`))), { width: 512, height: 512 });
  });

  it('answers a JSON query with JSON, and a bad one with an error frame', async () => {
    const c = await open(url);
    c.socket.write(encodeFrame(Buffer.from(JSON.stringify({ image: `data:image/jpeg;base64,${fixture('astronaut.jpg').toString('base64')}` }))));
    c.socket.write(encodeFrame(Buffer.from('{"image": 5}')));
    c.socket.write(encodeFrame(Buffer.from('{not json')));
    c.socket.write(encodeFrame(Buffer.from('plain words')));
    const good = JSON.parse((await c.next()).toString());
    assert.ok(good.faces[0].score > 0.5);
    assert.match(JSON.parse((await c.next()).toString()).error, /input "image" must be a string/);
    assert.match(JSON.parse((await c.next()).toString()).error, /starts with "\{" but is not JSON/);
    assert.match(JSON.parse((await c.next()).toString()).error, /neither a JPEG or PNG image nor a JSON object/);
    c.socket.end();
  });

  it('takes frames split into 1-byte writes, and two frames in one write', async () => {
    const c = await open(url);
    const json = encodeFrame(Buffer.from(JSON.stringify({ image: fixture('astronaut.jpg').toString('base64') })));
    for (const byte of json.subarray(0, 200)) { c.socket.write(Buffer.from([byte])); }
    c.socket.write(json.subarray(200));
    assert.ok(JSON.parse((await c.next()).toString()).faces.length >= 1);
    const image = encodeFrame(fixture('astronaut.jpg'));
    c.socket.write(Buffer.concat([image, json]));
    assert.deepEqual(jpegSize(await c.next()), { width: 512, height: 512 });
    assert.ok(JSON.parse((await c.next()).toString()).faces.length >= 1);
    c.socket.end();
  });

  it('a zero length or a 1 GiB length gets an error frame and the connection closes; others go on', async () => {
    const zero = await open(url);
    zero.socket.write(Buffer.from([0, 0, 0, 0]));
    assert.match(JSON.parse((await zero.next()).toString()).error, /length 0/);
    await zero.closed;

    const huge = await open(url);
    const header = Buffer.alloc(4);
    header.writeUInt32LE(2 ** 30);
    huge.socket.write(header);
    huge.socket.write(Buffer.alloc(1000, 1));
    assert.match(JSON.parse((await huge.next()).toString()).error, /1073741824 bytes is over the limit/);
    await huge.closed;

    // A peer that sends half a frame and vanishes costs only its own socket.
    const half = await open(url);
    half.socket.write(encodeFrame(fixture('astronaut.jpg')).subarray(0, 5000));
    half.socket.destroy();

    const other = await open(url);
    other.socket.write(encodeFrame(fixture('astronaut.jpg')));
    assert.deepEqual(jpegSize(await other.next()), { width: 512, height: 512 });
    other.socket.end();
  });
});
