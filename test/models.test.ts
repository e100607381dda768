// Each bundled model answers over HTTP on a real fixture with outputs a person would accept.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dataUri, fixture, postJson, startHarness, type Harness } from './helpers/page.ts';
import { assertFaces } from './helpers/assertions.ts';

describe('models over HTTP', () => {
  let h: Harness;
  before(async () => { h = await startHarness({ models: ['line-segments', 'ocr', 'voice-activity', 'face-detection-short'] }); });
  after(async () => { await h?.close(); });

  it('every model is listed with its info and is ready', async () => {
    const { models } = (await (await fetch(`${h.url}/models`)).json()) as { models: { id: string; state: string }[] };
    for (const id of ['line-segments', 'ocr', 'voice-activity', 'face-detection-short']) {
      assert.equal(models.find((m) => m.id === id)?.state, 'ready', id);
    }
  });

  it('line-segments finds the four edges of a rectangle the test draws', async () => {
    // A dark 384×192 rectangle at (128, 144) on a white 640×480 image: edges at x 0.2 and 0.8, y 0.3 and 0.7.
    const image = await h.page.evaluate(() => {
      const c = document.createElement('canvas');
      c.width = 640; c.height = 480;
      const g = c.getContext('2d')!;
      g.fillStyle = '#fff'; g.fillRect(0, 0, 640, 480);
      g.fillStyle = '#222'; g.fillRect(128, 144, 384, 192);
      return c.toDataURL('image/png');
    });
    const res = await postJson(`${h.url}/models/line-segments/query`, { image });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const lines = res.body.lines as { line: number[]; score: number }[];
    const near = (a: number, b: number) => Math.abs(a - b) < 0.03;
    const edges = {
      top: (l: number[]) => near(l[1]!, 0.3) && near(l[3]!, 0.3) && Math.abs(l[2]! - l[0]!) > 0.4,
      bottom: (l: number[]) => near(l[1]!, 0.7) && near(l[3]!, 0.7) && Math.abs(l[2]! - l[0]!) > 0.4,
      left: (l: number[]) => near(l[0]!, 0.2) && near(l[2]!, 0.2) && Math.abs(l[3]! - l[1]!) > 0.3,
      right: (l: number[]) => near(l[0]!, 0.8) && near(l[2]!, 0.8) && Math.abs(l[3]! - l[1]!) > 0.3,
    };
    for (const [name, test] of Object.entries(edges)) {
      assert.ok(lines.some((l) => l.score > 0.5 && test(l.line)), `no segment along the ${name} edge in ${JSON.stringify(lines)}`);
    }
  });

  it('ocr reads known words from a printed page', async () => {
    const res = await postJson(`${h.url}/models/ocr/query`, { image: dataUri('page.png', 'image/png') });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const { text, lines } = res.body as { text: string; lines: { text: string; box: number[]; score: number }[] };
    assert.match(text, /Region-based segmentation/);
    assert.match(text, /markers/);
    assert.match(text, /histogram of grey values/);
    assert.equal(lines[0]!.text, 'Region-based segmentation');
    // The heading is the top line, across most of the page's width.
    const [x, y, w] = lines[0]!.box;
    assert.ok(x! < 0.05 && y! < 0.15 && w! > 0.5, `heading box ${lines[0]!.box}`);
    assert.ok(lines.every((l) => l.score >= 0.5));
  });

  it('face-detection-short finds the astronaut\'s face too', async () => {
    const res = await postJson(`${h.url}/models/face-detection-short/query`, { image: dataUri('astronaut.jpg', 'image/jpeg') });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assertFaces(res.body);
  });

  it('voice-activity marks the spoken part of a WAV as speech', async () => {
    const res = await postJson(`${h.url}/models/voice-activity/query`, { audio: `data:audio/wav;base64,${fixture('speech.wav').toString('base64')}` });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.speech, true);
    // espeak's sentence runs from 1.5 s to about 6.5 s, with silence around it.
    const [seg] = res.body.segments as { start: number; end: number }[];
    assert.ok(seg && seg.start > 1.2 && seg.start < 2.0 && seg.end > 5.5 && seg.end < 7.0, JSON.stringify(res.body.segments));
    assert.equal(res.body.frameSeconds, 0.032);
    assert.equal(res.body.probabilities.length, Math.floor(128951 / 512));
  });

  it('voice-activity finds no speech in silence, also as PCM samples', async () => {
    const wav = await postJson(`${h.url}/models/voice-activity/query`, { audio: `data:audio/wav;base64,${fixture('silence.wav').toString('base64')}` });
    assert.equal(wav.status, 200);
    assert.equal(wav.body.speech, false);
    assert.deepEqual(wav.body.segments, []);
    const pcm = await postJson(`${h.url}/models/voice-activity/query`, { audio: new Array(8000).fill(0), sampleRate: 8000 });
    assert.equal(pcm.status, 200);
    assert.equal(pcm.body.speech, false);
    assert.equal(pcm.body.probabilities.length, Math.floor(16000 / 512));
  });

  it('voice-activity keeps its state across calls of one stream', async () => {
    // The speech file in 1 s pieces: the stream's segment times run on from call to call.
    const wav = fixture('speech.wav');
    const samples = new Int16Array(wav.buffer.slice(wav.byteOffset + 44, wav.byteOffset + wav.byteLength - ((wav.byteLength - 44) % 2)));
    const segments: { start: number; end: number }[] = [];
    let speech = false;
    for (let at = 0; at < samples.length; at += 16000) {
      const chunk = Array.from(samples.subarray(at, at + 16000), (v) => v / 32768);
      const res = await postJson(`${h.url}/models/voice-activity/query`, { audio: chunk, stream: 'mic-1' });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      segments.push(...res.body.segments);
      speech ||= res.body.speech;
    }
    assert.ok(speech);
    assert.ok(segments.length >= 1 && segments[0]!.start > 1.2 && segments[0]!.start < 2.0, JSON.stringify(segments));
  });

  it('audio that is no WAV is refused before the page, naming the input', async () => {
    const res = await postJson(`${h.url}/models/voice-activity/query`, { audio: `data:audio/wav;base64,${Buffer.from('not a wav file').toString('base64')}` });
    assert.equal(res.status, 400);
    assert.equal(res.body.error, 'input "audio": not a WAV file (no RIFF/WAVE header) (14 bytes)');
    const bad = await postJson(`${h.url}/models/voice-activity/query`, { audio: [0, 'x'] });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error, /input "audio"/);
  });
});
