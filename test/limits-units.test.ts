// The header readers that refuse a query before anything decodes it (web/contract/image-size.ts,
// web/contract/wav.ts), on real files and adversarial ones: truncated, lying lengths, endless marker
// chains. Work is held linear by counting the readers' steps, never by the clock.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deflateSync } from 'node:zlib';
import {
  audioRefusal, imageRefusal, imageSize, imageSizeSteps, readWavHeader, DEFAULT_MAX_PIXELS, MAX_SAMPLE_RATE, MIN_SAMPLE_RATE,
} from '../web/contract/index.ts';
import { fixture } from './helpers/fixtures.ts';
import { bigPng, hugeJpeg, wav } from './helpers/media.ts';

const MB = 1 << 20;

/** Runs `read` with the step counter reset; returns the steps it took. */
function steps(read: () => void): number {
  imageSizeSteps.count = 0;
  read();
  return imageSizeSteps.count;
}

describe('image header reader', () => {
  it('reads the fixtures as the files are', () => {
    assert.deepEqual(imageSize(fixture('astronaut.png')), { type: 'png', width: 512, height: 512 });
    const jpeg = imageSize(fixture('astronaut.jpg'));
    assert.ok(jpeg && 'width' in jpeg && jpeg.type === 'jpeg' && jpeg.width > 0 && jpeg.height > 0);
    assert.deepEqual(imageSize(fixture('astronaut-256.jpg')), { type: 'jpeg', width: 256, height: 256 });
  });

  it('reads every format from its header alone', () => {
    assert.deepEqual(imageSize(bigPng(20000, 20000)), { type: 'png', width: 20000, height: 20000 });
    assert.deepEqual(imageSize(hugeJpeg(65000, 60000)), { type: 'jpeg', width: 65000, height: 60000 });
    const gif = Buffer.alloc(13); gif.write('GIF89a'); gif.writeUInt16LE(300, 6); gif.writeUInt16LE(200, 8);
    assert.deepEqual(imageSize(gif), { type: 'gif', width: 300, height: 200 });
    // A frame larger than its screen grows it, as browsers do.
    const frame = Buffer.alloc(10); frame[0] = 0x2c; frame.writeUInt16LE(10, 1); frame.writeUInt16LE(0, 3); frame.writeUInt16LE(60000, 5); frame.writeUInt16LE(50000, 7);
    const ext = Buffer.from([0x21, 0xf9, 4, 0, 0, 0, 0, 0]);
    assert.deepEqual(imageSize(Buffer.concat([gif, ext, frame])), { type: 'gif', width: 60010, height: 50000 });
    const riff = (chunk: string, body: Buffer) => { const b = Buffer.alloc(20); b.write('RIFF'); b.write('WEBP', 8); b.write(chunk, 12); return Buffer.concat([b, body]); };
    const vp8 = Buffer.alloc(10); vp8.set([0x9d, 0x01, 0x2a], 3); vp8.writeUInt16LE(16383, 6); vp8.writeUInt16LE(100, 8);
    assert.deepEqual(imageSize(riff('VP8 ', vp8)), { type: 'webp', width: 16383, height: 100 });
    const vp8l = Buffer.alloc(10); vp8l[0] = 0x2f; vp8l.writeUInt32LE((640 - 1) | ((480 - 1) << 14), 1);
    assert.deepEqual(imageSize(riff('VP8L', vp8l)), { type: 'webp', width: 640, height: 480 });
    const vp8x = Buffer.alloc(10); vp8x.writeUIntLE(20000 - 1, 4, 3); vp8x.writeUIntLE(30000 - 1, 7, 3);
    assert.deepEqual(imageSize(riff('VP8X', vp8x)), { type: 'webp', width: 20000, height: 30000 });
    const bmp = Buffer.alloc(26); bmp.write('BM'); bmp.writeUInt32LE(40, 14); bmp.writeInt32LE(4000, 18); bmp.writeInt32LE(-3000, 22);
    assert.deepEqual(imageSize(bmp), { type: 'bmp', width: 4000, height: 3000 });
  });

  it('refuses by declared pixels, naming the limit and the size; admits a 24 MP photo by default', () => {
    const refused = imageRefusal(bigPng(20000, 20000), DEFAULT_MAX_PIXELS);
    assert.equal(refused?.code, 'too_large');
    assert.match(refused!.why, /20000×20000 PNG is 400000000 pixels, over the limit of 40000000 \(--max-pixels\)/);
    assert.equal(imageRefusal(hugeJpeg(6000, 4000), DEFAULT_MAX_PIXELS), undefined);
    assert.equal(imageRefusal(fixture('astronaut.jpg'), DEFAULT_MAX_PIXELS), undefined);
  });

  it('truncated and nonsensical headers are refused as bad requests, never thrown', () => {
    const png = fixture('astronaut.png'), jpeg = fixture('astronaut.jpg');
    for (const bytes of [png.subarray(0, 8), png.subarray(0, 20), jpeg.subarray(0, 3), jpeg.subarray(0, 40), Buffer.from('GIF89a'),
      Buffer.from('RIFF\0\0\0\0WEBP'), Buffer.from('BM'), bigPng(0, 100), hugeJpeg(0, 100)]) {
      const refused = imageRefusal(bytes, DEFAULT_MAX_PIXELS);
      assert.equal(refused?.code, 'bad_request', `${bytes.byteLength} bytes: ${JSON.stringify(refused)}`);
    }
    // Every prefix of a real JPEG: an answer, never an exception, never out of bounds.
    for (let n = 0; n < Math.min(jpeg.byteLength, 2000); n++) imageSize(jpeg.subarray(0, n));
    assert.equal(imageRefusal(Buffer.from('hello'), DEFAULT_MAX_PIXELS)?.code, 'bad_request');
  });

  it('a JPEG whose segment lengths lie (0, 1, past the end) is refused', () => {
    for (const length of [0, 1, 0xffff]) {
      const b = Buffer.from([0xff, 0xd8, 0xff, 0xe0, length >> 8, length & 0xff, 0, 0]);
      assert.equal(imageRefusal(b, DEFAULT_MAX_PIXELS)?.code, 'bad_request');
    }
  });

  it('endless marker chains and sub-block chains take steps linear in their size (1 MB inputs)', () => {
    const cases: [string, Buffer][] = [
      // 1 MB of fill bytes after SOI.
      ['JPEG fill bytes', Buffer.concat([Buffer.from([0xff, 0xd8]), Buffer.alloc(MB, 0xff)])],
      // 1 MB of empty segments (APP0 of length 2), the shortest a segment can be.
      ['JPEG empty segments', Buffer.concat([Buffer.from([0xff, 0xd8]), Buffer.from(new Uint8Array(MB).map((_, i) => [0xff, 0xe0, 0, 2][i % 4]!))])],
      // 1 MB of RST markers (standalone: no length).
      ['JPEG RST markers', Buffer.concat([Buffer.from([0xff, 0xd8]), Buffer.from(new Uint8Array(MB).map((_, i) => (i % 2 ? 0xd0 : 0xff)))])],
      // A GIF extension of 1 MB of one-byte sub-blocks.
      ['GIF sub-blocks', Buffer.concat([Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00', 'latin1'), Buffer.from([0x21, 0xfe]), Buffer.from(new Uint8Array(MB).fill(1))])],
      // 1 MB of GIF extensions with no sub-blocks.
      ['GIF extensions', Buffer.concat([Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00', 'latin1'), Buffer.from(new Uint8Array(MB).map((_, i) => [0x21, 0xfe, 0][i % 3]!))])],
    ];
    for (const [what, bytes] of cases) {
      const n = steps(() => imageRefusal(bytes, DEFAULT_MAX_PIXELS));
      assert.ok(n <= bytes.byteLength + 10, `${what}: ${n} steps for ${bytes.byteLength} bytes`);
      assert.ok(n > 0, `${what}: the reader walked it`);
    }
  });
});

describe('WAV header reader', () => {
  it('reads the fixtures', () => {
    const h = readWavHeader(fixture('speech.wav'));
    assert.ok(typeof h !== 'string' && h.sampleRate >= MIN_SAMPLE_RATE && h.frames > 0);
  });

  it('a rate of 1 Hz is refused before any sample is read; so is one over the highest', () => {
    const h = readWavHeader(wav(1, 10_000));
    assert.ok(typeof h !== 'string');
    assert.equal(h.sampleRate, 1);
    const refused = audioRefusal(h.frames, h.sampleRate, 600);
    assert.equal(refused?.code, 'bad_request');
    assert.match(refused!.why, /1 Hz is outside 8000–384000 Hz/);
    assert.equal(audioRefusal(10, MAX_SAMPLE_RATE + 1, 600)?.code, 'bad_request');
  });

  it('a long recording is refused by what the file holds and declares; a data chunk that lies is cut to the file', () => {
    // 700 s at 8 kHz declared, and held.
    const long = wav(8000, 8000 * 700);
    const h = readWavHeader(long);
    assert.ok(typeof h !== 'string');
    const refused = audioRefusal(h.frames, h.sampleRate, 600);
    assert.equal(refused?.code, 'too_large');
    assert.match(refused!.why, /700 s of audio is over the limit of 600 s \(--max-audio-seconds\)/);
    // A data chunk claiming 4 GiB in a small file: only what is there counts.
    const liar = wav(16000, 100);
    liar.writeUInt32LE(0xffffffff, 40);
    const l = readWavHeader(liar);
    assert.ok(typeof l !== 'string' && l.frames === 100);
  });

  it('chunk chains and truncated files answer with a reason, in steps bounded by the file', () => {
    assert.match(String(readWavHeader(Buffer.from('RIFF\0\0\0\0WAVE'))), /no fmt chunk/);
    const fmtOnly = wav(16000, 10).subarray(0, 30);
    assert.equal(typeof readWavHeader(fmtOnly), 'string');
    // 1 MB of empty chunks: each moves the walk 8 bytes.
    const chain = Buffer.concat([Buffer.from('RIFF\0\0\0\0WAVE'), Buffer.from(new Uint8Array(MB).map((_, i) => (i % 8 < 4 ? 'junk'.charCodeAt(i % 8) : 0)))]);
    assert.match(String(readWavHeader(chain)), /no fmt chunk/);
  });
});

// The generators the end-to-end tests use make what they say.
describe('attack media generators', () => {
  it('bigPng is a small file; its rows are zlib data', () => {
    const png = bigPng(20000, 20000);
    assert.ok(png.byteLength < 64 * 1024, `${png.byteLength} bytes`);
    assert.ok(deflateSync(Buffer.alloc(1)).byteLength > 0);
  });
});

describe('run queue', () => {
  it('a run whose signal aborted before its turn never starts; the others run in order', async () => {
    const { RunQueue } = await import('../web/runtime/run-queue.ts');
    const queue = new RunQueue();
    const ran: number[] = [];
    let release!: () => void;
    const first = queue.run(() => new Promise<void>((r) => { release = r; ran.push(1); }));
    const gone = new AbortController();
    const second = queue.run(async () => { ran.push(2); }, gone.signal);
    const third = queue.run(async () => { ran.push(3); });
    gone.abort('its client went away');
    await new Promise((r) => setImmediate(r));
    release();
    await first;
    await assert.rejects(second, (e: Error & { code?: string }) => e.code === 'dropped' && /its client went away/.test(e.message));
    await third;
    assert.deepEqual(ran, [1, 3]);
  });
});
