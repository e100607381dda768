// Section 5b (`--only memory`): the bridge's and the page's memory after many queries of the tiny model.
import type { BenchRun } from '../bench-run.ts';
import { TINY_BODY, type DrivenHarness } from '../harness.ts';
import { post } from '../http-post.ts';
import { table } from '../lib.ts';

export async function memory(h: DrivenHarness, { quick, results, say }: BenchRun) {
  const snapshot = async () => {
    // Give the bridge a moment to settle; the page measures every context it has (its workers too).
    await new Promise((r) => setTimeout(r, 500));
    const health = (await (await fetch(`${h.url}/health`)).json()) as { memory: { rssBytes: number; heapUsedBytes: number } };
    const page = await h.page.evaluate(async () => {
      const m = await (performance as unknown as { measureUserAgentSpecificMemory(): Promise<{ bytes: number }> }).measureUserAgentSpecificMemory();
      return m.bytes;
    });
    return { bridgeHeapMiB: health.memory.heapUsedBytes / 2 ** 20, bridgeRssMiB: health.memory.rssBytes / 2 ** 20, pageMiB: page / 2 ** 20 };
  };
  const run = async (n: number) => {
    let left = n;
    await Promise.all(Array.from({ length: 16 }, async () => { while (left-- > 0) await post(`${h.url}/models/identity/query`, TINY_BODY); }));
  };
  await run(100);
  const at100 = await snapshot();
  const total = quick ? 2000 : 10_000;
  await run(total - 100);
  const atN = await snapshot();
  results.memory = { after100: at100, [`after${total}`]: atN };
  const row = (k: keyof typeof at100, label: string) => [label, at100[k].toFixed(1), atN[k].toFixed(1), (atN[k] - at100[k]).toFixed(1)];
  say(table(`5b. Memory after 100 and after ${total} queries (16 clients, tiny model)`, ['MiB', 'after 100', `after ${total}`, 'growth'],
    [row('bridgeHeapMiB', 'bridge JS heap'), row('bridgeRssMiB', 'bridge RSS'), row('pageMiB', 'page and its workers (JS and WASM)')]));
}
