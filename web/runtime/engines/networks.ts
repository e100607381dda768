// Making a model's networks all or none: an engine that fails on one network releases those it made.
import type { Network } from './engine.ts';

/** Makes one network per file with `make`, in order; if one fails, releases the ones made and throws. */
export async function createNetworks<N extends Network>(files: [name: string, bytes: Uint8Array][],
  make: (bytes: Uint8Array) => Promise<N>): Promise<Record<string, N>> {
  const made: Record<string, N> = {};
  try {
    for (const [name, bytes] of files) made[name] = await make(bytes);
    return made;
  } catch (err) {
    await releaseNetworks(made);
    throw err;
  }
}

export function releaseNetworks(networks: Record<string, Network>): Promise<void[]> {
  return Promise.all(Object.values(networks).map((n) => n.release()));
}
