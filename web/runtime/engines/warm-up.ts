// A first run of each network on zeros while a model loads: it compiles an engine's kernels (shaders,
// XNNPACK's packed weights) now rather than in the first query, and catches a graph that loads but cannot
// run. Engines call it inside `exclusive` (web/runtime/engines/engine.ts).
import type { Network } from './engine.ts';
import type { Tensor } from './tensor.ts';

const ZEROS: Record<string, (n: number) => Tensor['data']> = {
  float32: (n) => new Float32Array(n), int32: (n) => new Int32Array(n), int64: (n) => new BigInt64Array(n), uint8: (n) => new Uint8Array(n),
};

/** Inputs larger than this are not made up (no network shipped comes near it). */
const MAX_ELEMENTS = 1 << 26;

/** Zeros for every input of a network whose input shapes are all fixed; undefined when some are not. */
export function zeroFeeds(network: Network): Record<string, Tensor> | undefined {
  const feeds: Record<string, Tensor> = {};
  for (const m of network.inputs) {
    const zeros = m.type ? ZEROS[m.type] : undefined;
    // onnxruntime-web gives a free dimension of some graphs as 2^64 - 1 (its -1 read unsigned): not fixed.
    if (!zeros || !m.shape?.every((d) => typeof d === 'number' && d > 0 && d < 2 ** 31)) return undefined;
    const dims = m.shape as number[];
    const size = dims.reduce((a, b) => a * b, 1);
    if (size > MAX_ELEMENTS) return undefined;
    feeds[m.name] = { type: m.type!, dims, data: zeros(size) };
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
