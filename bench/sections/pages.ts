// Section 9 (`--only pages`): face detection through the bridge with one headless page and with two
// (`--pages`), each page a Chromium of its own: queries a second at a few concurrencies, how the
// queries split between the pages, and the memory each page's Chromium takes (PSS, so that what its
// processes share is counted once). See docs/scale.md.
import { readdirSync, readFileSync } from 'node:fs';
import type { BenchRun } from '../bench-run.ts';
import { startHostedBridge } from '../harness.ts';
import { post } from '../http-post.ts';
import { closedLoop, ms, ratio, table } from '../lib.ts';
import { fixture } from '../../test/helpers/fixtures.ts';

const FACE = JSON.stringify({ image: `data:image/jpeg;base64,${fixture('astronaut-256.jpg').toString('base64')}` });

interface PageEntry { id: string; label?: string; models: { id: string; state: string }[] }

/** Every process below `root` (its children, theirs, …). */
function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // The command may hold spaces and parentheses: the fields after its closing one are fixed.
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parent.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch { /* gone meanwhile */ }
  }
  const out: number[] = [];
  const walk = (pid: number) => { for (const [child, p] of parent) if (p === pid) { out.push(child); walk(child); } };
  walk(root);
  return out;
}

/** MiB of proportional set size of the Chromium processes below the bridge's process. */
function chromiumPssMiB(bridgePid: number): number {
  let kib = 0;
  for (const pid of descendants(bridgePid)) {
    try {
      if (!/chrom/.test(readFileSync(`/proc/${pid}/comm`, 'utf8'))) continue;
      kib += Number(/^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
    } catch { /* gone meanwhile */ }
  }
  return kib / 1024;
}

export async function pages({ quick, seconds, results, say }: BenchRun) {
  const rows: (string | number)[][] = [];
  const figures: Record<string, unknown>[] = [];
  let single: Record<number, number> = {};
  for (const n of [1, 2]) {
    const h = await startHostedBridge(['face-detection'], {}, ['--pages', String(n)]);
    try {
      // Every page ready (waitReady settles on the first).
      for (;;) {
        const list = ((await (await fetch(`${h.url}/health`)).json()) as { pageList: PageEntry[] }).pageList;
        if (list.filter((p) => p.models.some((m) => m.id === 'face-detection' && m.state === 'ready')).length === n) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      const memory = chromiumPssMiB(h.bridge.pid!);
      const url = `${h.url}/models/face-detection/query`;
      await closedLoop(4, quick ? 0.5 : 2, () => post(url, FACE)); // warm both pages
      for (const c of [1, 4, 16]) {
        const r = await closedLoop(c, seconds, () => post(url, FACE));
        if (n === 1) single = { ...single, [c]: r.rps };
        figures.push({ pages: n, connections: c, rps: r.rps, latency: r.latency, errors: r.errors, chromiumPssMiB: memory });
        rows.push([n, c, r.rps.toFixed(1), n === 1 ? '–' : ratio(r.rps, single[c]!), ms(r.latency.p50), ms(r.latency.p99), r.errors, memory.toFixed(0)]);
      }
    } finally {
      await h.close();
    }
  }
  results.pages = figures;
  say(table('9. Pages: face detection (256×256 JPEG over HTTP) with one and two headless pages (--pages), each a Chromium of its own',
    ['pages', 'connections', 'queries/s', 'vs 1 page', 'p50', 'p99', 'errors', 'Chromium PSS MiB'], rows));
}
