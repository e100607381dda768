// Models and values as the page, the runtime worker and the bridge all see them.

/** One input or output of a model, in Runway's shape. */
export interface Port {
  name: string;
  type: string;
  description?: string;
  [key: string]: unknown;
}

/** What `/info` returns for a model. */
export interface ModelInfo {
  inputs: Port[];
  outputs: Port[];
}

/** `public/models/<id>/model.json`. */
export interface ModelManifest extends ModelInfo {
  id: string;
  title?: string;
  description?: string;
  license?: string;
  source?: string;
  file: string;
  /** The file `source` is fetched into when `file` is made from it at install (an ONNX network that
   *  scripts/onnx-to-tflite/ converts to TFLite); the page loads `file` alone. */
  convertedFrom?: string;
  /** The inference engine that runs its networks (web/runtime/engines); default: by the file's extension. */
  engine?: string;
  adapter: string;
  params?: Record<string, unknown>;
  /** Models of several files (e.g. two networks and a character list); default: just `file`. */
  assets?: ModelAsset[];
}

export interface ModelAsset {
  /** The adapter's name for it (e.g. "det", "rec", "keys"); default: the file name. */
  name?: string;
  file: string;
  /** npm package and path it is copied from at install: "name@version/path". */
  source?: string;
  integrity?: string;
}

export type Backend = 'webgpu' | 'wasm';
export type ModelState = 'loading' | 'ready' | 'failed' | 'unloaded';

/** What a page announces of each model it holds. */
export interface ModelAnnouncement {
  id: string;
  title: string;
  description?: string;
  license?: string;
  info: ModelInfo;
  backend?: Backend;
  /** Why the model runs on WASM when WebGPU was wanted. */
  fallbackReason?: string;
  state: ModelState;
  error?: string;
  /** Bytes of weights. */
  size?: number;
}

/** Input or output values: JSON, with images as raw bytes. */
export type Values = Record<string, unknown>;
