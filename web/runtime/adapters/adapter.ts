import type { ModelManifest, Values } from '../../contract/index.ts';
import type { Network } from '../engines/engine.ts';

export interface AdapterContext {
  /** The model's first (usually only) network. */
  network: Network;
  /** Every network by its asset name, for models of several. */
  networks: Record<string, Network>;
  /** Files of the model that are no network (e.g. a character list), by asset name. */
  files: Record<string, Uint8Array>;
  manifest: ModelManifest;
  /**
   * The live client or stream this frame comes from (QueryOptions.track in the contract): state carried
   * from frame to frame (a tracked pose) is kept under it, never shared across keys (tracks.ts). Absent
   * for a query that stands alone.
   */
  track?: string;
}

/** Turns a model family's input values into feeds, and its fetches into output values. Adapters see
 *  plain tensors (web/runtime/engines/tensor.ts), never an engine's own objects. */
export interface Adapter {
  run(inputs: Values, ctx: AdapterContext): Promise<Values>;
  /** Readies what `draw` needs and cannot get at once (an image output, decoded). Whoever draws awaits it
   *  first: the runtime before an annotated picture, the embed API's query before it answers. */
  prepare?(outputs: Values): Promise<void>;
  /** Draws outputs over the image they came from (the page's view, and annotated images). */
  draw?(ctx: CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D, outputs: Values, width: number, height: number): void;
}
