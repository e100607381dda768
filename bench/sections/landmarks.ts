// Section 6 (`--only landmarks`): the TFLite models that find landmarks (body and hand pose, face mesh) and
// person segmentation: how long each takes to load, a query that stands alone (the detector every time),
// and a live stream over Socket.IO, where each frame is tracked from the last and the detector skipped.
import { chromium } from 'playwright-core';
import type { BenchRun } from '../bench-run.ts';
import { startHostedBridge, type Harness } from '../harness.ts';
import { ms, summarize, table, type Latency } from '../lib.ts';
import { CHROMIUM, CHROMIUM_ARGS } from '../../test/helpers/page.ts';
import { socketioClient } from '../../test/helpers/clients.ts';
import { fixture } from '../../test/helpers/fixtures.ts';

const MODELS = ['body-pose', 'hand-pose', 'face-mesh', 'person-segmentation'];

/** One row: a model on a picture that has what it finds, with the inputs a client would send. */
interface Row { label: string; model: string; picture: string; inputs: Record<string, unknown> }
const ROWS: Row[] = [
  { label: 'body-pose (full)', model: 'body-pose', picture: 'astronaut.jpg', inputs: {} },
  { label: 'body-pose (lite)', model: 'body-pose', picture: 'astronaut.jpg', inputs: { variant: 'lite' } },
  // One hand in the picture: with maxHands 1 it is tracked; with the default 2 the palm detector runs on
  // every frame, looking for the second (test/hand-pose.test.ts).
  { label: 'hand-pose (maxHands 1)', model: 'hand-pose', picture: 'hand-right.jpg', inputs: { maxHands: 1 } },
  { label: 'hand-pose (maxHands 2)', model: 'hand-pose', picture: 'hand-right.jpg', inputs: {} },
  { label: 'face-mesh', model: 'face-mesh', picture: 'astronaut.jpg', inputs: {} },
  { label: 'person-segmentation', model: 'person-segmentation', picture: 'astronaut.jpg', inputs: {} },
];

/** A blank page of the bridge's origin: cross-origin isolated like the bridge's page (every static file
 *  gets the headers, bridge/protocols/http/page-files.ts), so LiteRT.js runs its threaded build there too. */
const BLANK = { 'bench-embed.html': '<!doctype html><meta charset="utf-8"><title>embed bench</title>' };

interface InPage { loadMs: number; backend: string; fallbackReason?: string; queries: number[][] }

/**
 * Each model in a worker of its own (the runtime's worker ends when its last model is disposed), through
 * the embed API: its load time, with LiteRT started, every network compiled and run once; then the rows'
 * queries, each standing alone (no `track`): a JPEG decoded and the detector run every time.
 */
async function inPage(h: Harness, runs: number, warmup: number): Promise<Map<string, InPage>> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  const out = new Map<string, InPage>();
  try {
    const page = await browser.newPage();
    await page.goto(`${h.url}/bench-embed.html`);
    for (const id of MODELS) {
      const rows = ROWS.filter((r) => r.model === id).map((r) => ({ inputs: r.inputs, jpeg: fixture(r.picture).toString('base64') }));
      out.set(id, await page.evaluate(async ({ id, rows, runs, warmup }) => {
        const { loadModel } = await import(`${location.origin}/runtime.js`);
        const model = await loadModel(id);
        const queries: number[][] = [];
        for (const row of rows) {
          const jpeg = Uint8Array.from(atob(row.jpeg), (c) => c.charCodeAt(0));
          const times: number[] = [];
          for (let i = 0; i < warmup + runs; i++) {
            const t = performance.now();
            await model.query({ ...row.inputs, image: jpeg.slice() });
            if (i >= warmup) times.push(performance.now() - t);
          }
          queries.push(times);
        }
        const result = { loadMs: model.loadMs as number, backend: model.backend as string, fallbackReason: model.fallbackReason as string | undefined, queries };
        await model.dispose();
        return result;
      }, { id, rows, runs, warmup }));
    }
  } finally {
    await browser.close();
  }
  return out;
}

interface Streamed { sent: number; answered: number; dropped: number; failed: number; tracked: number; fps: number; latency: Latency }

/** Frames pushed at `fps` for `seconds` over one Socket.IO socket, as a sketch's webcam would send them. */
async function stream(h: Harness, row: Row, fps: number, seconds: number): Promise<Streamed> {
  const frame = { ...row.inputs, image: `data:image/jpeg;base64,${fixture(row.picture).toString('base64')}` };
  const client = await socketioClient(h.listeners, row.model);
  const latencies: number[] = [];
  let sent = 0, answered = 0, dropped = 0, failed = 0, tracked = 0;
  const pushes: Promise<void>[] = [];
  const started = performance.now();
  try {
    for (let i = 0; performance.now() - started < seconds * 1000; i++) {
      await new Promise((r) => setTimeout(r, Math.max(0, started + (i * 1000) / fps - performance.now())));
      sent++;
      const t = performance.now();
      pushes.push(client.once(frame).then((out) => {
        answered++;
        latencies.push(performance.now() - t);
        if ((out as { tracked?: boolean }).tracked === true) tracked++;
      }, (err: Error) => { if (/^dropped:/.test(err.message)) dropped++; else failed++; }));
    }
    const window = (performance.now() - started) / 1000;
    await Promise.race([Promise.all(pushes), new Promise((r) => setTimeout(r, 30_000))]);
    return { sent, answered, dropped, failed, tracked, fps: answered / window, latency: summarize(latencies) };
  } finally {
    client.close();
  }
}

export async function landmarks({ quick, results, say }: BenchRun) {
  const seconds = quick ? 1 : 5;
  const [runs, warmup] = quick ? [5, 2] : [20, 5];
  const h = await startHostedBridge(MODELS, BLANK);
  try {
    const loaded = await inPage(h, runs, warmup);
    const rows: (string | number)[][] = [];
    const figures: Record<string, unknown> = {};
    for (const row of ROWS) {
      const m = loaded.get(row.model)!;
      const query = summarize(m.queries[ROWS.filter((r) => r.model === row.model).indexOf(row)]!);
      const live = await stream(h, row, 30, seconds);
      // Person segmentation has no detector to skip: it says nothing of `tracked`.
      const skipped = row.model === 'person-segmentation' ? '–' : `${Math.round((100 * live.tracked) / Math.max(1, live.answered))}%`;
      figures[row.label] = { loadMs: m.loadMs, backend: m.backend, fallbackReason: m.fallbackReason, query, stream: live };
      rows.push([row.label, `${(m.loadMs / 1000).toFixed(2)} s`, m.backend, ms(query.p50), live.fps.toFixed(1), ms(live.latency.p50), ms(live.latency.p95),
        live.dropped, live.failed, skipped]);
    }
    results.landmarks = figures;
    say(table(`6. Landmarks and segmentation (TFLite on LiteRT.js): load, a query standing alone, a 30 fps Socket.IO stream for ${seconds} s`,
      ['model', 'load', 'backend', 'query p50', 'stream fps', 'latency p50', 'latency p95', 'dropped', 'failed', 'detector skipped'], rows));
    say('Load: in a fresh worker of a page on the bridge\'s origin (embed API: LiteRT started, every network compiled and run once). ' +
      `Query: the embed API's median of ${runs} (after ${warmup}), no tracking, so the detector runs every time; the JPEG decoded each time. ` +
      'Stream: astronaut.jpg (512×512, 54 KiB) or hand-right.jpg (293×200) as a data URI, pushed at 30 fps over one Socket.IO socket; ' +
      'stale frames dropped (latest wins); detector skipped: answers with `tracked: true`.');
  } finally {
    await h.close();
  }
}
