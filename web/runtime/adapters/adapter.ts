import type * as Ort from 'onnxruntime-web';
import type { ModelManifest, Values } from '../../contract/index.ts';

export interface AdapterContext {
  ort: typeof Ort;
  /** The model's first (usually only) network. */
  session: Ort.InferenceSession;
  /** Every network by its asset name, for models of several. */
  sessions: Record<string, Ort.InferenceSession>;
  /** Files of the model that are no network (e.g. a character list), by asset name. */
  files: Record<string, Uint8Array>;
  manifest: ModelManifest;
}

/** Turns a model family's input values into feeds, and its fetches into output values. */
export interface Adapter {
  run(inputs: Values, ctx: AdapterContext): Promise<Values>;
  /** Draws outputs over the image they came from (the page's view, and annotated images). */
  draw?(ctx: CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D, outputs: Values, width: number, height: number): void;
}
