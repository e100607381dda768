// The adapters' pure parts on fixed tensors: line decoding, OCR post-processing, speech segments, WAV.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeSegments } from '../web/runtime/adapters/line-detector.ts';
import { ctcDecode, readingOrder, textBoxes } from '../web/runtime/adapters/ocr.ts';
import { segmentSpeech } from '../web/runtime/adapters/voice-activity.ts';
import { parseWav, resample } from '../web/runtime/audio.ts';

describe('line segments (M-LSD)', () => {
  it('turns a centre score and end offsets into a normalized segment; keeps one per 3×3 peak', () => {
    const grid = 4;
    const scores = new Float32Array(16);
    const offsets = new Float32Array(64);
    scores[5] = 0.9; // cell (1, 1)
    scores[6] = 0.5; // its neighbour: suppressed
    offsets.set([-1, 0, 2, 0], 5 * 4); // from (0, 1) to (3, 1) in cells
    offsets.set([0, -1, 0, 2], 6 * 4);
    const out = decodeSegments(scores, offsets, grid, 0.1, 0.1, 10);
    assert.deepEqual(out, [{ line: [0, 0.25, 0.75, 0.25], score: scores[5] }]);
  });

  it('drops short segments and low scores, and sorts by score', () => {
    const grid = 8;
    const scores = new Float32Array(64);
    const offsets = new Float32Array(256);
    scores[0] = 0.3; offsets.set([0, 0, 4, 0], 0);      // long, weak
    scores[27] = 0.8; offsets.set([0, 0, 0.1, 0], 108); // strong but short
    scores[45] = 0.6; offsets.set([0, 0, 0, 3], 180);   // long
    scores[63] = 0.05; offsets.set([0, 0, -5, 0], 252); // below threshold
    const out = decodeSegments(scores, offsets, grid, 0.1, 0.1, 10);
    assert.deepEqual(out.map((s) => s.score), [scores[45], scores[0]]);
  });
});

describe('OCR post-processing', () => {
  it('finds text regions, grows them by the unclip distance, and drops weak ones', () => {
    const w = 20, h = 10;
    const prob = new Float32Array(w * h);
    for (let y = 2; y < 5; y++) for (let x = 2; x < 12; x++) prob[y * w + x] = 0.9; // 10×3 region
    for (let y = 7; y < 10; y++) for (let x = 14; x < 18; x++) prob[y * w + x] = 0.4; // weak region
    const boxes = textBoxes(prob, w, h, 0.3, 0.6, 1.5);
    assert.equal(boxes.length, 1);
    const d = (10 * 3 * 1.5) / (2 * 13);
    const b = boxes[0]!;
    assert.ok(Math.abs(b.x - (2 - d)) < 1e-6 && Math.abs(b.y - (2 - d)) < 1e-6);
    assert.ok(Math.abs(b.w - (10 + 2 * d)) < 1e-6 && Math.abs(b.h - (3 + 2 * d)) < 1e-6);
    assert.ok(Math.abs(b.score - 0.9) < 1e-6);
  });

  it('orders boxes top to bottom, left to right within a line', () => {
    const box = (x: number, y: number) => ({ x, y, w: 5, h: 5, score: 1 });
    assert.deepEqual(readingOrder([box(50, 22), box(0, 20), box(0, 0), box(30, 3)], 5).map((b) => [b.x, b.y]),
      [[0, 0], [30, 3], [0, 20], [50, 22]]);
  });

  it('CTC: best class per step, repeats merged, blanks dropped', () => {
    const chars = ['a', 'b', ' '];
    // steps: a a blank a b b blank → "aab"
    const best = [1, 1, 0, 1, 2, 2, 0];
    const probs = new Float32Array(best.length * 4);
    best.forEach((c, t) => { probs.fill(0.1, t * 4, t * 4 + 4); probs[t * 4 + c] = 0.7; });
    const out = ctcDecode(probs, best.length, 4, chars);
    assert.equal(out.text, 'aab');
    assert.ok(Math.abs(out.score - 0.7) < 1e-6);
    assert.deepEqual(ctcDecode(new Float32Array(8).fill(0).map((_, i) => (i % 4 === 0 ? 1 : 0)), 2, 4, chars), { text: '', score: 0 });
  });
});

describe('speech segments', () => {
  const p = { positiveThreshold: 0.5, negativeThreshold: 0.35, minSpeechSeconds: 0.25, minSilenceSeconds: 0.3 };
  const fresh = () => ({ inSpeech: false, speechStart: 0, silenceStart: -1 });

  it('opens above the positive threshold and closes after enough silence', () => {
    // 0.1 s frames; 0.4 lies between the thresholds, so speech goes on through it.
    const probs = [0, 0, ...Array(20).fill(0.9), 0.4, ...Array(12).fill(0.1)];
    const segs = segmentSpeech(probs, 0, 0.1, p, fresh(), true);
    assert.deepEqual(segs, [{ start: 0.2, end: 2.3 }]);
  });

  it('ignores blips shorter than minSpeechSeconds, bridges short pauses', () => {
    assert.deepEqual(segmentSpeech([0.9, 0.1, 0.1, 0.1, 0.1], 0, 0.1, p, fresh(), true), []);
    const pause = [...Array(5).fill(0.9), 0.1, 0.1, ...Array(5).fill(0.9)];
    assert.deepEqual(segmentSpeech(pause, 0, 0.1, p, fresh(), true), [{ start: 0, end: 1.2 }]);
  });

  it('carries an open segment across calls of a stream', () => {
    const s = fresh();
    assert.deepEqual(segmentSpeech(Array(5).fill(0.9), 0, 0.1, p, s, false), []);
    assert.ok(s.inSpeech);
    assert.deepEqual(segmentSpeech([...Array(5).fill(0.9), 0, 0, 0, 0], 5, 0.1, p, s, false), [{ start: 0, end: 1 }]);
  });
});

describe('WAV and resampling', () => {
  const wav = (rate: number, channels: number, bits: number, samples: number[]) => {
    const width = bits / 8;
    const data = Buffer.alloc(samples.length * width);
    samples.forEach((v, i) => (bits === 16 ? data.writeInt16LE(v, i * 2) : data.writeUInt8(v, i)));
    const header = Buffer.alloc(44);
    header.write('RIFF', 0); header.writeUInt32LE(36 + data.length, 4); header.write('WAVE', 8);
    header.write('fmt ', 12); header.writeUInt32LE(16, 16); header.writeUInt16LE(1, 20); header.writeUInt16LE(channels, 22);
    header.writeUInt32LE(rate, 24); header.writeUInt32LE(rate * channels * width, 28); header.writeUInt16LE(channels * width, 32);
    header.writeUInt16LE(bits, 34); header.write('data', 36); header.writeUInt32LE(data.length, 40);
    return new Uint8Array(Buffer.concat([header, data]));
  };

  it('reads 16-bit stereo, mixing to mono', () => {
    const pcm = parseWav(wav(8000, 2, 16, [16384, 0, -32768, -32768]));
    assert.equal(pcm.sampleRate, 8000);
    assert.deepEqual([...pcm.samples], [0.25, -1]);
  });

  it('reads 8-bit unsigned', () => {
    assert.deepEqual([...parseWav(wav(16000, 1, 8, [128, 192, 0])).samples], [0, 0.5, -1]);
  });

  it('refuses what is no WAV', () => {
    assert.throws(() => parseWav(new Uint8Array(20)), /not a WAV file/);
  });

  it('resamples linearly', () => {
    assert.deepEqual([...resample(Float32Array.from([0, 1, 0, -1]), 8000, 16000)], [0, 0.5, 1, 0.5, 0, -0.5, -1, -1]);
    const down = resample(Float32Array.from([0, 1, 2, 3]), 16000, 8000);
    assert.deepEqual([...down], [0, 2]);
  });
});
