// The seam between the runtime and whatever runs a model's networks. The runtime (web/runtime/runtime.ts)
// and the adapters (web/runtime/adapters/) see only these types; each engine is one folder beside this
// file (onnx/: onnxruntime-web), chosen per model by web/runtime/engines/index.ts.
import type { Backend } from '../../contract/index.ts';
import type { Tensor } from './tensor.ts';

/** An input or output of a network, as far as its graph says. */
export interface TensorMeta {
  name: string;
  /** Element type (`float32`, `int64`, …); absent for a value that is no tensor. */
  type?: string;
  /** Dimensions: a number where fixed, a name or -1 where not. */
  shape?: readonly (number | string)[];
}

/** One loaded network: plain tensors in, plain tensors out. */
export interface Network {
  readonly inputs: readonly TensorMeta[];
  readonly outputs: readonly TensorMeta[];
  run(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>>;
  release(): Promise<void>;
}

export interface EngineLoadOptions {
  /** `auto` tries the GPU first and falls back to WASM. */
  prefer: Backend | 'auto';
  /** Where the runtime's files (`ort/`, `models/`) are served. */
  baseUrl: string;
  /** Runs `work` while no other inference runs in this worker (an engine's first runs at load). */
  exclusive<T>(work: () => Promise<T>): Promise<T>;
}

export interface LoadedNetworks {
  networks: Record<string, Network>;
  backend: Backend;
  /** Why the GPU is not used, when it is not. */
  fallbackReason?: string;
  /** Each network whose input shapes are fixed had its first run on zeros at load, the engine's check
   *  (web/runtime/engines/warm-up.ts): the model's warm-up (web/runtime/warm-up.ts) counts it as its own. */
  ranOnZeros: boolean;
}

export interface Engine {
  /** Whether a model's asset file is a network this engine loads (the others are plain files). */
  isNetwork(file: string): boolean;
  /** Loads every network of one model on one backend; releases what it made if one fails. */
  load(networks: [name: string, bytes: Uint8Array][], options: EngineLoadOptions): Promise<LoadedNetworks>;
}
