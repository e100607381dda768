import type * as Ort from 'onnxruntime-web';
import type { ModelManifest, Values } from '../types.ts';

export interface AdapterContext {
  ort: typeof Ort;
  session: Ort.InferenceSession;
  manifest: ModelManifest;
}

/** Turns a model family's input values into feeds, and its fetches into output values. */
export interface Adapter {
  run(inputs: Values, ctx: AdapterContext): Promise<Values>;
  /** Draws outputs over the image they came from (the page's view, and annotated images). */
  draw?(ctx: CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D, outputs: Values, width: number, height: number): void;
}
