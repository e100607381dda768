// `npm run bench`: what pagebridge adds and how fast the page runs models, each figure beside its
// reference. Prints tables and writes bench/results/<time>.json. Not a test: nothing here fails.
//   --quick   shorter runs (a smoke check of the benchmark itself)
//   --only    a comma-separated list of sections: relay, protocols, inference, profile, images, live, memory, landmarks, first, programs, pages
// Each section is a module of bench/sections/; this file starts what they share and runs them in order.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { identityModel } from '../test/helpers/onnx.ts';
import type { BenchRun } from './bench-run.ts';
import { startBridgeAndPage, startHostedBridge, waitReady } from './harness.ts';
import { imagesEndToEnd, makeJpeg } from './sections/images.ts';
import { inference, type InferenceFigures } from './sections/inference.ts';
import { profile } from './sections/profile.ts';
import { firstQueries } from './sections/first-queries.ts';
import { pages } from './sections/pages.ts';
import { landmarks } from './sections/landmarks.ts';
import { live } from './sections/live.ts';
import { memory } from './sections/memory.ts';
import { programs } from './sections/programs.ts';
import { protocols } from './sections/protocols.ts';
import { relayOverhead } from './sections/relay.ts';

const quick = process.argv.includes('--quick');
// --only relay,protocols,inference,profile,images,live,memory,landmarks,first,programs,pages: some sections (the default is all).
const onlyArg = process.argv[process.argv.indexOf('--only') + 1];
const only = process.argv.includes('--only') && onlyArg ? new Set(onlyArg.split(',')) : undefined;
const wanted = (section: string) => !only || only.has(section);
const results: Record<string, unknown> = { machine: { cpus: cpus().length, cpu: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30) } };
const out: string[] = [];
const bench: BenchRun = { quick, seconds: quick ? 1 : 4, results, say: (s) => { out.push(s); console.log(s); } };
const { say } = bench;

// First what needs a driven page (inference inside it, its memory), then, with the bridge hosting its
// own page as users run it, everything measured through the relay.
say(`pagebridge benchmarks — ${JSON.stringify(results.machine)}`);
let inf: InferenceFigures = [];
let jpeg: Buffer | undefined;
if (wanted('inference') || wanted('profile') || wanted('images') || wanted('memory')) {
  const driven = await startBridgeAndPage(['face-detection', 'line-segments', 'ocr']);
  try {
    await driven.page.setInputFiles('#onnx-input', { name: 'identity.onnx', mimeType: 'application/octet-stream', buffer: Buffer.from(identityModel(4)) });
    await waitReady(driven.url, ['identity']);
    const backend = await driven.page.locator('li[data-model="face-detection"]').innerText();
    say(`page: ${backend.split('\n')[0]}`);
    // The images section compares its totals with face-detection's inference, so it needs this one too.
    if (wanted('inference') || wanted('images')) inf = await inference(driven, bench);
    if (wanted('profile')) await profile(driven, bench);
    if (wanted('images')) jpeg = await makeJpeg(driven.page);
    if (wanted('memory')) await memory(driven, bench);
  } finally {
    await driven.close();
  }
}
if (wanted('relay') || wanted('protocols') || wanted('images') || wanted('live') || wanted('programs')) {
  const hosted = await startHostedBridge();
  try {
    if (wanted('relay')) await relayOverhead(hosted, bench);
    if (wanted('protocols')) await protocols(hosted, bench);
    if (jpeg) await imagesEndToEnd(hosted, bench, jpeg, inf.find((f) => f.model === 'face-detection (model)')!.page.p50);
    if (wanted('live')) await live(hosted, bench);
    if (wanted('programs')) await programs(hosted, bench);
  } finally {
    await hosted.close();
  }
}
// Its own bridge: the TFLite models, which the others do not load.
if (wanted('landmarks')) await landmarks(bench);
if (wanted('first')) await firstQueries(bench);
// One bridge with one headless page, then one with two.
if (wanted('pages')) await pages(bench);
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
const file = new URL(`./results/${new Date().toISOString().replace(/[:.]/g, '-')}.json`, import.meta.url);
writeFileSync(file, JSON.stringify(results, null, 2));
writeFileSync(new URL('./results/latest.md', import.meta.url), out.join('\n') + '\n');
console.log(`\nwritten: ${file.pathname} and bench/results/latest.md`);
