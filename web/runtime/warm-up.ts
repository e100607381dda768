// A loaded model's warm-up: whole queries on made-up inputs, run while it loads, until a run is as fast as
// the ones before it. A first run of each network on zeros (web/runtime/engines/warm-up.ts) compiles
// kernels and packs weights, but a first real query still paid for the rest: V8 runs WebAssembly and the
// adapters' JavaScript in a baseline tier first and optimises what turns out hot only after some runs
// (an onnxruntime model's first ten queries took 2–10 times its steady time), the image decoder and the
// canvas are started on first use, and a network whose input shapes follow the input (OCR) meets its
// first shapes. Here the model's own adapter runs them, so all of that is paid before it is ready.
import type { ModelManifest, Values } from '../contract/index.ts';
import type { Adapter, AdapterContext } from './adapters/adapter.ts';
import { zeroFeeds } from './engines/warm-up.ts';

/**
 * When a warm-up stops: once it has run at least MIN_RUNS times and for MIN_MS, and a run took at most
 * SETTLED times the fastest before it; in any case after MAX_RUNS runs or MAX_MS. Time matters, not only
 * runs: V8 optimises a function once it has run for a while, in the background, so a slow network needs
 * fewer runs than a fast one and a loaded machine more time (OCR's first queries stayed 3 times slower
 * after three runs, not after two seconds' worth). Runs may also settle while all still slow (voice
 * activity after five runs of 4 s of audio): hence the minimums.
 */
const SETTLED = 1.25;
const MIN_RUNS = 8;
const MIN_MS = 2000;
const MAX_RUNS = 40;
const MAX_MS = 8000;

export interface WarmUpResult {
  /** Whole queries run. */
  runs: number;
  ms: number;
  /** Each run's time (ms), for the benchmark. */
  times: number[];
}

/** A 640×480 picture with shapes, edges and lines of text in it, as JPEG and as PNG (both decoders). */
async function sampleImages(): Promise<Uint8Array[]> {
  const canvas = new OffscreenCanvas(640, 480);
  const ctx = canvas.getContext('2d');
  if (!ctx) return [];
  const sky = ctx.createLinearGradient(0, 0, 640, 480);
  sky.addColorStop(0, '#dfe8f0');
  sky.addColorStop(1, '#6b7f99');
  ctx.fillStyle = sky;
  ctx.fillRect(0, 0, 640, 480);
  ctx.fillStyle = '#c89a7a';
  ctx.beginPath();
  ctx.ellipse(450, 200, 80, 105, 0, 0, Math.PI * 2);
  ctx.fill();
  ctx.strokeStyle = '#222';
  ctx.lineWidth = 4;
  for (let i = 0; i < 6; i++) ctx.strokeRect(30 + i * 12, 260 + i * 20, 300 - i * 24, 180 - i * 40);
  // Lines of text of several lengths: OCR's recognizer runs on each, at the widths they give.
  ctx.fillStyle = '#000';
  ['pagebridge 2026', 'warm up the model', 'A short line', 'and a much longer line of text here'].forEach((t, i) => {
    ctx.font = `${24 + i * 4}px sans-serif`;
    ctx.fillText(t, 24, 44 + i * 50);
  });
  const bytes = async (type: string) => new Uint8Array(await (await canvas.convertToBlob({ type, quality: 0.9 })).arrayBuffer());
  return [await bytes('image/jpeg'), await bytes('image/png')];
}

/** Two seconds of 16 kHz mono 16-bit WAV: a tone that comes and goes over noise (short, so that a warm-up
 *  of a given time runs it often: how often decides whether V8 has optimised the network's code). */
function sampleWav(): Uint8Array {
  const rate = 16000, frames = rate * 2;
  const bytes = new Uint8Array(44 + frames * 2);
  const dv = new DataView(bytes.buffer);
  const text = (at: number, s: string) => [...s].forEach((c, i) => dv.setUint8(at + i, c.charCodeAt(0)));
  text(0, 'RIFF'); dv.setUint32(4, 36 + frames * 2, true); text(8, 'WAVE');
  text(12, 'fmt '); dv.setUint32(16, 16, true); dv.setUint16(20, 1, true); dv.setUint16(22, 1, true);
  dv.setUint32(24, rate, true); dv.setUint32(28, rate * 2, true); dv.setUint16(32, 2, true); dv.setUint16(34, 16, true);
  text(36, 'data'); dv.setUint32(40, frames * 2, true);
  let seed = 1;
  for (let i = 0; i < frames; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const on = Math.floor(i / 4000) % 2 === 1 ? 0.4 : 0;
    const v = on * Math.sin((2 * Math.PI * 220 * i) / rate) + 0.02 * (seed / 0x7fffffff - 0.5);
    dv.setInt16(44 + i * 2, Math.round(v * 32767), true);
  }
  return bytes;
}

/** Marks an image port in a sample: each run puts a picture there, JPEG and PNG in turn (both decoders). */
const IMAGE = Symbol('image');

/**
 * Inputs for the model's ports, one set per value of each category (a variant's networks run too), or
 * undefined when a port has a type this cannot make up (the model is then warmed on zeros only).
 */
function sampleInputs(manifest: ModelManifest): Values[] | undefined {
  let sets: Values[] = [{}];
  for (const port of manifest.inputs) {
    const p = port as { name: string; type: unknown; default?: unknown; oneOf?: unknown[] };
    if (p.type === 'image') sets = sets.map((s) => ({ ...s, [p.name]: IMAGE }));
    else if (p.type === 'audio') sets = sets.map((s) => ({ ...s, [p.name]: sampleWav() }));
    else if (p.type === 'category' && Array.isArray(p.oneOf) && p.oneOf.length) sets = sets.flatMap((s) => p.oneOf!.map((v) => ({ ...s, [p.name]: v })));
    else if (p.default !== undefined) sets = sets.map((s) => ({ ...s, [p.name]: p.default }));
    else return undefined;
  }
  return sets;
}

/** A sample's inputs for one run: its picture, and its bytes afresh (an adapter may detach what it is given). */
const inputsOf = (sample: Values, image: Uint8Array | undefined): Values =>
  Object.fromEntries(Object.entries(sample).map(([k, v]) => [k, v === IMAGE ? image?.slice() : v instanceof Uint8Array ? v.slice() : v]));

/**
 * Runs whole queries of the model on made-up inputs (and each network on zeros, for the networks that
 * those inputs may not reach: a landmark model runs only where its detector finds something) until they
 * settle. Each run takes the runtime's queue through `exclusive`, so that queries to models already
 * loaded go on between them. It never fails: a failing run ends it. `ranOnZeros`: the engine's check at
 * load ran each network on zeros already (LoadedNetworks in web/runtime/engines/engine.ts).
 */
export async function warmUpModel(manifest: ModelManifest, adapter: Adapter, ctx: AdapterContext,
  exclusive: <T>(work: () => Promise<T>) => Promise<T>, ranOnZeros: boolean): Promise<WarmUpResult> {
  const started = performance.now();
  const times: number[] = [];
  let best = Infinity;
  try {
    let samples = sampleInputs(manifest);
    const pictured = samples?.some((s) => Object.values(s).includes(IMAGE));
    const images = pictured ? await sampleImages() : [];
    if (pictured && !images.length) samples = undefined;
    const zeros = Object.values(ctx.networks).map((n) => [n, zeroFeeds(n)] as const).filter(([, f]) => f);
    for (let i = 0; times.length < MAX_RUNS; i++) {
      // The engine's check stands for the first run's zeros: that run leaves them out, so it is no whole
      // run and sets no pace (one of zeros alone is not run at all).
      const partial = i === 0 && ranOnZeros && zeros.length > 0;
      if (partial && !samples?.length) continue;
      const took = await exclusive(async () => {
        const t = performance.now();
        // Every sample once a run: each variant's networks; JPEG and PNG in turn.
        for (const s of samples ?? []) await adapter.run(inputsOf(s, images[i % images.length]), ctx);
        if (!partial) for (const [network, feeds] of zeros) await network.run(feeds!);
        return performance.now() - t;
      });
      times.push(took);
      const elapsed = performance.now() - started;
      if (elapsed > MAX_MS || (times.length >= MIN_RUNS && elapsed >= MIN_MS && took <= best * SETTLED)) break;
      if (!partial) best = Math.min(best, took);
    }
  } catch {
    // A made-up input a model refuses (or a run that fails) warms nothing more; loading goes on, and the
    // model's own queries will say what is wrong.
  }
  return { runs: times.length, ms: performance.now() - started, times };
}
