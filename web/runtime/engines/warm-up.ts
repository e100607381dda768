// A first run of each network on zeros while a model loads: it compiles an engine's kernels (shaders,
// XNNPACK's packed weights) now rather than in the first query, and catches a graph that loads but cannot
// run. Engines call it inside `exclusive` (web/runtime/engines/engine.ts).
import type { Network } from './engine.ts';
import type { Tensor } from './tensor.ts';

const ZEROS: Record<string, (n: number) => Tensor['data']> = {
  float32: (n) => new Float32Array(n), int32: (n) => new Int32Array(n), int64: (n) => new BigInt64Array(n), uint8: (n) => new Uint8Array(n),
};

/** Zeros for every input of a network whose input shapes are all fixed; undefined when some are not. */
export function zeroFeeds(network: Network): Record<string, Tensor> | undefined {
  const feeds: Record<string, Tensor> = {};
  for (const m of network.inputs) {
    const zeros = m.type ? ZEROS[m.type] : undefined;
    if (!zeros || !m.shape?.every((d) => typeof d === 'number' && d > 0)) return undefined;
    const dims = m.shape as number[];
    feeds[m.name] = { type: m.type!, dims, data: zeros(dims.reduce((a, b) => a * b, 1)) };
  }
  return feeds;
}

/** One first run of each network on zeros (where its input shapes are fixed); the error, if one fails. */
export async function warmUp(networks: Record<string, Network>): Promise<string | undefined> {
  for (const [name, network] of Object.entries(networks)) {
    const feeds = zeroFeeds(network);
    if (!feeds) continue;
    try {
      await network.run(feeds);
    } catch (err) {
      return `${name}: ${(err as Error).message.split('\n')[0]}`;
    }
  }
  return undefined;
}
