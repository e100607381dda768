// What one query may cost, tried as an attacker would, against the real bridge and a real headless page:
// images that declare huge sizes, WAV files with absurd rates and lengths, clients that give up, a
// timed-out query, a program flooding queries. Each time the bridge and the page stay healthy and a good
// client's query is answered. Work done is asserted by counts (the bridge's cancellations, the page's
// answers), never by the clock.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dataUri, fixture, health, postJson, startHarness, until, type Harness } from './helpers/page.ts';
import { RuntimeClient } from './helpers/runtime-client.ts';
import { program } from './helpers/runtime-programs.ts';
import { bigPng, hugeJpeg, wav } from './helpers/media.ts';

const FACE = dataUri('astronaut-256.jpg', 'image/jpeg');
const wavUri = (bytes: Buffer) => `data:audio/wav;base64,${bytes.toString('base64')}`;

async function goodQuery(h: Harness): Promise<void> {
  const res = await postJson(`${h.url}/models/face-detection/query`, { image: FACE });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.ok(Array.isArray(res.body.faces) && res.body.faces.length >= 1);
}

async function healthy(h: Harness): Promise<void> {
  const state = await health(h.url);
  assert.equal(state.status, 'ok');
  assert.equal(state.pages, 1);
}

describe('limits: what one query may cost', () => {
  let h: Harness;
  before(async () => {
    // A short timeout: the long recording below outlasts it, and its timing out is one of the cases.
    h = await startHarness({ models: ['face-detection', 'voice-activity'], timeout: 2, maxAudioSeconds: 600 });
  });
  after(() => h?.close());

  it('a 20000×20000 PNG is refused with 413 naming the limit and its size, before the page; a good query is answered meanwhile', async () => {
    const png = bigPng(20000, 20000);
    const [bad, ok] = await Promise.all([
      fetch(`${h.url}/models/face-detection/query`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: new Uint8Array(png) }),
      goodQuery(h),
    ]);
    assert.equal(bad.status, 413);
    const { error } = await bad.json() as { error: string };
    assert.match(error, /20000×20000 PNG is 400000000 pixels, over the limit of 40000000 \(--max-pixels\)/);
    assert.equal(ok, undefined);
    await healthy(h);
  });

  it('a JPEG whose frame header claims 65000×60000 is refused with 413 (JSON data URI)', async () => {
    const res = await postJson(`${h.url}/models/face-detection/query`, { image: `data:image/jpeg;base64,${hugeJpeg(65000, 60000).toString('base64')}` });
    assert.equal(res.status, 413);
    assert.match(res.body.error, /input "image" is too large: a 65000×60000 JPEG/);
    await goodQuery(h);
    await healthy(h);
  });

  it('a WAV at 1 Hz is refused (400) before it is resampled; one longer than --max-audio-seconds gets 413', async () => {
    const slow = await postJson(`${h.url}/models/voice-activity/query`, { audio: wavUri(wav(1, 10_000)) });
    assert.equal(slow.status, 400);
    assert.match(slow.body.error, /1 Hz is outside 8000–384000 Hz/);
    const long = await postJson(`${h.url}/models/voice-activity/query`, { audio: wavUri(wav(8000, 8000 * 650)) });
    assert.equal(long.status, 413);
    assert.match(long.body.error, /650 s of audio is over the limit of 600 s \(--max-audio-seconds\)/);
    // PCM samples at a rate under the floor: the model's own input range refuses it at the bridge.
    const pcm = await postJson(`${h.url}/models/voice-activity/query`, { audio: [0, 0, 0], sampleRate: 1 });
    assert.equal(pcm.status, 400);
    await goodQuery(h);
    await healthy(h);
  });

  it('a timed-out query stops holding the page: 504, the page told, the run stopped at its next step', async () => {
    const before = h.bridge.core.cancellations();
    // 600 s of audio (resampled to 16 kHz): 18,750 inferences, more than the 2 s --timeout allows on this machine.
    const res = await postJson(`${h.url}/models/voice-activity/query`, { audio: wavUri(wav(8000, 8000 * 600, 8)) });
    assert.equal(res.status, 504, JSON.stringify(res.body));
    const after = await until(() => {
      const c = h.bridge.core.cancellations();
      return c.droppedByPage + c.finishedAnyway > before.droppedByPage + before.finishedAnyway && c;
    }, 20_000, "the page's answer to the cancel");
    assert.equal(after.sent, before.sent + 1);
    assert.equal(after.droppedByPage, before.droppedByPage + 1, 'the page dropped the run part-way');
    assert.equal(after.finishedAnyway, before.finishedAnyway);
    await goodQuery(h);
    await healthy(h);
  });

  it('HTTP clients that disconnect mid-wait: their queries are dropped by the page before they run', async () => {
    const before = h.bridge.core.cancellations();
    // The page is kept busy by a long recording (it will time out too), so that the others wait in its queue.
    const blocker = postJson(`${h.url}/models/voice-activity/query`, { audio: wavUri(wav(8000, 8000 * 600, 8)) });
    await until(() => h.bridge.core.inFlight >= 1, 10_000, 'the long query at the page');
    const quitters = Array.from({ length: 5 }, () => new AbortController());
    const sent = quitters.map((ac) => fetch(`${h.url}/models/face-detection/query`, {
      method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: new Uint8Array(fixture('astronaut-256.jpg')), signal: ac.signal,
    }).catch((err: Error) => err));
    await until(() => h.bridge.core.inFlight >= 6, 10_000, 'the five queries at the page');
    for (const ac of quitters) ac.abort();
    for (const r of await Promise.all(sent)) assert.ok(r instanceof Error, 'the client gave up');
    assert.equal((await blocker).status, 504);
    const after = await until(() => {
      const c = h.bridge.core.cancellations();
      return c.droppedByPage + c.finishedAnyway >= before.droppedByPage + before.finishedAnyway + 6 && c;
    }, 20_000, "the page's answers to six cancels");
    assert.equal(after.sent, before.sent + 6);
    assert.equal(after.droppedByPage, before.droppedByPage + 6, 'none of them ran');
    assert.equal(after.finishedAnyway, before.finishedAnyway);
    assert.equal(h.bridge.core.inFlight, 0);
    assert.deepEqual((await health(h.url)).cancelled, after);
    await goodQuery(h);
    await healthy(h);
  });
});

describe('limits: program queries under the same admission as every client', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ models: ['face-detection'] });
  });
  after(() => h?.close());

  it('a program firing 3000 queries is held to the caps ("busy"); an HTTP client querying meanwhile gets every answer', async (t) => {
    const c = await RuntimeClient.connect(h.bridge.listeners.runtime!);
    try {
      const code = `
        import { models, setPlaceholder } from 'pagebridge:runtime';
        const image = ${JSON.stringify(FACE)};
        let ok = 0, busy = 0, other = [];
        await Promise.all(Array.from({ length: 3000 }, () => models.query('face-detection', { image }).then(
          () => { ok++; },
          (e) => { if (/^busy: /.test(e.message)) busy++; else other.push(e.message); })));
        setPlaceholder('counts', { ok, busy, other: other.slice(0, 3) });
      `;
      const run = await c.request(program([{ filename: 'main.js', content: code }]));
      assert.equal(run.status, 'running', JSON.stringify(run));
      const answers = [];
      for (let i = 0; i < 10; i++) {
        const res = await postJson(`${h.url}/models/face-detection/query`, { image: FACE });
        answers.push(res.status);
      }
      assert.deepEqual(answers, Array(10).fill(200));
      const finished = await c.finished(run.sessionId, 120_000);
      assert.equal(finished.status ?? 'finished', 'finished', JSON.stringify(finished));
      const counts = (await c.request({ action: 'get_placeholder', placeholder: { sessionId: run.sessionId, name: 'counts' } })).value;
      t.diagnostic(`the program's 3000 queries: ${counts.ok} answered, ${counts.busy} busy; 10 of 10 HTTP queries answered meanwhile`);
      assert.deepEqual(counts.other, []);
      assert.equal(counts.ok + counts.busy, 3000);
      assert.ok(counts.busy > 0, JSON.stringify(counts));
      assert.ok(counts.ok >= 16, JSON.stringify(counts));
    } finally {
      c.close();
    }
    await healthy(h);
  });
});
