// Section 3b (`--only profile`): where each ONNX network's time goes, page against onnxruntime-node:
// onnxruntime's own profiler on both sides (the same session options, the same inputs), kernel time
// summed per kind of operator over the last runs. onnxruntime-node runs twice: with every graph
// optimisation (as in section 3) and without its layout ones ('extended'), which are the NCHWc blocked
// convolutions its x86 build has and its WebAssembly build does not; the difference is their share.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchRun } from '../bench-run.ts';
import { loadBenchPackage } from '../bench-packages.ts';
import type { DrivenHarness } from '../harness.ts';
import { ms, ratio, table } from '../lib.ts';
import { makeFeeds, networkBytes, ONNX_NETWORKS, startPageWorker } from '../onnx-networks.ts';

/** One event of onnxruntime's profile (Chrome's trace format). */
interface ProfileEvent { cat: string; name: string; ts: number; dur: number; args?: { op_name?: string; input_type_shape?: Record<string, number[]>[] } }

/** The kind an operator's time is counted under: convolutions split into dense and depthwise (one
 *  filter per channel, which MLAS runs on a kernel of its own), layout changes together. */
export function operatorKind(e: ProfileEvent): string {
  const op = e.args?.op_name ?? '?';
  if (/^(Fused|Nhwc)?Conv$/.test(op)) {
    const [input, weight] = (e.args?.input_type_shape ?? []).map((s) => Object.values(s)[0] ?? []);
    return weight && input && weight[1] === 1 && (input[1] ?? 0) > 1 ? 'Conv (depthwise)' : 'Conv';
  }
  if (op === 'Transpose' || op === 'ReorderInput' || op === 'ReorderOutput') return 'layout (Transpose, NCHWc reorders)';
  return op;
}

/** Milliseconds per run for each kind of operator, and for the whole run, over the last `runs` runs of a profile. */
export function kernelTimes(events: ProfileEvent[], runs: number): { kinds: Map<string, number>; kernels: number; run: number } {
  const windows = events.filter((e) => e.cat === 'Session' && e.name === 'model_run').sort((a, b) => a.ts - b.ts).slice(-runs);
  const kinds = new Map<string, number>();
  let kernels = 0;
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
    if (!windows.some((w) => e.ts >= w.ts && e.ts <= w.ts + w.dur)) continue;
    const msPerRun = e.dur / 1000 / windows.length;
    kinds.set(operatorKind(e), (kinds.get(operatorKind(e)) ?? 0) + msPerRun);
    kernels += msPerRun;
  }
  return { kinds, kernels, run: windows.reduce((a, w) => a + w.dur, 0) / 1000 / windows.length };
}

/** onnxruntime prints its profile as a JSON array, one event a line with a comma after each. */
function parseProfile(text: string): ProfileEvent[] {
  const start = text.indexOf('[');
  return JSON.parse(text.slice(start).replace(/,\s*\]\s*$/, ']')) as ProfileEvent[];
}

export async function profile(h: DrivenHarness, { quick, results, say }: BenchRun): Promise<void> {
  const { sessionOptions } = await import('../../web/runtime/engines/onnx/config.ts');
  const ortNode = await loadBenchPackage('onnxruntime-node');
  const threads = cpus().length;
  const warmup = quick ? 3 : 20;
  const runs = quick ? 3 : 15;
  const worker = await startPageWorker(h.page);
  const dir = mkdtempSync(join(tmpdir(), 'pagebridge-profile-'));
  const rows: string[][] = [];
  const figures: unknown[] = [];
  try {
    for (const m of ONNX_NETWORKS) {
      await worker.load(m, warmup + runs, { enableProfiling: true });
      const page = kernelTimes(parseProfile((await worker.endProfiling()).join('\n')), runs);
      await worker.release();
      const node: Record<string, ReturnType<typeof kernelTimes>> = {};
      for (const level of ['all', 'extended'] as const) {
        const prefix = join(dir, `${level}-${ONNX_NETWORKS.indexOf(m)}`);
        const session = await ortNode.InferenceSession.create(await networkBytes(m),
          { ...sessionOptions('wasm'), enableProfiling: true, graphOptimizationLevel: level, executionProviders: ['cpu'], intraOpNumThreads: threads, profileFilePrefix: prefix });
        const feeds = makeFeeds(ortNode.Tensor, session.inputNames, m.inputs);
        for (let i = 0; i < warmup + runs; i++) await session.run(feeds);
        session.endProfiling();
        await session.release();
        const file = readdirSync(dir).find((f) => join(dir, f).startsWith(prefix));
        node[level] = kernelTimes(parseProfile(readFileSync(join(dir, file!), 'utf8')), runs);
      }
      const all = node.all!, extended = node.extended!;
      // The kinds that differ most, then the rest in one row.
      const kinds = [...new Set([...page.kinds.keys(), ...all.kinds.keys()])]
        .map((k) => ({ k, page: page.kinds.get(k) ?? 0, node: all.kinds.get(k) ?? 0, extended: extended.kinds.get(k) ?? 0 }))
        .sort((a, b) => (b.page - b.node) - (a.page - a.node));
      const shown = kinds.slice(0, 4), rest = kinds.slice(4);
      const sum = (xs: typeof kinds, key: 'page' | 'node' | 'extended') => xs.reduce((a, x) => a + x[key], 0);
      const gap = page.kernels - all.kernels;
      const row = (name: string, p: number, n: number, e: number) =>
        [m.id, name, ms(p), ms(n), ms(e), ratio(p, n), gap > 0 ? `${Math.round((100 * (p - n)) / gap)}%` : '–'];
      for (const x of shown) rows.push(row(x.k, x.page, x.node, x.extended));
      if (rest.length) rows.push(row(`${rest.length} other kinds`, sum(rest, 'page'), sum(rest, 'node'), sum(rest, 'extended')));
      rows.push(row('all kernels', page.kernels, all.kernels, extended.kernels));
      rows.push(row('session.run', page.run, all.run, extended.run));
      figures.push({ model: m.id, page: Object.fromEntries(page.kinds), node: Object.fromEntries(all.kinds), nodeExtended: Object.fromEntries(extended.kinds),
        kernels: { page: page.kernels, node: all.kernels, nodeExtended: extended.kernels }, run: { page: page.run, node: all.run, nodeExtended: extended.run } });
    }
  } finally {
    await worker.terminate();
    rmSync(dir, { recursive: true, force: true });
  }
  results.profile = figures;
  say(table(`3b. Where the time goes: kernel time per run by kind of operator (onnxruntime's profiler, mean of ${runs} runs), page (WASM, ${threads} threads) against onnxruntime-node (${threads} threads) with every optimisation and without its layout ones`,
    ['network', 'operators', 'page', 'node', "node, 'extended'", 'page/node', 'share of the gap'], rows));
}
