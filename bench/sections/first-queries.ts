// Section 7 (`--only first`): a model's first queries after it loads, against its steady state, loaded without
// and with the runtime's warm-up (web/runtime/warm-up.ts: whole queries on made-up inputs while it loads).
import { chromium, type Browser } from 'playwright-core';
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

interface Loaded { loadMs: number; backend: string; times: number[]; warmRuns: number; warmMs: number }

/** Loads one model in a page of a browser context of its own (a renderer process of its own, so that no
 *  WebAssembly a load before it optimised is shared with it), then times its queries. */
async function measure(browser: Browser, url: string, m: (typeof MODELS)[number], warmUp: boolean, runs: number): Promise<Loaded> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(`${url}/bench-first.html`);
    return await page.evaluate(async ({ id, input, bytes, runs, warmUp }) => {
      const { loadModel } = await import(`${location.origin}/runtime.js`);
      const model = await loadModel(id, { warmUp });
      const file = Uint8Array.from(atob(bytes), (c) => c.charCodeAt(0));
      const times: number[] = [];
      for (let i = 0; i < runs; i++) {
        const t = performance.now();
        await model.query({ [input]: file.slice() });
        times.push(performance.now() - t);
      }
      const result = { loadMs: model.loadMs as number, backend: model.backend as string, times,
        warmRuns: (model.warmUp?.runs ?? 0) as number, warmMs: (model.warmUp?.ms ?? 0) as number };
      await model.dispose();
      return result;
    }, { id: m.id, input: m.input, bytes: fixture(m.file).toString('base64'), runs, warmUp });
  } finally {
    await context.close();
  }
}

export async function firstQueries({ quick, results, say }: BenchRun) {
  const steadyRuns = quick ? 5 : 20;
  const h = await startHostedBridge(MODELS.map((m) => m.id), BLANK);
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  try {
    const rows: (string | number)[][] = [];
    const figures: Record<string, unknown> = {};
    for (const m of MODELS) {
      // Without the warm-up and with it, one after the other, so that the machine's load weighs on both alike.
      for (const warmUp of [false, true]) {
        const r = await measure(browser, h.url, m, warmUp, FIRST + steadyRuns);
        const first = r.times.slice(0, FIRST);
        const steady = summarize(r.times.slice(FIRST)).p50;
        (figures[m.id] ??= {} as Record<string, unknown>) as Record<string, unknown>;
        (figures[m.id] as Record<string, unknown>)[warmUp ? 'warm' : 'cold'] = { ...r, first, steadyP50: steady };
        rows.push([m.id, warmUp ? `${r.warmRuns} runs, ${(r.warmMs / 1000).toFixed(2)} s` : 'none', r.backend, `${(r.loadMs / 1000).toFixed(2)} s`,
          ...first.slice(0, 3).map(ms), ms(Math.max(...first.slice(3))), ms(steady), ratio(first[0]!, steady), ratio(Math.max(...first), steady)]);
      }
    }
    results.firstQueries = figures;
    say(table('7. First queries after load, without and with the warm-up (embed API, a fresh page and worker per load)',
      ['model', 'warm-up', 'backend', 'load', '1st', '2nd', '3rd', 'slowest of 4th–10th', `steady p50 (${steadyRuns} after)`, '1st ÷ steady', 'slowest of 10 ÷ steady'], rows));
    say('Each query sends the same file afresh (decoded every time). Load includes fetching, compiling, a first run of every ' +
      'network on zeros, and with the warm-up whole queries on made-up inputs until they settle (web/runtime/warm-up.ts).');
  } finally {
    await browser.close();
    await h.close();
  }
}
