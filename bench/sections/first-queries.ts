// Section 7 (`--only first`): a model's first queries after it loads, against its steady state. Loading warms
// every network up on zeros (web/runtime/engines/warm-up.ts) so that the first query a user sends is not the
// one that compiles kernels; this prints what is left of that first-query cost for each model.
import { chromium } from 'playwright-core';
import type { BenchRun } from '../bench-run.ts';
import { startHostedBridge } from '../harness.ts';
import { ms, ratio, summarize, table } from '../lib.ts';
import { CHROMIUM, CHROMIUM_ARGS } from '../../test/helpers/page.ts';
import { fixture } from '../../test/helpers/fixtures.ts';

/** Every model the page ships, with a file it finds something in. */
const MODELS: { id: string; input: string; file: string }[] = [
  { id: 'face-detection', input: 'image', file: 'astronaut.jpg' },
  { id: 'face-detection-short', input: 'image', file: 'astronaut.jpg' },
  { id: 'line-segments', input: 'image', file: 'astronaut.jpg' },
  { id: 'ocr', input: 'image', file: 'page.png' },
  { id: 'voice-activity', input: 'audio', file: 'speech.wav' },
  { id: 'person-segmentation', input: 'image', file: 'astronaut.jpg' },
  { id: 'body-pose', input: 'image', file: 'astronaut.jpg' },
  { id: 'hand-pose', input: 'image', file: 'hand-right.jpg' },
  { id: 'face-mesh', input: 'image', file: 'astronaut.jpg' },
];
const FIRST = 10;

const BLANK = { 'bench-first.html': '<!doctype html><meta charset="utf-8"><title>first queries</title>' };

interface Loaded { loadMs: number; backend: string; times: number[] }

export async function firstQueries({ quick, results, say }: BenchRun) {
  const steadyRuns = quick ? 5 : 20;
  const h = await startHostedBridge(MODELS.map((m) => m.id), BLANK);
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    await page.goto(`${h.url}/bench-first.html`);
    const rows: (string | number)[][] = [];
    const figures: Record<string, unknown> = {};
    for (const m of MODELS) {
      // Each model in a worker of its own, loaded afresh: the runtime's worker ends with its last model.
      const r: Loaded = await page.evaluate(async ({ id, input, bytes, runs }) => {
        const { loadModel } = await import(`${location.origin}/runtime.js`);
        const model = await loadModel(id);
        const file = Uint8Array.from(atob(bytes), (c) => c.charCodeAt(0));
        const times: number[] = [];
        for (let i = 0; i < runs; i++) {
          const t = performance.now();
          await model.query({ [input]: file.slice() });
          times.push(performance.now() - t);
        }
        const result = { loadMs: model.loadMs as number, backend: model.backend as string, times };
        await model.dispose();
        return result;
      }, { id: m.id, input: m.input, bytes: fixture(m.file).toString('base64'), runs: FIRST + steadyRuns });
      const first = r.times.slice(0, FIRST);
      const steady = summarize(r.times.slice(FIRST)).p50;
      figures[m.id] = { loadMs: r.loadMs, backend: r.backend, first, steadyP50: steady };
      rows.push([m.id, r.backend, `${(r.loadMs / 1000).toFixed(2)} s`, ...first.slice(0, 5).map(ms), ms(Math.max(...first.slice(5))), ms(steady), ratio(first[0]!, steady)]);
    }
    results.firstQueries = figures;
    say(table('7. First queries after load (embed API, a fresh worker per model)',
      ['model', 'backend', 'load', '1st', '2nd', '3rd', '4th', '5th', 'slowest of 6th–10th', `steady p50 (${steadyRuns} after)`, '1st ÷ steady'], rows));
    say('Each query sends the same file afresh (decoded every time). Load includes fetching, compiling and one warm-up run of every ' +
      'network with fixed input shapes; a network whose input shape follows the image (OCR\'s recognizer) cannot be warmed on zeros.');
  } finally {
    await browser.close();
    await h.close();
  }
}
