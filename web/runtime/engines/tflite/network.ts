// One LiteRT.js compiled model as an engine Network: plain tensors become LiteRT's on the way in and plain
// ones again on the way out, so adapters never hold LiteRT objects. LiteRT's memory is managed by hand:
// every tensor made here is deleted here.
import type { CompiledModel, Environment, Tensor as LiteRtTensor, TensorDetails } from '@litertjs/core';
import type { Network, TensorMeta } from '../engine.ts';
import type { Tensor, TensorData } from '../tensor.ts';
import type { LiteRtModule } from './loader.ts';

/** The element types LiteRT.js passes in and out of JavaScript (its DType). */
const TYPES = new Set(['float32', 'int32', 'uint8']);

const meta = (d: TensorDetails): TensorMeta => ({ name: d.name, type: d.dtype, shape: [...d.shape] });

export class TfliteNetwork implements Network {
  readonly inputs: readonly TensorMeta[];
  readonly outputs: readonly TensorMeta[];

  constructor(private readonly litert: LiteRtModule, private readonly model: CompiledModel, private readonly environment: Environment) {
    this.inputs = model.getInputDetails().map(meta);
    this.outputs = model.getOutputDetails().map(meta);
  }

  async run(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
    const made: LiteRtTensor[] = [];
    try {
      for (const m of this.inputs) {
        const t = feeds[m.name];
        if (!t) throw new Error(`input "${m.name}" is missing (the network takes ${this.inputs.map((i) => i.name).join(', ')})`);
        if (!TYPES.has(t.type)) throw new Error(`input "${m.name}" is ${t.type}: LiteRT.js takes float32, int32 or uint8 tensors`);
        if (t.type !== m.type) throw new Error(`input "${m.name}" is ${t.type}, the network takes ${m.type}`);
        made.push(new this.litert.Tensor(t.data as Float32Array, [...t.dims], this.environment));
      }
      const results = await this.model.run(made);
      const out: Record<string, Tensor> = {};
      try {
        for (const [i, r] of results.entries()) {
          const m = this.outputs[i]!;
          // `data()` copies out of LiteRT's memory (and off the GPU): the array is ours.
          out[m.name] = { type: r.type.dtype, dims: [...r.type.layout.dimensions], data: (await r.data()) as TensorData };
        }
      } finally {
        for (const r of results) r.delete();
      }
      return out;
    } finally {
      for (const t of made) t.delete();
    }
  }

  /** Whether every op runs on the accelerator it was compiled for (else LiteRT runs it all on WASM). */
  get fullyAccelerated(): boolean {
    return this.model.isFullyAccelerated;
  }

  async release(): Promise<void> {
    this.model.delete();
  }
}
