// Section 4 (`--only images`): a JPEG through face-detection end to end, against the model's own
// inference time (from the inference section, bench/sections/inference.ts).
import type { Page } from 'playwright-core';
import type { BenchRun } from '../bench-run.ts';
import type { Harness } from '../harness.ts';
import { post } from '../http-post.ts';
import { ms, summarize, table, timeRuns } from '../lib.ts';
import { tcpClient } from '../../test/helpers/clients.ts';
import { fixture } from '../../test/helpers/fixtures.ts';

/** A 640×480 JPEG of the face fixture, made by the page's own encoder. */
export async function makeJpeg(page: Page): Promise<Buffer> {
  return Buffer.from(await page.evaluate(async (png) => {
    const img = await createImageBitmap(await (await fetch(`data:image/png;base64,${png}`)).blob());
    const c = new OffscreenCanvas(640, 480);
    c.getContext('2d')!.drawImage(img, 0, 0, 640, 480);
    return [...new Uint8Array(await (await c.convertToBlob({ type: 'image/jpeg', quality: 0.85 })).arrayBuffer())];
  }, fixture('astronaut.png').toString('base64')));
}

export async function imagesEndToEnd(h: Harness, { quick, results, say }: BenchRun, jpeg: Buffer, inferenceP50: number) {
  const rows: (string | number)[][] = [];
  const figures: Record<string, unknown> = {};
  const runs = quick ? 20 : 100;
  const tcp = await tcpClient(h.listeners);
  const cases: [string, () => Promise<unknown>][] = [
    ['HTTP image/jpeg', () => post(`${h.url}/models/face-detection/query`, jpeg, 'image/jpeg')],
    ['HTTP JSON data URI', () => post(`${h.url}/models/face-detection/query`, JSON.stringify({ image: `data:image/jpeg;base64,${jpeg.toString('base64')}` }))],
    ['TCP JPEG → annotated JPEG', () => tcp.once(jpeg)],
  ];
  for (const [name, once] of cases) {
    const t = summarize(await timeRuns(runs, 5, async () => { await once(); }));
    figures[name] = t;
    rows.push([name, ms(t.p50), ms(inferenceP50), ms(t.p50 - inferenceP50), `${Math.round(((t.p50 - inferenceP50) / t.p50) * 100)}%`]);
  }
  tcp.close();
  results.imagesEndToEnd = { jpegBytes: jpeg.length, inferenceP50, cases: figures };
  say(table(`4. Images end to end: a 640×480 JPEG (${Math.round(jpeg.length / 1024)} KiB) through face-detection, against the model's own inference`,
    ['path', 'total p50', 'inference p50', 'overhead', 'overhead share'], rows));
}
